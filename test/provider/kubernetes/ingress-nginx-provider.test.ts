/**
 * The kubernetesIngressNGINX provider through the real client library
 * against FakeApiServer: which Ingresses it takes (IngressClasses with
 * ingress-nginx's controller, the legacy annotation, class-less ones with
 * watchIngressWithoutClass), problems reported as Warning Events on the
 * Ingress and in the snapshot while the Ingress keeps serving, and
 * status.loadBalancer written for the Ingresses it serves.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { SnapshotRecorder, eventually } from './recorder.js';
import { KubernetesIngressNginxProvider, NGINX_INGRESS_CONTROLLER } from '../../../src/provider/kubernetes/ingress-nginx-provider.js';
import type { KubernetesIngressNginxProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';

let api: FakeApiServer;
const providers: KubernetesIngressNginxProvider[] = [];
let counter = 0;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
  api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: NGINX_INGRESS_CONTROLLER } });
  api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'internal-nginx' }, spec: { controller: NGINX_INGRESS_CONTROLLER } });
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop()));
});
afterAll(() => api?.stop());

const namespace = () => `n${++counter}`;
function backend(ns: string): void {
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: ns },
    spec: { clusterIP: '10.96.0.2', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  api.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-x', namespace: ns, labels: { 'kubernetes.io/service-name': 'web' } },
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [{ addresses: ['10.2.0.1'], conditions: { ready: true } }],
  });
}
const ingress = (ns: string, name: string, host: string, opts: { className?: string; annotations?: Record<string, string> } = {}): KObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: ns, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
  spec: {
    ...(opts.className ? { ingressClassName: opts.className } : {}),
    rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
  },
});

function provider(options: KubernetesIngressNginxProviderOptions): KubernetesIngressNginxProvider {
  const p = new KubernetesIngressNginxProvider({ endpoint: api.url, token: 't', throttleDuration: '30ms', ...options }, { backoffMs: 20 });
  providers.push(p);
  return p;
}
const hosts = (rec: SnapshotRecorder) =>
  Object.values(rec.last.config.http.routers)
    .map((r) => /Host\(`([^`]+)`\)/.exec(r.rule)?.[1])
    .sort();

describe('kubernetesIngressNGINX provider', () => {
  test("takes Ingresses of IngressClasses with ingress-nginx's controller and the legacy annotation; not other classes, not class-less ones unless asked", async () => {
    const ns = namespace();
    backend(ns);
    api.apply(ingress(ns, 'by-class', 'class.example', { className: 'nginx' }));
    api.apply(ingress(ns, 'second-class', 'internal.example', { className: 'internal-nginx' }));
    api.apply(ingress(ns, 'legacy', 'legacy.example', { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }));
    api.apply(ingress(ns, 'portico', 'portico.example', { className: 'portico' }));
    api.apply(ingress(ns, 'none', 'none.example'));
    const rec = new SnapshotRecorder();
    await provider({ watchNamespace: ns }).start(rec.emit);
    expect(rec.last.errors).toEqual([]);
    expect(hosts(rec)).toEqual(['class.example', 'internal.example', 'legacy.example']);
    const all = new SnapshotRecorder();
    await provider({ namespaces: [ns], watchIngressWithoutClass: true }).start(all.emit);
    expect(hosts(all)).toEqual(['class.example', 'internal.example', 'legacy.example', 'none.example']);
  });

  test('an unknown annotation and a snippet are Warning Events on the Ingress and snapshot errors; the Ingress still serves, and changes are followed', async () => {
    const ns = namespace();
    backend(ns);
    api.apply(
      ingress(ns, 'noisy', 'noisy.example', {
        className: 'nginx',
        annotations: {
          'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "A: b";',
          'nginx.ingress.kubernetes.io/frobnicate': 'yes',
          'nginx.ingress.kubernetes.io/enable-cors': 'true',
        },
      }),
    );
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(hosts(rec)).toEqual(['noisy.example']);
    expect(Object.keys(rec.last.config.http.middlewares)).toEqual([`${ns}-noisy-nginx-cors`]);
    expect(rec.last.errors.map((e) => `${e.source} ${e.path}: ${e.message}`).sort()).toEqual([
      `${ns}/Ingress/noisy metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"]: nginx configuration snippets are never executed by Portico; express this with a Middleware`,
      `${ns}/Ingress/noisy metadata.annotations["nginx.ingress.kubernetes.io/frobnicate"]: is not an ingress-nginx annotation Portico knows; ignored (see docs/migrating-from-ingress-nginx.md)`,
    ]);
    const events = () =>
      api.writes
        .filter((w) => w.method === 'POST' && w.path === `/api/v1/namespaces/${ns}/events`)
        .map((w) => w.body as unknown as { involvedObject: { kind: string; name: string; apiVersion: string }; type: string; message: string });
    await eventually('two events on the Ingress', () => events().length === 2);
    for (const e of events())
      expect(e).toMatchObject({ involvedObject: { kind: 'Ingress', name: 'noisy', apiVersion: 'networking.k8s.io/v1' }, type: 'Warning' });
    expect(
      events()
        .map((e) => e.message)
        .sort()[1],
    ).toContain('frobnicate');
    // Fixed: the errors go; the route stays.
    api.apply(ingress(ns, 'noisy', 'noisy.example', { className: 'nginx' }));
    await rec.until((s) => s.errors.length === 0 && Object.keys(s.config.http.middlewares).length === 0);
    expect(hosts(rec)).toEqual(['noisy.example']);
  });

  test('status.loadBalancer from publishStatusAddress on the Ingresses it serves, and from publishService when it has an address', async () => {
    const ns = namespace();
    backend(ns);
    api.apply(ingress(ns, 'ours', 'ours.example', { className: 'nginx' }));
    api.apply(ingress(ns, 'theirs', 'theirs.example', { className: 'portico' }));
    const p = provider({ namespaces: [ns], publishStatusAddress: ['198.51.100.9', 'lb.example.net'] });
    await p.start(new SnapshotRecorder().emit);
    const get = (name: string) => api.get(ingress(ns, name, ''));
    await eventually('status written', () => get('ours')?.status !== undefined);
    expect(get('ours')!.status).toEqual({ loadBalancer: { ingress: [{ ip: '198.51.100.9' }, { hostname: 'lb.example.net' }] } });
    await p.statusWritesSettled();
    expect(get('theirs')!.status).toBeUndefined();

    const ns2 = namespace();
    backend(ns2);
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'portico', namespace: ns2 },
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.4' }] } },
    });
    api.apply(ingress(ns2, 'ours', 'ours.example', { className: 'nginx' }));
    await provider({ namespaces: [ns2], publishService: `${ns2}/portico` }).start(new SnapshotRecorder().emit);
    await eventually(
      'status from the published Service',
      () => JSON.stringify(api.get(ingress(ns2, 'ours', ''))?.status) === JSON.stringify({ loadBalancer: { ingress: [{ ip: '203.0.113.4' }] } }),
    );
  });
});
