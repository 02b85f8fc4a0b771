/**
 * Gateway API objects served by a real Portico whose kubernetesGateway
 * provider reads them from FakeApiServer through the real client library,
 * checked with curl (h1/h2) and gtlsclient (h3) against real backends. The
 * cases are those of the upstream conformance suite's HTTPRoute core
 * profile that need no cluster, written anew: matching (path, headers,
 * query, method, several matches per rule), precedence across routes,
 * listener hostname intersection, header modifiers, redirects, URL
 * rewrites, a mirror, an ExtensionRef to our Middleware, weights, a
 * cross-namespace backend with and without a ReferenceGrant, and an HTTPS
 * listener whose certificate comes from a Secret, also over HTTP/3.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { curl, type CurlResult } from '../../support/curl.js';
import { TestPki } from '../../support/pki.js';
import { gtlsclient } from '../../support/gtlsclient.js';
import { G, porticoGateway, serviceOnLoopback, until } from './gateway-fixtures.js';

const ns = 'infra';
const apps = 'apps';
let api: FakeApiServer;
let portico: Harness;
let pki: TestPki;
const backends: Record<string, Backend> = {};
let web: number;
let websecure: number;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const service = (name: string, backend: Backend, namespace = ns): KObject[] => serviceOnLoopback(name, namespace, backend.port);
const route = (name: string, spec: Record<string, unknown>, namespace = ns): KObject => ({
  apiVersion: G,
  kind: 'HTTPRoute',
  metadata: { name, namespace },
  spec: { parentRefs: [{ name: 'gw', namespace: ns, sectionName: 'http' }], ...spec },
});
const to = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 8080, ...extra });
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });

/** curl to Portico's plain (or https) entry point for a host. */
const get = (host: string, path: string, args: string[] = [], https = false): Promise<CurlResult> =>
  curl(['--resolve', `${host}:${https ? websecure : web}:127.0.0.1`, ...args, `${https ? 'https' : 'http'}://${host}:${https ? websecure : web}${path}`]);
const seen = (r: CurlResult): { name: string; url: string; headers: Record<string, string> } =>
  r.status === 200 ? JSON.parse(r.body) : { name: `HTTP ${r.status}`, url: '', headers: {} };
