/**
 * ingress-nginx's ssl-passthrough and custom-http-errors with default-backend,
 * served by a real Portico whose kubernetesIngressNGINX provider reads the
 * Ingresses from FakeApiServer through the real client: with
 * enableSSLPassthrough, openssl s_client reaches the backend's own
 * certificate by SNI on the HTTPS entrypoint; an error status in the list is
 * answered by the default backend under the original status with the headers
 * ingress-nginx sends it; a Service without ready endpoints falls back to the
 * default backend.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { curl } from '../../support/curl.js';
import { TestPki } from '../../support/pki.js';
import { opensslClient, startOpensslServer } from '../../support/tcp-peers.js';

const ns = 'edge';
let api: FakeApiServer;
let portico: Harness;
let app: Backend;
let pages: Backend;
let stopTlsBackend: (() => void) | undefined;

function service(name: string, port: number, endpointPort?: number): KObject[] {
  const svc: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { clusterIP: '10.96.0.9', ports: [{ name: 'main', port }] },
  };
  if (endpointPort === undefined) return [svc];
  return [
    svc,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      ports: [{ name: 'main', port: endpointPort }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}
function ingress(name: string, host: string, annotations: Record<string, string>, backend: string, port: number): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v])) },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: backend, port: { number: port } } } }] } }],
    },
  };
}
const get = (host: string, path: string, args: string[] = []) =>
  curl(['--resolve', `${host}:${portico.port('websecure')}:127.0.0.1`, ...args, `https://${host}:${portico.port('websecure')}${path}`]);

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
  app = await startBackend('app');
  pages = await startBackend('error-pages');
  const pki = new TestPki();
  const tlsBackend = await startOpensslServer(pki.issue('passthrough-backend', ['pass.example']));
  stopTlsBackend = tlsBackend.stop;
  const objects: KObject[] = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
    ...service('app', 80, app.port),
    ...service('error-pages', 8080, pages.port),
    ...service('empty', 80),
    ...service('secure', 443, tlsBackend.port),
    // ingress-nginx's custom-errors example: the listed statuses are answered by the default backend.
    ingress('pages', 'pages.example', { 'custom-http-errors': '404,503', 'default-backend': 'error-pages' }, 'app', 80),
    ingress('fallback', 'fallback.example', { 'default-backend': 'error-pages' }, 'empty', 80),
    ingress('pass', 'pass.example', { 'ssl-passthrough': 'true' }, 'secure', 443),
  ];
  for (const o of objects) api.apply(o);
  portico = await startPortico({
    entryPoints: {
      web: { address: '127.0.0.1:0' },
      websecure: { address: '127.0.0.1:0', http: { tls: {} } },
    },
    providers: {
      kubernetesIngressNGINX: {
        endpoint: api.url,
        token: 't',
        throttleDuration: '30ms',
        watchNamespace: ns,
        enableSSLPassthrough: true,
        httpEntryPoint: 'web',
        httpsEntryPoint: 'websecure',
      },
    },
  });
  const end = Date.now() + 10_000;
  while (Date.now() < end && Object.keys(portico.server.current()?.config.tcp?.routers ?? {}).length === 0) await new Promise((r) => setTimeout(r, 50));
}, 60_000);

afterAll(async () => {
  await portico?.stop();
  stopTlsBackend?.();
  await Promise.all([app?.close(), pages?.close(), api?.stop()]);
});

describe('ingress-nginx ssl-passthrough and custom-http-errors', () => {
  test('no problem is reported for these Ingresses', () => {
    expect(portico.server.current()!.errors).toEqual([]);
  });

  test("ssl-passthrough: openssl s_client gets the backend's own certificate by SNI on the HTTPS entrypoint", async () => {
    const out = await opensslClient(portico.port('websecure'), 'pass.example');
    expect(out).toMatch(/subject=CN ?= ?pass\.example/);
    expect(out).not.toMatch(/PORTICO DEFAULT CERT/);
    // Other hosts on the same port are still terminated by Portico.
    expect((await get('pages.example', '/')).status).toBe(200);
  });

  test('a listed status is answered by the default backend, under the original status, with the headers ingress-nginx sends', async () => {
    const r = await get('pages.example', '/status?code=404', ['-H', 'Accept: text/html', '-H', 'X-Request-ID: req-42']);
    expect(r.status).toBe(404);
    const page = JSON.parse(r.body) as { name: string; url: string; headers: Record<string, string> };
    expect(page.name).toBe('error-pages');
    expect(page.url).toBe('/');
    expect(page.headers).toMatchObject({
      'x-code': '404',
      'x-format': 'text/html',
      'x-original-uri': '/status?code=404',
      'x-namespace': ns,
      'x-ingress-name': 'pages',
      'x-service-name': 'app',
      'x-service-port': '80',
      'x-request-id': 'req-42',
    });
    // Without a client request id, nginx's $req_id: 32 hex digits.
    const generated = JSON.parse((await get('pages.example', '/status?code=503')).body) as { headers: Record<string, string> };
    expect(generated.headers['x-code']).toBe('503');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  test('a status not in the list, and a success, come from the backend itself', async () => {
    const err = await get('pages.example', '/status?code=500');
    expect(err.status).toBe(500);
    expect(err.body).toBe('status\n');
    const ok = await get('pages.example', '/hello');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).name).toBe('app');
  });

  test('a Service without ready endpoints is served by the default backend', async () => {
    const r = await get('fallback.example', '/anything');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ name: 'error-pages', url: '/anything' });
  });
});
