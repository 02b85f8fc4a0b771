/**
 * Ingresses written for ingress-nginx, served by a real Portico whose
 * kubernetesIngressNGINX provider reads them from FakeApiServer through the
 * real client library, checked with curl against real backends: rewrite
 * with capture groups, CORS preflight, basic auth from a real htpasswd
 * Secret, a 30% canary over 200 requests and a canary header, allow and
 * deny lists, redirect codes (permanent, temporal, https, app-root),
 * forward auth whose 401 sends the client to auth-signin, and an
 * unknown annotation reported in /api/errors and as an Event while its
 * Ingress serves; the rewrite again over HTTP/3 (gtlsclient) on the same
 * port, and an nginx Ingress read from a file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { eventually } from './recorder.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { curl } from '../../support/curl.js';
import { TestPki } from '../../support/pki.js';
import { gtlsclient } from '../../support/gtlsclient.js';

const ns = 'shop';
let api: FakeApiServer;
let portico: Harness;
let app: Backend;
let canary: Backend;
let files: string;
let web: number;
let websecure: number;

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A Service named after the backend, its EndpointSlice pointing at the real backend on loopback. */
function service(name: string, backend: Backend): KObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { clusterIP: '10.96.0.9', ports: [{ name: 'http', port: 80, targetPort: backend.port }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      ports: [{ name: 'http', port: backend.port }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}
function ingress(
  name: string,
  host: string,
  annotations: Record<string, string>,
  paths: Array<{ path: string; pathType?: string; service?: string }> = [{ path: '/' }],
  extraSpec: Record<string, unknown> = {},
): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v])) },
    spec: {
      ingressClassName: 'nginx',
      ...extraSpec,
      rules: [
        {
          host,
          http: {
            paths: paths.map((p) => ({
              path: p.path,
              pathType: p.pathType ?? 'Prefix',
              backend: { service: { name: p.service ?? 'app', port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

/** curl to Portico's https (or plain) entrypoint for a host. */
const get = (host: string, path: string, args: string[] = [], plain = false) =>
  curl(['--resolve', `${host}:${plain ? web : websecure}:127.0.0.1`, ...args, `${plain ? 'http' : 'https'}://${host}:${plain ? web : websecure}${path}`]);
const backendUrl = (body: string) => (JSON.parse(body) as { url: string }).url;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
  app = await startBackend('app');
  canary = await startBackend('canary');
  const pki = new TestPki();
  const cert = pki.issue('tls', ['tls.example']);
  const htpasswd = execFileSync('openssl', ['passwd', '-apr1', 's3cret']).toString().trim();
  const objects: KObject[] = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
    ...service('app', app),
    ...service('canary', canary),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'basic-auth', namespace: ns }, type: 'Opaque', data: { auth: b64(`foo:${htpasswd}\n`) } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls-cert', namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    },
    // The ingress-nginx documentation's rewrite example.
    ingress('rewrite', 'rewrite.example', { 'use-regex': 'true', 'rewrite-target': '/$2' }, [
      { path: '/something(/|$)(.*)', pathType: 'ImplementationSpecific' },
    ]),
    ingress('cors', 'cors.example', { 'enable-cors': 'true', 'cors-allow-origin': 'https://app.example', 'cors-allow-methods': 'GET, PUT' }),
    ingress('auth', 'auth.example', { 'auth-type': 'basic', 'auth-secret': 'basic-auth', 'auth-realm': 'Authentication Required - foo' }),
    ingress('main', 'canary.example', {}),
    ingress('main-canary', 'canary.example', { canary: 'true', 'canary-weight': '30', 'canary-by-header': 'X-Canary' }, [{ path: '/', service: 'canary' }]),
    ingress('allow', 'allow.example', { 'allowlist-source-range': '10.0.0.0/8' }),
    ingress('deny', 'deny.example', { 'denylist-source-range': '127.0.0.0/8' }),
    ingress('allow-me', 'me.example', { 'whitelist-source-range': '127.0.0.1/32, 10.0.0.0/8' }),
    ingress('moved', 'moved.example', { 'permanent-redirect': 'https://www.example.com/new' }),
    ingress('moving', 'moving.example', { 'temporal-redirect': 'https://www.example.com/soon' }),
    ingress('tls', 'tls.example', { 'app-root': '/app1' }, [{ path: '/' }], { tls: [{ hosts: ['tls.example'], secretName: 'tls-cert' }] }),
    ingress('odd', 'odd.example', { 'made-up-annotation': 'x' }),
    // The ingress-nginx documentation's external-auth examples (oauth2-proxy): a 401 from auth-url sends the client to sign in.
    ingress('signin', 'signin.example', {
      'auth-url': `http://127.0.0.1:${app.port}/status?code=401`,
      'auth-signin': 'https://login.example/oauth2/start',
    }),
    ingress('signin-var', 'signin-var.example', {
      'auth-url': `http://127.0.0.1:${app.port}/status?code=401`,
      'auth-signin': 'https://login.example/oauth2/start?rd=$scheme://$host$escaped_request_uri',
    }),
    ingress('signin-ok', 'signin-ok.example', {
      'auth-url': `http://127.0.0.1:${app.port}/status?code=200`,
      'auth-signin': 'https://login.example/oauth2/start',
    }),
  ];
  for (const o of objects) api.apply(o);
  // The same kind of YAML in a file: the file provider translates it because kubernetesIngressNGINX is configured.
  files = mkdtempSync(join(tmpdir(), 'portico-nginx-files-'));
  writeFileSync(
    join(files, 'from-file.yaml'),
    [
      ...service('app', app),
      ingress('from-file', 'file.example', { 'use-regex': 'true', 'rewrite-target': '/v2/$1' }, [{ path: '/api/(.*)', pathType: 'ImplementationSpecific' }]),
    ]
      .map((o) => yaml.dump(o))
      .join('---\n'),
  );
  portico = await startPortico({
    entryPoints: {
      web: { address: '127.0.0.1:0' },
      websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } },
      portico: { address: '127.0.0.1:0' },
    },
    api: { insecure: true },
    providers: {
      kubernetesIngressNGINX: { endpoint: api.url, token: 't', throttleDuration: '30ms', watchNamespace: ns, publishStatusAddress: ['203.0.113.7'] },
      file: { directory: files, watch: false },
    },
  });
  web = portico.port('web');
  websecure = portico.port('websecure');
}, 60_000);

afterAll(async () => {
  await portico?.stop();
  await Promise.all([app?.close(), canary?.close(), api?.stop()]);
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('ingress-nginx Ingresses on a running Portico', () => {
  test('rewrite-target with capture groups: /something/new?x=1 reaches the backend as /new?x=1, case-insensitively', async () => {
    const r = await get('rewrite.example', '/something/new/page?x=1');
    expect(r.status).toBe(200);
    expect(backendUrl(r.body)).toBe('/new/page?x=1');
    expect(backendUrl((await get('rewrite.example', '/SomeThing')).body)).toBe('/');
    expect((await get('rewrite.example', '/other')).status).toBe(404);
  });

  test('CORS: a preflight is answered without reaching the backend; actual responses carry the origin', async () => {
    const before = app.requests;
    const pre = await get('cors.example', '/api', ['-X', 'OPTIONS', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: PUT']);
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    expect(pre.headers['access-control-allow-methods']).toEqual(['GET,PUT']);
    expect(pre.headers['access-control-allow-credentials']).toEqual(['true']);
    expect(pre.headers['access-control-max-age']).toEqual(['1728000']);
    expect(app.requests).toBe(before);
    const actual = await get('cors.example', '/api', ['-H', 'Origin: https://app.example']);
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    const stranger = await get('cors.example', '/api', ['-H', 'Origin: https://evil.example']);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('basic auth from a real htpasswd Secret, with the realm', async () => {
    const none = await get('auth.example', '/');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toEqual(['Basic realm="Authentication Required - foo"']);
    expect((await get('auth.example', '/', ['-u', 'foo:wrong'])).status).toBe(401);
    const ok = await get('auth.example', '/', ['-u', 'foo:s3cret']);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).name).toBe('app');
  });

  test('canary-weight 30 sends about 30% of 200 requests to the canary; canary-by-header always/never overrides', async () => {
    const urls = Array.from({ length: 200 }, () => `https://canary.example:${websecure}/`);
    const body = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sk', '--resolve', `canary.example:${websecure}:127.0.0.1`, ...urls], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, out) =>
        err ? reject(new Error(`curl failed: ${err.message}`)) : resolve(out),
      ),
    );
    const toCanary = body.split('"name":"canary"').length - 1;
    const toApp = body.split('"name":"app"').length - 1;
    expect(toCanary + toApp).toBe(200);
    expect(toCanary).toBeGreaterThanOrEqual(40);
    expect(toCanary).toBeLessThanOrEqual(80);
    for (let i = 0; i < 5; i++) {
      expect(JSON.parse((await get('canary.example', '/', ['-H', 'X-Canary: always'])).body).name).toBe('canary');
      expect(JSON.parse((await get('canary.example', '/', ['-H', 'X-Canary: never'])).body).name).toBe('app');
    }
  });

  test('allow and deny lists: 403 for a client outside the allowlist or inside the denylist', async () => {
    expect((await get('allow.example', '/')).status).toBe(403);
    expect((await get('deny.example', '/')).status).toBe(403);
    expect((await get('me.example', '/')).status).toBe(200);
  });

  test('redirects: permanent 301, temporal 302, http → https for a TLS host (308 for POST), app-root 302', async () => {
    const moved = await get('moved.example', '/anything');
    expect([moved.status, moved.headers.location]).toEqual([301, ['https://www.example.com/new']]);
    const moving = await get('moving.example', '/');
    expect([moving.status, moving.headers.location]).toEqual([302, ['https://www.example.com/soon']]);
    const plain = await get('tls.example', '/page?q=1', [], true);
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toEqual(['https://tls.example/page?q=1']);
    expect((await get('tls.example', '/page', ['-X', 'POST', '-d', 'x'], true)).status).toBe(308);
    // No TLS on the host: plain HTTP is served, as nginx does.
    expect((await get('auth.example', '/', ['-u', 'foo:s3cret'], true)).status).toBe(200);
    const secure = await get('tls.example', '/page');
    expect(secure.status).toBe(200);
    expect(backendUrl(secure.body)).toBe('/page');
    const root = await get('tls.example', '/');
    expect([root.status, root.headers.location]).toEqual([302, [`https://tls.example:${websecure}/app1`]]);
  });

  test("auth-signin: the auth service's 401 becomes a 302 to the sign-in page with rd= the original URL; an authorised request reaches the backend", async () => {
    const denied = await get('signin.example', '/private/page?a=1&b=2');
    expect(denied.status).toBe(302);
    // ingress-nginx's rd: $pass_access_scheme://$http_host$escaped_request_uri (the request URI escaped whole, "/" included).
    expect(denied.headers.location).toEqual([`https://login.example/oauth2/start?rd=https://signin.example:${websecure}%2Fprivate%2Fpage%3Fa%3D1%26b%3D2`]);
    expect(denied.body).not.toContain('status');
    const own = await get('signin-var.example', '/x/y?z=1');
    expect([own.status, own.headers.location]).toEqual([302, ['https://login.example/oauth2/start?rd=https://signin-var.example%2Fx%2Fy%3Fz%3D1']]);
    const head = await get('signin.example', '/p', ['-I']);
    expect(head.status).toBe(302);
    const allowed = await get('signin-ok.example', '/private');
    expect(allowed.status).toBe(200);
    expect(backendUrl(allowed.body)).toBe('/private');
  });

  test('HTTP/3 on the same port: advertised by Alt-Svc, and the rewrite answered over QUIC', async () => {
    const h2 = await get('rewrite.example', '/something/x');
    expect(h2.headers['alt-svc']?.[0]).toContain(`h3=":${websecure}"`);
    const dir = mkdtempSync(join(tmpdir(), 'portico-nginx-h3-'));
    try {
      const h3 = await gtlsclient([`--download=${dir}`, '127.0.0.1', String(websecure), `https://rewrite.example:${websecure}/something/over/quic?h=3`], {
        idleTimeout: '5s',
      });
      expect(h3.code, h3.out.split('\n').slice(-20).join('\n')).toBe(0);
      const downloaded = readdirSync(dir);
      expect(downloaded).toHaveLength(1);
      expect(backendUrl(readFileSync(join(dir, downloaded[0]!), 'utf8'))).toBe('/over/quic?h=3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an nginx-class Ingress in a file is translated the same way when the provider is configured', async () => {
    const r = await get('file.example', '/API/users?page=2');
    expect(r.status).toBe(200);
    expect(backendUrl(r.body)).toBe('/v2/users?page=2');
  });

  test('an unknown annotation is in /api/errors and a Warning Event on its Ingress, which still serves; status.loadBalancer is written', async () => {
    expect((await get('odd.example', '/')).status).toBe(200);
    const errors = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/errors`])).body) as Array<{
      source: string;
      path: string;
      message: string;
    }>;
    expect(errors).toContainEqual(
      expect.objectContaining({
        source: `${ns}/Ingress/odd`,
        path: 'metadata.annotations["nginx.ingress.kubernetes.io/made-up-annotation"]',
        message: expect.stringContaining('is not an ingress-nginx annotation Portico knows'),
      }),
    );
    await eventually('a Warning Event on the Ingress', () =>
      api.writes.some(
        (w) =>
          w.path === `/api/v1/namespaces/${ns}/events` &&
          JSON.stringify(w.body).includes('made-up-annotation') &&
          (w.body as { involvedObject?: { name?: string } }).involvedObject?.name === 'odd',
      ),
    );
    await eventually(
      'status written',
      () => JSON.stringify(api.get(ingress('odd', '', {}))?.status) === JSON.stringify({ loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } }),
    );
  });
});