const nameOf = async (host: string, path: string, args: string[] = []) => seen(await get(host, path, args)).name;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
  for (const name of ['v1', 'v2', 'mirror', 'other']) backends[name] = await startBackend(name);
  pki = new TestPki();
  portico = await startPortico({
    entryPoints: {
      web: { address: '127.0.0.1:0' },
      websecure: { address: '127.0.0.1:0', http3: { enabled: true } },
    },
    providers: {
      kubernetesGateway: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns, apps] },
      kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns] },
    },
  });
  web = portico.port('web');
  websecure = portico.port('websecure');
  const cert = pki.issue('secure', ['secure.example']);
  const objects: KObject[] = [
    ...porticoGateway(ns, [
      { name: 'http', port: web, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'wild', port: web, protocol: 'HTTP', hostname: '*.wild.example' },
      { name: 'https', port: websecure, protocol: 'HTTPS', hostname: 'secure.example', tls: { certificateRefs: [{ name: 'secure-cert' }] } },
    ]),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'secure-cert', namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    },
    ...service('v1', backends.v1!),
    ...service('v2', backends.v2!),
    ...service('mirror', backends.mirror!),
    ...service('other', backends.other!, apps),
    {
      apiVersion: 'portico.dev/v1alpha1',
      kind: 'Middleware',
      metadata: { name: 'stamp', namespace: ns },
      spec: { headers: { customResponseHeaders: { 'X-Stamp': 'middleware' } } },
    },
    // httproute-matching: two matches in a rule are ORed; the most specific rule wins.
    route('matching', {
      hostnames: ['match.example'],
      rules: [
        { matches: [prefix('/'), { headers: [{ name: 'version', value: 'one' }] }], backendRefs: [to('v1')] },
        { matches: [prefix('/v2'), { headers: [{ name: 'version', value: 'two' }] }], backendRefs: [to('v2')] },
        { matches: [{ path: { type: 'Exact', value: '/exact' } }], backendRefs: [to('v2')] },
        { matches: [{ ...prefix('/m'), method: 'POST' }], backendRefs: [to('v2')] },
        { matches: [{ ...prefix('/q'), queryParams: [{ name: 'animal', value: 'whale' }] }], backendRefs: [to('v2')] },
        { matches: [{ path: { type: 'RegularExpression', value: '/re/[0-9]+' } }], backendRefs: [to('v2')] },
      ],
    }),
    // httproute-matching-across-routes: the longer prefix and the rule with more header matches win, whichever route they are in.
    route('across-a', { hostnames: ['across.example'], rules: [{ matches: [prefix('/api')], backendRefs: [to('v1')] }] }),
    route('across-b', {
      hostnames: ['across.example'],
      rules: [
        { matches: [prefix('/api/v2')], backendRefs: [to('v2')] },
        { matches: [{ ...prefix('/api'), headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [to('v2')] },
      ],
    }),
    // httproute-listener-hostname-matching / hostname-intersection.
    {
      ...route('wild', { hostnames: ['a.wild.example', 'other.org'], rules: [{ backendRefs: [to('v1')] }] }),
      spec: { parentRefs: [{ name: 'gw', sectionName: 'wild' }], hostnames: ['a.wild.example', 'other.org'], rules: [{ backendRefs: [to('v1')] }] },
    },
    route('filters', {
      hostnames: ['filters.example'],
      rules: [
        {
          matches: [prefix('/headers')],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: 'set-by-gateway' }], remove: ['X-Remove'] } },
            { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Gateway', value: 'yes' }], remove: ['X-Backend'] } },
          ],
          backendRefs: [to('v1')],
        },
        {
          // httproute-request-header-modifier / httproute-response-header-modifier: add appends, or creates.
          matches: [prefix('/add')],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: {
                add: [
                  { name: 'X-Add', value: 'added' },
                  { name: 'X-New', value: 'created' },
                ],
                set: [{ name: 'X-Set', value: 'set' }],
              },
            },
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: {
                add: [
                  { name: 'X-Backend', value: 'gateway' },
                  { name: 'X-Added', value: 'created' },
                ],
              },
            },
          ],
          backendRefs: [to('v1')],
        },
        {
          matches: [prefix('/redirect')],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'secure.example', port: websecure, statusCode: 301 } }],
        },
        {
          matches: [prefix('/old')],
          filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } }],
        },
        {
          matches: [prefix('/rewrite')],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
          backendRefs: [to('v1')],
        },
        {
          matches: [prefix('/full')],
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'rewritten.example', path: { type: 'ReplaceFullPath', replaceFullPath: '/replaced' } } }],
          backendRefs: [to('v1')],
        },
        { matches: [prefix('/mirror')], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: to('mirror') } }], backendRefs: [to('v1')] },
        {
          matches: [prefix('/ext')],
          filters: [{ type: 'ExtensionRef', extensionRef: { group: 'portico.dev', kind: 'Middleware', name: 'stamp' } }],
          backendRefs: [to('v1')],
        },
      ],
    }),
    route('timeouts', { hostnames: ['timeout.example'], rules: [{ timeouts: { request: '500ms' }, backendRefs: [to('v1')] }] }),
    route('weights', { hostnames: ['weights.example'], rules: [{ backendRefs: [to('v1', { weight: 3 }), to('v2', { weight: 1 })] }] }),
    // httproute-weight with an invalid backend: its share of the requests gets 500.
    route('half', { hostnames: ['half.example'], rules: [{ backendRefs: [to('v1'), to('missing')] }] }),
    route('cross', { hostnames: ['cross.example'], rules: [{ backendRefs: [to('v2', { namespace: ns })] }] }, apps),
    route('other', { hostnames: ['other.example'], rules: [{ backendRefs: [to('other')] }] }, apps),
    {
      ...route('secure', {}),
      spec: { parentRefs: [{ name: 'gw', sectionName: 'https' }], rules: [{ matches: [prefix('/')], backendRefs: [to('v2')] }] },
    },
  ];
  for (const o of objects) api.apply(o);
  await until(
    'the routes are served',
    async () => (await get('ready.example', '/', [], false)).status === 404 && (await nameOf('other.example', '/')) === 'other',
  );
}, 60_000);

