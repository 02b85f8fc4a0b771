/**
 * The kubernetesCRD provider through the real @kubernetes/client-node against
 * FakeApiServer: create/update/delete follow into the emitted configuration;
 * dropped watches and 410 Gone recover; a burst is one emit; a bad
 * IngressRoute is an error with its name and field (and a Warning Event)
 * while the others work; traefik.io only with traefikCompat; namespaces,
 * label selectors, RBAC and missing CRDs. Then a real Portico routes traffic
 * from these resources and follows an EndpointSlice change live.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { SnapshotRecorder, eventually, rulesOf, urlsOf } from './recorder.js';
import { KubernetesCrdProvider } from '../../../src/provider/kubernetes/crd-provider.js';
import type { KubernetesCrdProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { curl } from '../../support/curl.js';

let api: FakeApiServer;
const providers: KubernetesCrdProvider[] = [];
let counter = 0;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop()));
  api.forbidden.clear();
  api.uninstalledGroups.clear();
});
afterAll(() => api?.stop());

/** Each test works in its own namespace, so tests never see each other's objects. */
function namespace(): string {
  return `t${++counter}`;
}
const service = (ns: string, name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});
const slice = (ns: string, svc: string, ips: string[], port = 8080): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-slice`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const route = (
  ns: string,
  name: string,
  host: string,
  svc: string,
  extra: { group?: string; labels?: Record<string, string>; port?: unknown } = {},
): KObject => ({
  apiVersion: `${extra.group ?? 'portico.dev'}/v1alpha1`,
  kind: 'IngressRoute',
  metadata: { name, namespace: ns, ...(extra.labels ? { labels: extra.labels } : {}) },
  spec: { routes: [{ match: `Host(\`${host}\`)`, kind: 'Rule', services: [{ name: svc, port: extra.port ?? 80 }] }] },
});

function provider(options: KubernetesCrdProviderOptions = {}): KubernetesCrdProvider {
  const p = new KubernetesCrdProvider({ endpoint: api.url, token: 'test-token', throttleDuration: '30ms', ...options }, { backoffMs: 20 });
  providers.push(p);
  return p;
}

