/**
 * The Kubernetes CRD and Ingress providers through the real
 * @kubernetes/client-node against FakeApiServer: create/update/delete
 * change the emitted configuration; dropped watches and 410 Gone recover;
 * bad objects are reported by name and field; traefik.io kinds only with
 * traefikCompat; RBAC denial is named. Then a real Portico routes traffic
 * from these resources and follows an EndpointSlice change live.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer } from './fake-apiserver.js';
import { KubernetesProvider } from '../../../src/provider/kubernetes/kubernetes-provider.js';
import type { ProviderSnapshot } from '../../../src/dynamic/model.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { curl } from '../../support/curl.js';

const service = (name: string, port = 80) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'http', port, targetPort: 8080 }] } });
const slice = (svc: string, ips: string[], port = 8080) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-slice`, namespace: 'shop', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const route = (name: string, host: string, svc: string, group = 'portico.dev') => ({
  apiVersion: `${group}/v1alpha1`,
  kind: 'IngressRoute',
  metadata: { name, namespace: 'shop' },
  spec: { routes: [{ match: `Host(\`${host}\`)`, kind: 'Rule', services: [{ name: svc, port: 80 }] }] },
});

class Recorder {
  snapshots: ProviderSnapshot[] = [];
  emit = (s: ProviderSnapshot) => void this.snapshots.push(s);
  get last() {
    return this.snapshots.at(-1)!;
  }
  async until(pred: (s: ProviderSnapshot) => boolean, ms = 8000): Promise<ProviderSnapshot> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = [...this.snapshots].reverse().find(pred);
      if (hit && hit === this.last) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no matching snapshot; last: ${JSON.stringify(this.last?.config.http.routers)} errors: ${JSON.stringify(this.last?.errors)}`);
  }
}

const urlsOf = (s: ProviderSnapshot) => Object.values(s.config.http.services).flatMap((x) => x.loadBalancer?.servers.map((v) => v.url) ?? []);
const rules = (s: ProviderSnapshot) => Object.values(s.config.http.routers).map((r) => r.rule).sort();

let api: FakeApiServer;
const providers: KubernetesProvider[] = [];
const provider = (name: 'kubernetescrd' | 'kubernetesingress', extra: Record<string, unknown> = {}) => {
  const p = new KubernetesProvider(name, { endpoint: api.url, token: 'test-token', throttleDuration: '30ms', ...extra });
  providers.push(p);
  return p;
};

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop()));
});
afterAll(() => api?.stop());

describe('kubernetesCRD provider', () => {
  test('create, update endpoints, delete: the emitted configuration follows; watch drops and 410 Gone recover', async () => {
    api.apply(service('web'));
    api.apply(slice('web', ['10.0.0.1']));
    api.apply(route('shop', 'shop.example', 'web'));
    const rec = new Recorder();
    await provider('kubernetescrd').start(rec.emit);
    await rec.until((s) => rules(s).includes('Host(`shop.example`)') && urlsOf(s).includes('http://10.0.0.1:8080'));

    api.apply(slice('web', ['10.0.0.2', '10.0.0.3']));
    await rec.until((s) => urlsOf(s).join() === 'http://10.0.0.2:8080,http://10.0.0.3:8080');

    // The API server drops every watch mid-stream: the informers reconnect and see later changes.
    api.dropWatches();
    await new Promise((r) => setTimeout(r, 100));
    api.apply(route('more', 'more.example', 'web'));
    await rec.until((s) => rules(s).includes('Host(`more.example`)'));

    // History compacted while disconnected: the resumed watch gets 410 Gone and the provider relists.
    api.dropWatches();
    api.apply(route('after-410', 'after.example', 'web'));
    api.compact();
    await rec.until((s) => rules(s).includes('Host(`after.example`)'));
    expect(api.requests.some((r) => r.includes('watch=true'))).toBe(true);

    api.delete(route('more', 'more.example', 'web'));
    await rec.until((s) => !rules(s).includes('Host(`more.example`)'));
    api.delete(route('after-410', 'after.example', 'web'));
  });

  test('a bad IngressRoute is reported by name and field; the others still work', async () => {
    api.apply({ ...route('broken', 'broken.example', 'missing-svc') });
    const rec = new Recorder();
    await provider('kubernetescrd').start(rec.emit);
    const s = await rec.until((x) => x.errors.some((e) => e.source === 'shop/IngressRoute/broken'));
    expect(s.errors.find((e) => e.source === 'shop/IngressRoute/broken')).toMatchObject({ path: 'spec.routes[0].services[0].name', message: 'no Service shop/missing-svc' });
    expect(rules(s)).toContain('Host(`shop.example`)');
    // …and recorded on the object as a Kubernetes Event, once.
    const end = Date.now() + 3000;
    while (Date.now() < end && !api.writes.some((w) => w.path === '/api/v1/namespaces/shop/events')) await new Promise((r) => setTimeout(r, 25));
    const events = api.writes.filter((w) => w.path === '/api/v1/namespaces/shop/events' && (w.body as { involvedObject?: { name?: string } }).involvedObject?.name === 'broken');
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toMatchObject({ type: 'Warning', reason: 'InvalidConfiguration', involvedObject: { kind: 'IngressRoute', namespace: 'shop' } });
    expect((events[0]!.body as { message?: string }).message).toMatch(/no Service shop\/missing-svc/);
    api.delete(route('broken', 'broken.example', 'missing-svc'));
  });

  test('traefik.io kinds only with traefikCompat', async () => {
    api.apply(route('from-traefik', 'traefik.example', 'web', 'traefik.io'));
    const plain = new Recorder();
    await provider('kubernetescrd').start(plain.emit);
    expect(rules(plain.last)).not.toContain('Host(`traefik.example`)');
    const compat = new Recorder();
    await provider('kubernetescrd', { traefikCompat: true }).start(compat.emit);
    await compat.until((s) => rules(s).includes('Host(`traefik.example`)'));
    api.delete(route('from-traefik', 'traefik.example', 'web', 'traefik.io'));
  });

  test('a kubeconfig file works as well as endpoint + token', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'portico-kubeconfig-')), 'config');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: fake, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: { token: abc } }]\ncontexts: [{ name: c, context: { cluster: fake, user: u } }]\ncurrent-context: c\n`,
    );
    const rec = new Recorder();
    const p = new KubernetesProvider('kubernetescrd', { kubeconfig: file, throttleDuration: '30ms' });
    providers.push(p);
    await p.start(rec.emit);
    await rec.until((s) => rules(s).includes('Host(`shop.example`)'));
  });

  test('namespaces limit what is watched', async () => {
    const rec = new Recorder();
    await provider('kubernetescrd', { namespaces: ['other'] }).start(rec.emit);
    expect(rules(rec.last)).toEqual([]);
    expect(api.requests.some((r) => r.includes('/namespaces/other/ingressroutes'))).toBe(true);
  });

  test('RBAC denial is a clear error and the rest keeps working', async () => {
    api.forbidden.add('/api/v1/secrets');
    const rec = new Recorder();
    await provider('kubernetescrd').start(rec.emit);
    const s = await rec.until((x) => x.errors.some((e) => /RBAC/.test(e.message)));
    expect(s.errors.find((e) => /RBAC/.test(e.message))!.message).toMatch(/may not list\/watch Secret \(\/api\/v1\/secrets\); grant "list" and "watch"/);
    expect(rules(s)).toContain('Host(`shop.example`)');
    api.forbidden.clear();
  });
});

describe('kubernetesIngress provider', () => {
  test('Ingress objects of our class become routers; other classes are ignored', async () => {
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'legacy', namespace: 'shop' }, spec: { ingressClassName: 'portico', rules: [{ host: 'legacy.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'nginx-one', namespace: 'shop' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'nginx.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    const rec = new Recorder();
    await provider('kubernetesingress', { ingressEndpoint: { ip: '203.0.113.7' } }).start(rec.emit);
    const s = await rec.until((x) => rules(x).includes('Host(`legacy.example`)'));
    expect(rules(s)).not.toContain('Host(`nginx.example`)');
    // Our Ingress gets status.loadBalancer; the nginx one is left alone.
    const end = Date.now() + 3000;
    const statusPath = '/apis/networking.k8s.io/v1/namespaces/shop/ingresses/legacy/status';
    while (Date.now() < end && !api.writes.some((w) => w.path === statusPath)) await new Promise((r) => setTimeout(r, 25));
    expect(api.writes.find((w) => w.path === statusPath)?.body).toMatchObject({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    expect(api.writes.some((w) => w.path.endsWith('/ingresses/nginx-one/status'))).toBe(false);
    // An IngressClass whose controller is ours adds its name to the classes we answer.
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'edge' }, spec: { controller: 'portico.dev/ingress-controller' } });
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'edge-one', namespace: 'shop' }, spec: { ingressClassName: 'edge', rules: [{ host: 'edge.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    await rec.until((x) => rules(x).includes('Host(`edge.example`)'));
  });
});

describe('end to end: Portico routing from the Kubernetes API', () => {
  let portico: Harness;
  let b1: Backend;
  let b2: Backend;
  afterAll(async () => {
    await portico?.stop();
    await b1?.close();
    await b2?.close();
  });

  test('an IngressRoute reaches its pod; an EndpointSlice change moves traffic live', async () => {
    b1 = await startBackend('pod-a');
    b2 = await startBackend('pod-b');
    api.apply(service('live', 80));
    api.apply(slice('live', ['127.0.0.1'], b1.port));
    api.apply(route('live', 'live.example', 'live'));
    portico = await startPortico({
      entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } },
      providers: { kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: ['shop'] } },
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
    api.apply(slice('live', ['127.0.0.1'], b2.port));
    await until('"name":"pod-b"');
  });
});