afterAll(async () => {
  await portico?.stop();
  await Promise.all([...Object.values(backends).map((b) => b.close()), api?.stop()]);
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('Gateway API on a running Portico', () => {
  test('matching: path prefix on element boundaries, exact, regular expression, headers, query, method; matches in a rule are ORed', async () => {
    const cases: Array<[string, string[], string]> = [
      ['/', [], 'v1'],
      ['/v2', [], 'v2'],
      ['/v2/deeper', [], 'v2'],
      ['/v2example', [], 'v1'],
      ['/', ['-H', 'version: two'], 'v2'],
      ['/exact', [], 'v2'],
      ['/exact/not', [], 'v1'],
      ['/m', ['-X', 'POST'], 'v2'],
      ['/m', [], 'v1'],
      ['/q?animal=whale', [], 'v2'],
      ['/q?animal=dolphin', [], 'v1'],
      ['/re/42', [], 'v2'],
      ['/re/x42', [], 'v1'],
    ];
    const got = await Promise.all(cases.map(async ([path, args]) => nameOf('match.example', path, args)));
    expect(got).toEqual(cases.map((c) => c[2]));
  });

  test('precedence across routes: the longer prefix, then more header matches, win', async () => {
    expect(await nameOf('across.example', '/api/x')).toBe('v1');
    expect(await nameOf('across.example', '/api/v2/x')).toBe('v2');
    expect(await nameOf('across.example', '/api/x', ['-H', 'x-canary: yes'])).toBe('v2');
  });

  test('hostnames: a route on a *.wild.example listener serves only the names both allow', async () => {
    expect(await nameOf('a.wild.example', '/')).toBe('v1');
    expect((await get('other.org', '/')).status).toBe(404);
    expect((await get('b.wild.example', '/')).status).toBe(404);
  });

  test('RequestHeaderModifier and ResponseHeaderModifier set and remove', async () => {
    const r = await get('filters.example', '/headers', ['-H', 'X-Set: original', '-H', 'X-Remove: gone', '-H', 'X-Keep: kept']);
    const echoed = seen(r).headers;
    expect(echoed['x-set']).toBe('set-by-gateway');
    expect(echoed['x-remove']).toBeUndefined();
    expect(echoed['x-keep']).toBe('kept');
    expect(r.headers['x-gateway']).toEqual(['yes']);
    expect(r.headers['x-backend']).toBeUndefined();
  });

  test('RequestHeaderModifier and ResponseHeaderModifier add: appended to an existing header, created when absent', async () => {
    const r = await get('filters.example', '/add', ['-H', 'X-Add: original', '-H', 'X-Set: replaced']);
    const echoed = seen(r).headers;
    // Node's server joins a header's field lines with ", ": both values reached the backend.
    expect(echoed['x-add']).toBe('original, added');
    expect(echoed['x-new']).toBe('created');
    expect(echoed['x-set']).toBe('set');
    expect(r.headers['x-backend']).toEqual(['v1', 'gateway']);
    expect(r.headers['x-added']).toEqual(['created']);
  });

  test('RequestRedirect: scheme, hostname and port with 301; a prefix replaced with 302 keeping the rest and the query', async () => {
    const before = backends.v1!.requests + backends.v2!.requests;
    const moved = await get('filters.example', '/redirect/page?q=1');
    expect([moved.status, moved.headers.location]).toEqual([301, [`https://secure.example:${websecure}/redirect/page?q=1`]]);
    const prefixed = await get('filters.example', '/old/page?q=1');
    expect([prefixed.status, prefixed.headers.location]).toEqual([302, [`http://filters.example:${web}/new/page?q=1`]]);
    expect(backends.v1!.requests + backends.v2!.requests).toBe(before);
  });

  test('URLRewrite: ReplacePrefixMatch to /, ReplaceFullPath with a hostname', async () => {
    expect(seen(await get('filters.example', '/rewrite/x/y?z=1')).url).toBe('/x/y?z=1');
    expect(seen(await get('filters.example', '/rewrite')).url).toBe('/');
    const full = seen(await get('filters.example', '/full/anything'));
    expect(full.url).toBe('/replaced');
    expect(full.headers.host).toBe('rewritten.example');
  });

  test('RequestMirror copies the request to the mirror; ExtensionRef applies our Middleware', async () => {
    const mirrored = backends.mirror!.requests;
    expect(await nameOf('filters.example', '/mirror/x')).toBe('v1');
    await until('the mirror got the copy', async () => backends.mirror!.requests === mirrored + 1, 5000);
    const ext = await get('filters.example', '/ext');
    expect(seen(ext).name).toBe('v1');
    expect(ext.headers['x-stamp']).toEqual(['middleware']);
  });

  test('timeouts.request: a backend slower than 500 ms to answer gets 504; a fast one is served; a route without timeouts waits', async () => {
    const started = Date.now();
    expect((await get('timeout.example', '/slow?ms=3000')).status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await get('timeout.example', '/slow?ms=10')).status).toBe(200);
    expect((await get('match.example', '/slow?ms=1000')).status).toBe(200);
  });

  test('weights 3:1 split 200 requests about 75/25', async () => {
    const urls = Array.from({ length: 200 }, () => `http://weights.example:${web}/`);
    const body = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-s', '--resolve', `weights.example:${web}:127.0.0.1`, ...urls], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, out) =>
        err ? reject(new Error(`curl failed: ${err.message}`)) : resolve(out),
      ),
    );
    const v1 = body.split('"name":"v1"').length - 1;
    const v2 = body.split('"name":"v2"').length - 1;
    expect(v1 + v2).toBe(200);
    expect(v2).toBeGreaterThanOrEqual(30);
    expect(v2).toBeLessThanOrEqual(75);
  });

  test('one good and one unresolved backendRef of equal weight: about half the requests get 500 (BackendNotFound)', async () => {
    const urls = Array.from({ length: 200 }, () => `http://half.example:${web}/`);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        ['-s', '-w', ' status=%{http_code}\\n', '--resolve', `half.example:${web}:127.0.0.1`, ...urls],
        { timeout: 60_000, maxBuffer: 16 << 20 },
        (err, stdout) => (err ? reject(new Error(`curl failed: ${err.message}`)) : resolve(stdout)),
      ),
    );
    const codes = [...out.matchAll(/ status=(\d+)\n/g)].map((m) => m[1]);
    const count = (c: string) => codes.filter((x) => x === c).length;
    expect(count('200') + count('500')).toBe(200);
    expect(count('500')).toBeGreaterThanOrEqual(60);
    expect(count('500')).toBeLessThanOrEqual(140);
    const half = api.get({ apiVersion: G, kind: 'HTTPRoute', metadata: { name: 'half', namespace: ns } })?.status as {
      parents: Array<{ conditions: Array<{ type: string; status: string; reason: string }> }>;
    };
    expect(half.parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
  });

  test('a backend in another namespace: not served (500, ResolvedRefs RefNotPermitted) until a ReferenceGrant allows it', async () => {
    // 500, as the spec says for a backendRef that cannot be followed (an empty load balancer's 503 before).
    expect((await get('cross.example', '/')).status).toBe(500);
    const cross = () => api.get({ apiVersion: G, kind: 'HTTPRoute', metadata: { name: 'cross', namespace: apps } });
    const resolved = () =>
      ((cross()?.status as { parents?: Array<{ conditions: Array<{ type: string; status: string; reason: string }> }> })?.parents ?? [])
        .flatMap((p) => p.conditions)
        .find((c) => c.type === 'ResolvedRefs');
    await until('RefNotPermitted in status', async () => resolved()?.reason === 'RefNotPermitted');
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'from-apps', namespace: ns },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: apps }], to: [{ group: '', kind: 'Service' }] },
    });
    await until('served after the ReferenceGrant', async () => (await nameOf('cross.example', '/')) === 'v2');
    await until('ResolvedRefs True', async () => resolved()?.status === 'True');
  });

  test('an HTTPS listener serves its Secret’s certificate (verified by curl), advertises HTTP/3, and answers over QUIC', async () => {
    const verified = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'curl',
        ['-sS', '-i', '--cacert', join(pki.dir, 'ca.crt'), '--resolve', `secure.example:${websecure}:127.0.0.1`, `https://secure.example:${websecure}/`],
        { timeout: 15_000 },
        (err, out, stderr) => resolve({ code: err ? 1 : 0, out: out + stderr }),
      ),
    );
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toContain('"name":"v2"');
    expect(verified.out.toLowerCase()).toContain(`alt-svc: h3=":${websecure}"`);
    // The route is on the HTTPS listener only: plain HTTP on that host is not it.
    expect((await get('secure.example', '/')).status).toBe(404);
    const dir = mkdtempSync(join(tmpdir(), 'portico-gateway-h3-'));
    try {
      const h3 = await gtlsclient([`--download=${dir}`, '127.0.0.1', String(websecure), `https://secure.example:${websecure}/over/quic`], {
        idleTimeout: '5s',
      });
      expect(h3.code, h3.out.split('\n').slice(-20).join('\n')).toBe(0);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      const answer = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as { name: string; url: string };
      expect([answer.name, answer.url]).toEqual(['v2', '/over/quic']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the Gateway is Programmed with its routes counted on each listener', async () => {
    const gw = api.get({ apiVersion: G, kind: 'Gateway', metadata: { name: 'gw', namespace: ns } })?.status as {
      conditions: Array<{ type: string; status: string }>;
      listeners: Array<{ name: string; attachedRoutes: number }>;
    };
    expect(gw.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'Programmed=True']);
    expect(Object.fromEntries(gw.listeners.map((l) => [l.name, l.attachedRoutes]))).toEqual({ http: 9, wild: 1, https: 1 });
  });
});
