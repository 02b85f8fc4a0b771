/**
 * The kubernetesIngress provider through the real client library against
 * FakeApiServer: which Ingresses are ours (ingressClassName, the legacy
 * annotation, IngressClasses with our controller, the default class),
 * annotations, and status.loadBalancer written from the published Service
 * (followed when it changes, never in a loop) or a fixed address; a status
 * write Portico may not make is a clear error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { SnapshotRecorder, eventually, rulesOf, urlsOf } from './recorder.js';
import { KubernetesIngressProvider, PORTICO_INGRESS_CONTROLLER, TRAEFIK_INGRESS_CONTROLLER } from '../../../src/provider/kubernetes/ingress-provider.js';
import type { KubernetesIngressProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';

let api: FakeApiServer;
const providers: KubernetesIngressProvider[] = [];
let counter = 0;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop()));
  api.forbidden.clear();
});
afterAll(() => api?.stop());

const namespace = () => `i${++counter}`;
const service = (ns: string, name: string, extra: Partial<KObject> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP: '10.96.0.2', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  ...extra,
});
const slice = (ns: string, svc: string, ips: string[]): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  ports: [{ name: 'http', port: 8080 }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const ingress = (
  ns: string,
  name: string,
  host: string,
  opts: { className?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): KObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: ns, ...(opts.annotations ? { annotations: opts.annotations } : {}), ...(opts.labels ? { labels: opts.labels } : {}) },
  spec: {
    ...(opts.className ? { ingressClassName: opts.className } : {}),
    rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
  },
});
const ingressClass = (name: string, controller: string, isDefault = false): KObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  spec: { controller },
});

function provider(options: KubernetesIngressProviderOptions): KubernetesIngressProvider {
  const p = new KubernetesIngressProvider({ endpoint: api.url, token: 't', throttleDuration: '30ms', ...options }, { backoffMs: 20 });
  providers.push(p);
  return p;
}
const statusWrites = (ns: string, name: string) =>
  api.writes.filter((w) => w.method === 'PUT' && w.path === `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}/status`);

describe('kubernetesIngress provider', () => {
  test('Ingresses of our class (name, legacy annotation, IngressClass with our controller) become routers; others are ignored', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(slice(ns, 'web', ['10.2.0.1']));
    api.apply(ingress(ns, 'by-name', 'name.example', { className: 'portico' }));
    api.apply(ingress(ns, 'by-annotation', 'annotation.example', { annotations: { 'kubernetes.io/ingress.class': 'portico' } }));
    api.apply(ingress(ns, 'nginx', 'nginx.example', { className: 'nginx' }));
    api.apply(ingress(ns, 'no-class', 'none.example'));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(rulesOf(rec.last)).toEqual(['Host(`annotation.example`)', 'Host(`name.example`)']);
    expect(Object.keys(rec.last.config.http.routers).sort()).toEqual([`${ns}-by-annotation-annotation-example`, `${ns}-by-name-name-example`]);
    expect(urlsOf(rec.last)).toEqual(['http://10.2.0.1:8080']);
    expect(rec.last.errors).toEqual([]);

    // An IngressClass with our controller adds its name; marked default, it also claims class-less Ingresses.
    const edge = `edge-${ns}`;
    api.apply(ingress(ns, 'edge-one', 'edge.example', { className: edge }));
    api.apply(ingressClass(edge, PORTICO_INGRESS_CONTROLLER));
    await rec.until((s) => rulesOf(s).includes('Host(`edge.example`)') && !rulesOf(s).includes('Host(`none.example`)'));
    api.apply(ingressClass(edge, PORTICO_INGRESS_CONTROLLER, true));
    await rec.until((s) => rulesOf(s).includes('Host(`none.example`)'));
    // Another controller's class is never ours.
    api.apply(ingressClass('nginx', 'k8s.io/ingress-nginx'));
    await new Promise((r) => setTimeout(r, 100));
    expect(rulesOf(rec.last)).not.toContain('Host(`nginx.example`)');
    api.delete(ingressClass(edge, PORTICO_INGRESS_CONTROLLER));
    await rec.until((s) => !rulesOf(s).includes('Host(`edge.example`)'));
  });

  test("IngressClasses with Traefik's controller are answered only with traefikCompat", async () => {
    const ns = namespace();
    const cls = `traefik-${ns}`;
    api.apply(service(ns, 'web'));
    api.apply(ingressClass(cls, TRAEFIK_INGRESS_CONTROLLER));
    api.apply(ingress(ns, 'app', 'traefik.example', { className: cls }));
    const plain = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(plain.emit);
    expect(rulesOf(plain.last)).toEqual([]);
    const compat = new SnapshotRecorder();
    await provider({ namespaces: [ns], traefikCompat: true }).start(compat.emit);
    expect(rulesOf(compat.last)).toEqual(['Host(`traefik.example`)']);
  });

  test('annotations under both prefixes; a bad annotation is an error naming it; the label selector filters Ingresses', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(
      ingress(ns, 'annotated', 'a.example', {
        className: 'portico',
        labels: { expose: 'yes' },
        annotations: {
          'portico.ingress.kubernetes.io/router.entrypoints': 'websecure',
          'traefik.ingress.kubernetes.io/router.middlewares': 'auth@file',
          'portico.ingress.kubernetes.io/router.tls': 'true',
        },
      }),
    );
    api.apply(
      ingress(ns, 'bad', 'b.example', {
        className: 'portico',
        labels: { expose: 'yes' },
        annotations: { 'portico.ingress.kubernetes.io/router.priority': 'high' },
      }),
    );
    api.apply(ingress(ns, 'unlabelled', 'c.example', { className: 'portico' }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns], labelSelector: 'expose=yes' }).start(rec.emit);
    expect(rec.last.config.http.routers[`${ns}-annotated-a-example`]).toEqual({
      rule: 'Host(`a.example`)',
      service: `${ns}-web-80`,
      entryPoints: ['websecure'],
      middlewares: ['auth@file'],
      tls: {},
    });
    expect(rec.last.errors).toEqual([
      {
        provider: 'kubernetesingress',
        source: `${ns}/Ingress/bad`,
        path: 'metadata.annotations["portico.ingress.kubernetes.io/router.priority"]',
        message: 'must be an integer, got "high"',
      },
    ]);
    expect(rulesOf(rec.last)).toEqual(['Host(`a.example`)']);
    await eventually('event on the bad Ingress', () =>
      api.writes.some(
        (w) => w.path === `/api/v1/namespaces/${ns}/events` && (w.body as { involvedObject?: { kind?: string; name?: string } }).involvedObject?.name === 'bad',
      ),
    );
  });

  test("Traefik's service.* annotations are read from the Service, and win over the Ingress's", async () => {
    const ns = namespace();
    const annotated = (a: Record<string, string>) => service(ns, 'web', { metadata: { name: 'web', namespace: ns, annotations: a } });
    api.apply(
      annotated({
        'traefik.ingress.kubernetes.io/service.serversscheme': 'https',
        'traefik.ingress.kubernetes.io/service.passhostheader': 'false',
        'traefik.ingress.kubernetes.io/service.nativelb': 'true',
      }),
    );
    api.apply(slice(ns, 'web', ['10.2.0.1']));
    api.apply(ingress(ns, 'app', 'app.example', { className: 'portico', annotations: { 'traefik.ingress.kubernetes.io/service.passhostheader': 'true' } }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(rec.last.errors).toEqual([]);
    const lb = Object.values(rec.last.config.http.services)[0]!.loadBalancer!;
    expect(lb.servers).toEqual([{ url: 'https://10.96.0.2:80' }]);
    expect(lb.passHostHeader).toBe(false);

    // A bad value on the Service is an error naming the Service and the annotation.
    api.apply(annotated({ 'traefik.ingress.kubernetes.io/service.nativelb': 'yes' }));
    const s = await rec.until((x) => x.errors.length > 0);
    expect(s.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      `spec.rules[0].http.paths[0].backend.service.name (Service ${ns}/web annotation "traefik.ingress.kubernetes.io/service.nativelb"): must be "true" or "false", got "yes"`,
    ]);
  });

  test('status.loadBalancer from the published Service, written once, and again when its address changes', async () => {
    const ns = namespace();
    const system = `${ns}-system`;
    api.apply(service(ns, 'web'));
    api.apply(service(system, 'portico', { status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } }));
    api.apply(ingress(ns, 'ours', 'ours.example', { className: 'portico' }));
    api.apply(ingress(ns, 'theirs', 'theirs.example', { className: 'nginx' }));
    const rec = new SnapshotRecorder();
    const p = provider({ namespaces: [ns], publishedService: `${system}/portico` });
    await p.start(rec.emit);
    await eventually('status written', () => api.get(ingress(ns, 'ours', ''))?.status !== undefined);
    expect(api.get(ingress(ns, 'ours', ''))!.status).toEqual({ loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } });
    expect(statusWrites(ns, 'theirs')).toHaveLength(0);
    // The write comes back as a MODIFIED event; it must not cause another write.
    await new Promise((r) => setTimeout(r, 200));
    expect(statusWrites(ns, 'ours')).toHaveLength(1);
    // The published Service (outside the watched namespace) gets a new address: followed.
    api.apply(service(system, 'portico', { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] } } }));
    await eventually(
      'status updated',
      () => JSON.stringify(api.get(ingress(ns, 'ours', ''))!.status) === JSON.stringify({ loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] } }),
    );
    await p.statusWritesSettled();
    expect(statusWrites(ns, 'ours')).toHaveLength(2);
  });

  test('a fixed ingressEndpoint; a status write Portico may not make is an error naming verb and resource', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(ingress(ns, 'fixed', 'fixed.example', { className: 'portico' }));
    api.forbidden.add('update /apis/networking.k8s.io/v1/ingresses');
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns], ingressEndpoint: { ip: '198.51.100.7' } }).start(rec.emit);
    // The error is known once the write has failed; it comes in a snapshot of its own.
    const s = await rec.until((x) => x.errors.length > 0);
    expect(s.errors).toEqual([
      {
        provider: 'kubernetesingress',
        source: 'kubernetes ingresses/status',
        path: '',
        message: `RBAC: Portico's service account may not update ingresses/status.networking.k8s.io in namespace "${ns}"; grant the "update" verb on ingresses/status.networking.k8s.io to it (the Helm chart's ClusterRole does)`,
      },
    ]);
    expect(rulesOf(s)).toEqual(['Host(`fixed.example`)']);
    // Access granted: the next change retries the write, and the error goes away.
    api.forbidden.clear();
    api.apply(ingress(ns, 'fixed', 'fixed.example', { className: 'portico', labels: { touched: 'yes' } }));
    await rec.until((x) => x.errors.length === 0);
    await eventually(
      'status written after access granted',
      () => JSON.stringify(api.get(ingress(ns, 'fixed', ''))?.status) === JSON.stringify({ loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } }),
    );
  });
});