describe('kubernetesCRD provider', () => {
  test('create → router and service with pod URLs; endpoint changes → new URLs; delete → gone', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(slice(ns, 'web', ['10.0.0.1']));
    api.apply(route(ns, 'shop', 'shop.example', 'web'));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    // The first snapshot is emitted by start itself, complete.
    expect(rec.snapshots).toHaveLength(1);
    expect(rulesOf(rec.last)).toEqual(['Host(`shop.example`)']);
    expect(urlsOf(rec.last)).toEqual(['http://10.0.0.1:8080']);
    const [routerName, router] = Object.entries(rec.last.config.http.routers)[0]!;
    expect(routerName).toMatch(new RegExp(`^${ns}-shop-[0-9a-f]{20}$`));
    expect(router.service).toBe(routerName);
    expect(rec.last.origins?.[`http.routers.${routerName}`]).toBe(`${ns}/IngressRoute/shop`);

    api.apply(slice(ns, 'web', ['10.0.0.2', '10.0.0.3']));
    await rec.until((s) => urlsOf(s).join() === 'http://10.0.0.2:8080,http://10.0.0.3:8080');

    api.delete(route(ns, 'shop', 'shop.example', 'web'));
    await rec.until((s) => rulesOf(s).length === 0);
  });

  test('the watch killed mid-stream, and 410 Gone after compaction: the provider recovers and sees later changes', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(slice(ns, 'web', ['10.0.0.1']));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    await eventually('watches open', () => api.watchCount('/apis/portico.dev/v1alpha1/ingressroutes') > 0);

    api.dropWatches();
    api.apply(route(ns, 'after-drop', 'drop.example', 'web'));
    await rec.until((s) => rulesOf(s).includes('Host(`drop.example`)'));

    const lists = api.count(new RegExp(`GET /apis/portico.dev/v1alpha1/namespaces/${ns}/ingressroutes\\?(?!.*watch=true)`));
    api.dropWatches();
    api.apply(route(ns, 'after-410', 'gone.example', 'web'));
    api.compact();
    await rec.until((s) => rulesOf(s).includes('Host(`gone.example`)'));
    // Recovery from 410 is a fresh list.
    expect(api.count(new RegExp(`GET /apis/portico.dev/v1alpha1/namespaces/${ns}/ingressroutes\\?(?!.*watch=true)`))).toBeGreaterThan(lists);
    api.apply(route(ns, 'later', 'later.example', 'web'));
    await rec.until((s) => rulesOf(s).includes('Host(`later.example`)'));
  });

  test('a burst of changes within throttleDuration is one emit', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns], throttleDuration: '300ms' }).start(rec.emit);
    const before = rec.snapshots.length;
    for (let i = 1; i <= 20; i++) api.apply(slice(ns, 'web', [`10.0.1.${i}`]));
    api.apply(route(ns, 'burst', 'burst.example', 'web'));
    await rec.until((s) => urlsOf(s).join() === 'http://10.0.1.20:8080');
    await new Promise((r) => setTimeout(r, 400));
    expect(rec.snapshots.length - before).toBeLessThanOrEqual(2);
  });

  test('a bad IngressRoute is an error with its name and field, recorded once as a Warning Event; the others work', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(route(ns, 'good', 'good.example', 'web'));
    api.apply(route(ns, 'broken', 'broken.example', 'missing-svc'));
    api.apply(route(ns, 'bad-port', 'port.example', 'web', { port: 81 }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    const s = rec.last;
    expect(rulesOf(s)).toEqual(['Host(`good.example`)']);
    expect(s.errors).toEqual([
      {
        provider: 'kubernetescrd',
        source: `${ns}/IngressRoute/bad-port`,
        path: 'spec.routes[0].services[0].port',
        message: `Service ${ns}/web has no port 81 (it has 80/http)`,
      },
      { provider: 'kubernetescrd', source: `${ns}/IngressRoute/broken`, path: 'spec.routes[0].services[0].name', message: `no Service ${ns}/missing-svc` },
    ]);
    const eventsFor = (name: string) =>
      api.writes.filter(
        (w) => w.path === `/api/v1/namespaces/${ns}/events` && (w.body as { involvedObject?: { name?: string } }).involvedObject?.name === name,
      );
    await eventually('events', () => eventsFor('broken').length > 0 && eventsFor('bad-port').length > 0);
    expect(eventsFor('broken')[0]!.body).toMatchObject({
      type: 'Warning',
      reason: 'InvalidConfiguration',
      message: `spec.routes[0].services[0].name: no Service ${ns}/missing-svc`,
      involvedObject: { kind: 'IngressRoute', apiVersion: 'portico.dev/v1alpha1', namespace: ns, uid: api.get(route(ns, 'broken', '', ''))!.metadata.uid },
    });
    // Further changes re-convert, but the same problem is not recorded again.
    api.apply(route(ns, 'good2', 'good2.example', 'web'));
    await rec.until((x) => rulesOf(x).includes('Host(`good2.example`)'));
    expect(eventsFor('broken')).toHaveLength(1);
    // Fixed: the error goes away.
    api.apply(service(ns, 'missing-svc'));
    await rec.until((x) => !x.errors.some((e) => e.source.endsWith('/broken')) && rulesOf(x).includes('Host(`broken.example`)'));
  });

  test('backend ports are matched by name: a slice of another port of the Service contributes nothing', async () => {
    const ns = namespace();
    const twoPorts: KObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'app', namespace: ns },
      spec: {
        clusterIP: '10.96.0.1',
        ports: [
          { name: 'web', port: 80 },
          { name: 'web2', port: 8080 },
        ],
      },
    };
    const slicePort = (name: string, port: number, ips: string[]): KObject => ({
      ...slice(ns, 'app', ips),
      metadata: { name: `app-${name}`, namespace: ns, labels: { 'kubernetes.io/service-name': 'app' } },
      ports: [{ name, port }],
    });
    api.apply(twoPorts);
    api.apply(slicePort('web', 80, ['10.0.0.1']));
    api.apply(slicePort('web2', 8080, ['10.0.0.1', '10.0.0.2']));
    api.apply(route(ns, 'web2', 'web2.example', 'app', { port: 'web2' }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(rec.last.errors).toEqual([]);
    expect(urlsOf(rec.last).sort()).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080']);
  });

  test('traefik.io kinds only with traefikCompat', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(route(ns, 'from-traefik', 'traefik.example', 'web', { group: 'traefik.io' }));
    const plain = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(plain.emit);
    expect(rulesOf(plain.last)).toEqual([]);
    expect(api.count(new RegExp(`/apis/traefik.io/v1alpha1/namespaces/${ns}/`))).toBe(0);
    const compat = new SnapshotRecorder();
    await provider({ namespaces: [ns], traefikCompat: true }).start(compat.emit);
    expect(rulesOf(compat.last)).toEqual(['Host(`traefik.example`)']);
  });

  test('labelSelector and ingressClass limit which IngressRoutes are read', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(route(ns, 'blue', 'blue.example', 'web', { labels: { team: 'blue' } }));
    api.apply(route(ns, 'red', 'red.example', 'web', { labels: { team: 'red' } }));
    api.apply({
      ...route(ns, 'classy', 'classy.example', 'web'),
      metadata: { name: 'classy', namespace: ns, labels: { team: 'blue' }, annotations: { 'kubernetes.io/ingress.class': 'internal' } },
    });
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns], labelSelector: 'team=blue' }).start(rec.emit);
    expect(rulesOf(rec.last)).toEqual(['Host(`blue.example`)', 'Host(`classy.example`)']);
    expect(api.requests.some((r) => r.includes(`/namespaces/${ns}/ingressroutes?`) && r.includes('labelSelector=team%3Dblue'))).toBe(true);
    const classed = new SnapshotRecorder();
    await provider({ namespaces: [ns], ingressClass: 'internal' }).start(classed.emit);
    expect(rulesOf(classed.last)).toEqual(['Host(`classy.example`)']);
  });

  test('a kubeconfig file works as well as endpoint + token', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(route(ns, 'kc', 'kc.example', 'web'));
    const file = join(mkdtempSync(join(tmpdir(), 'portico-kubeconfig-')), 'config');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: fake, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: { token: abc } }]\ncontexts: [{ name: c, context: { cluster: fake, user: u } }]\ncurrent-context: c\n`,
    );
    const p = new KubernetesCrdProvider({ kubeconfig: file, namespaces: [ns], throttleDuration: '30ms' });
    providers.push(p);
    const rec = new SnapshotRecorder();
    await p.start(rec.emit);
    expect(rulesOf(rec.last)).toEqual(['Host(`kc.example`)']);
  });

  test('RBAC denial names the resource, verb and namespace; the rest keeps working; granting access recovers', async () => {
    const ns = namespace();
    api.apply(service(ns, 'web'));
    api.apply(route(ns, 'ok', 'ok.example', 'web'));
    api.forbidden.add('list /api/v1/secrets');
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(rec.last.errors).toEqual([
      {
        provider: 'kubernetescrd',
        source: `kubernetes /api/v1/namespaces/${ns}/secrets`,
        path: '',
        message: `RBAC: Portico's service account may not list secrets in namespace "${ns}"; grant the "list" verb on secrets to it (the Helm chart's ClusterRole does)`,
      },
    ]);
    expect(rulesOf(rec.last)).toEqual(['Host(`ok.example`)']);
    api.forbidden.clear();
    await rec.until((s) => s.errors.length === 0);
  });

  test('CRDs not installed: a 404 says to install them', async () => {
    const ns = namespace();
    api.uninstalledGroups.add('portico.dev');
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    expect(rec.last.errors.find((e) => e.source.endsWith('/ingressroutes'))?.message).toBe(
      'ingressroutes.portico.dev is not served by the API server: install the CRDs (kubectl apply -f charts/portico/crds/) or turn off the groups you do not use',
    );
  });
});

describe('end to end: Portico routing from the Kubernetes API', () => {
  let portico: Harness | undefined;
  let b1: Backend | undefined;
  let b2: Backend | undefined;
  afterAll(async () => {
    await portico?.stop();
    await b1?.close();
    await b2?.close();
  });

  test('an IngressRoute reaches its pod; an EndpointSlice change moves traffic live', async () => {
    const ns = namespace();
    b1 = await startBackend('pod-a');
    b2 = await startBackend('pod-b');
    api.apply(service(ns, 'live'));
    api.apply(slice(ns, 'live', ['127.0.0.1'], b1.port));
    api.apply(route(ns, 'live', 'live.example', 'live'));
    portico = await startPortico({
      entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } },
      providers: { kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns] } },
    });
    const port = portico.port('websecure');
    const get = async () => (await curl(['--resolve', `live.example:${port}:127.0.0.1`, `https://live.example:${port}/`])).body;
    const until = async (want: string) => {
      const end = Date.now() + 8000;
      let body = '';
      while (Date.now() < end) {
        body = await get();
        if (body.includes(want)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`never got ${want}; last: ${body}`);
    };
    await until('"name":"pod-a"');
    api.apply(slice(ns, 'live', ['127.0.0.1'], b2.port));
    await until('"name":"pod-b"');
  });

  test('requests for a named port reach only the pods of that port, never a slice of another port', async () => {
    const ns = namespace();
    const web = await startBackend('port-web');
    const web2 = await startBackend('port-web2');
    let own: Harness | undefined;
    try {
      api.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'app', namespace: ns },
        spec: {
          clusterIP: '10.96.0.1',
          ports: [
            { name: 'web', port: 80 },
            { name: 'web2', port: 8080 },
          ],
        },
      });
      for (const [name, backend] of [
        ['web', web],
        ['web2', web2],
      ] as const)
        api.apply({
          ...slice(ns, 'app', ['127.0.0.1'], backend.port),
          metadata: { name: `app-${name}`, namespace: ns, labels: { 'kubernetes.io/service-name': 'app' } },
          ports: [{ name, port: backend.port }],
        });
      api.apply(route(ns, 'web2', 'web2.example', 'app', { port: 'web2' }));
      own = await startPortico({
        entryPoints: { web: { address: '127.0.0.1:0' } },
        providers: { kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns] } },
      });
      const port = own.port('web');
      const names: string[] = [];
      // Round robin over two servers would show the wrong one within two requests; 12 leave no doubt.
      for (let i = 0; i < 12; i++) {
        const body = (await curl(['--resolve', `web2.example:${port}:127.0.0.1`, `http://web2.example:${port}/`])).body;
        names.push(/"name":"([^"]+)"/.exec(body)?.[1] ?? body);
      }
      expect(names).toEqual(Array(12).fill('port-web2'));
    } finally {
      await own?.stop();
      await web.close();
      await web2.close();
    }
  });
});
