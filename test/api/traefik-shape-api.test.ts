/**
 * The API answers in Traefik v3's shape, against a real Portico with routers,
 * load balancers under active health checks (one server up, one down),
 * middlewares (used, unused, broken) and a broken router: every endpoint,
 * the filters, sorting and pagination with X-Next-Page, and 404/400 errors.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { freePort } from '../support/free-port.js';

describe('API in Traefik v3 shape', () => {
  let p: Harness;
  let backend: Backend;
  let downUrl: string;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(base + path);
    const text = await res.text();
    return { status: res.status, nextPage: res.headers.get('x-next-page'), type: res.headers.get('content-type'), body: JSON.parse(text) };
  };

  beforeAll(async () => {
    backend = await startBackend();
    downUrl = `http://127.0.0.1:${await freePort()}`;
    const dynamic = `
http:
  routers:
    app:
      rule: Host(\`app.test\`)
      entryPoints: [web]
      middlewares: [add-prefix]
      service: pool
    app-secure:
      rule: Host(\`secure.test\`) && PathPrefix(\`/x\`)
      entryPoints: [web]
      priority: 5
      service: pool
    broken:
      rule: Host(\`broken.test\`)
      entryPoints: [web]
      service: no-such-service
    edgy:
      rule: PathPrefix(\`/edge\`)
      entryPoints: [edge]
      service: pool
    dash:
      rule: PathPrefix(\`/api\`)
      entryPoints: [web]
      middlewares: [auth-headers]
      service: api@internal
  services:
    pool:
      loadBalancer:
        servers: [{ url: "${backend.url}" }, { url: "${downUrl}" }]
        healthCheck: { path: /status?code=200, interval: 200ms, timeout: 1s }
    unused:
      loadBalancer:
        servers: [{ url: "${backend.url}" }]
  middlewares:
    add-prefix:
      addPrefix: { prefix: /v1 }
    auth-headers:
      headers: { customRequestHeaders: { X-Api: "1" } }
    bad-allow:
      ipAllowList: { sourceRange: ["not-a-cidr"] }
`;
    p = await startPortico(
      {
        // edge adds a middleware that exists and one that does not: its routers serve with a warning.
        entryPoints: {
          web: { address: '127.0.0.1:0' },
          admin: { address: '127.0.0.1:0' },
          edge: { address: '127.0.0.1:0', http: { middlewares: ['add-prefix', 'missing-mw'] } },
        },
        // The dashboard's router (test/api/dashboard.test.ts) would add one to every count here.
        api: { insecure: true, entryPoint: 'admin', dashboard: false },
        ping: { entryPoint: 'admin' },
        metrics: { prometheus: { entryPoint: 'admin' } },
      },
      { 'dyn.yaml': dynamic },
    );
    await p.server.nextApply(1);
    base = `http://127.0.0.1:${p.port('admin')}`;
    // Wait (bounded) until the health check has marked the closed port DOWN.
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const svc = (await get('/api/http/services/pool@file')).body;
      if (svc.serverStatus?.[downUrl] === 'DOWN') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await p?.stop();
    await backend?.close();
  });

  test('routers: configured fields, status, error, using, name, provider', async () => {
    const r = await get('/api/http/routers');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.nextPage).toBe('1');
    const names = r.body.map((x: { name: string }) => x.name);
    // Sorted by name, internal routers included, as Traefik lists them.
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      expect.arrayContaining(['app@file', 'app-secure@file', 'broken@file', 'dash@file', 'edgy@file', 'api@internal', 'ping@internal', 'prometheus@internal']),
    );
    const app = r.body.find((x: { name: string }) => x.name === 'app@file');
    expect(app).toEqual({
      rule: 'Host(`app.test`)',
      entryPoints: ['web'],
      middlewares: ['add-prefix@file'],
      service: 'pool@file',
      status: 'enabled',
      using: ['web'],
      name: 'app@file',
      provider: 'file',
    });
    const broken = (await get('/api/http/routers/broken@file')).body;
    expect(broken.status).toBe('disabled');
    expect(broken.error).toEqual([expect.stringContaining('no-such-service')]);
    expect(broken.using).toBeUndefined();
    expect(broken.provider).toBe('file');
    // Serving, but with a problem: an entrypoint middleware that does not exist.
    const edgy = (await get('/api/http/routers/edgy@file')).body;
    expect(edgy).toMatchObject({ status: 'warning', using: ['edge'], error: [expect.stringContaining('missing-mw')] });
  });

  test('router filters: search (name or rule), status, serviceName, middlewareName', async () => {
    const names = async (q: string) => (await get(`/api/http/routers?${q}`)).body.map((x: { name: string }) => x.name);
    expect(await names('search=SECURE')).toEqual(['app-secure@file']);
    expect(await names('search=broken.test')).toEqual(['broken@file']);
    expect(await names('status=disabled')).toEqual(['broken@file']);
    expect(await names('status=WARNING')).toEqual(['edgy@file']);
    expect(await names('serviceName=pool@file')).toEqual(['app-secure@file', 'app@file', 'edgy@file']);
    expect(await names('serviceName=api@internal')).toEqual(['api@internal', 'dash@file']);
    expect(await names('middlewareName=add-prefix@file')).toEqual(['app@file']);
    expect(await names('search=nothing-matches')).toEqual([]);
    expect(await names('sortBy=priority&direction=desc&search=app')).toEqual(['app@file', 'app-secure@file']);
  });

  test('pagination: per_page, page, X-Next-Page, 400 past the end or for bad numbers', async () => {
    const all = (await get('/api/http/routers')).body.map((x: { name: string }) => x.name);
    expect(all.length).toBe(8);
    const p1 = await get('/api/http/routers?per_page=3');
    expect(p1.body.map((x: { name: string }) => x.name)).toEqual(all.slice(0, 3));
    expect(p1.nextPage).toBe('2');
    const p3 = await get('/api/http/routers?per_page=3&page=3');
    expect(p3.body.map((x: { name: string }) => x.name)).toEqual(all.slice(6, 8));
    expect(p3.nextPage).toBe('1');
    const past = await get('/api/http/routers?per_page=3&page=4');
    expect(past).toMatchObject({ status: 400, body: { message: 'invalid request: page: 4, per_page: 3' } });
    expect(await get('/api/http/routers?per_page=abc')).toMatchObject({ status: 400, body: { message: 'invalid request: per_page: 0' } });
    expect(await get('/api/http/routers?page=-2')).toMatchObject({ status: 400, body: { message: 'invalid request: page: -2' } });
    // An empty list has a first page, as in Traefik.
    expect(await get('/api/tcp/routers?page=1')).toMatchObject({ status: 200, body: [], nextPage: '1' });
  });

  test('services: type, usedBy, serverStatus from the health check, status and error', async () => {
    const pool = (await get('/api/http/services/pool@file')).body;
    expect(pool).toMatchObject({
      loadBalancer: { servers: [{ url: backend.url }, { url: downUrl }] },
      status: 'enabled',
      usedBy: ['app-secure@file', 'app@file', 'edgy@file'],
      serverStatus: { [backend.url]: 'UP', [downUrl]: 'DOWN' },
      name: 'pool@file',
      provider: 'file',
      type: 'loadbalancer',
    });
    const list = (await get('/api/http/services')).body;
    const names = list.map((x: { name: string }) => x.name);
    expect(names).toEqual(
      ['api@internal', 'noop@internal', 'ping@internal', 'pool@file', 'prometheus@internal', 'unused@file'].filter((n) => names.includes(n)),
    );
    expect(names).toEqual(expect.arrayContaining(['api@internal', 'pool@file', 'unused@file']));
    const api = list.find((x: { name: string }) => x.name === 'api@internal');
    expect(api).toEqual({ status: 'enabled', usedBy: ['api@internal', 'dash@file'], name: 'api@internal', provider: 'internal' });
    const unused = list.find((x: { name: string }) => x.name === 'unused@file');
    expect(unused.usedBy).toEqual([]);
    // Never built (no router uses it): no server status, as in Traefik.
    expect(unused.serverStatus).toBeUndefined();
    expect((await get('/api/http/services?search=POOL')).body.map((x: { name: string }) => x.name)).toEqual(['pool@file']);
    expect((await get('/api/http/services?sortBy=servers&direction=desc&per_page=1')).body[0].name).toBe('pool@file');
  });

  test('middlewares: type, usedBy, and a broken one disabled with its error', async () => {
    const list = (await get('/api/http/middlewares')).body;
    expect(list.map((x: { name: string }) => x.name)).toEqual(['add-prefix@file', 'auth-headers@file', 'bad-allow@file']);
    // edgy uses it through its entrypoint.
    expect(list[0]).toEqual({
      addPrefix: { prefix: '/v1' },
      status: 'enabled',
      usedBy: ['app@file', 'edgy@file'],
      name: 'add-prefix@file',
      provider: 'file',
      type: 'addprefix',
    });
    const bad = (await get('/api/http/middlewares/bad-allow@file')).body;
    expect(bad.status).toBe('disabled');
    expect(bad.error.length).toBeGreaterThan(0);
    expect(bad.type).toBe('ipallowlist');
    expect((await get('/api/http/middlewares?status=disabled')).body.map((x: { name: string }) => x.name)).toEqual(['bad-allow@file']);
    expect((await get('/api/http/middlewares?status=enabled&search=auth')).body.map((x: { name: string }) => x.name)).toEqual(['auth-headers@file']);
  });

  test("404 with Traefik's message for unknown names and paths; names may be percent-encoded", async () => {
    expect(await get('/api/http/routers/nope@file')).toMatchObject({ status: 404, body: { message: 'router not found: nope@file' } });
    expect(await get('/api/http/services/nope@file')).toMatchObject({ status: 404, body: { message: 'service not found: nope@file' } });
    expect(await get('/api/http/middlewares/nope@file')).toMatchObject({ status: 404, body: { message: 'middleware not found: nope@file' } });
    expect(await get('/api/entrypoints/nope')).toMatchObject({ status: 404, body: { message: 'entry point not found: nope' } });
    expect(await get('/api/tcp/routers/x@file')).toMatchObject({ status: 404, body: { message: 'router not found: x@file' } });
    expect((await get('/api/no-such-endpoint')).status).toBe(404);
    expect((await get('/api/http/routers/app%40file')).body.name).toBe('app@file');
    const post = await fetch(base + '/api/overview', { method: 'POST' });
    expect(post.status).toBe(405);
  });

  test('overview: counts per kind with warnings and errors, features, providers', async () => {
    const o = (await get('/api/overview')).body;
    expect(o).toEqual({
      http: {
        routers: { total: 8, warnings: 1, errors: 1 },
        services: { total: o.http.services.total, warnings: 0, errors: 0 },
        middlewares: { total: 3, warnings: 0, errors: 1 },
      },
      tcp: { routers: { total: 0, warnings: 0, errors: 0 }, services: { total: 0, warnings: 0, errors: 0 }, middlewares: { total: 0, warnings: 0, errors: 0 } },
      udp: { routers: { total: 0, warnings: 0, errors: 0 }, services: { total: 0, warnings: 0, errors: 0 } },
      features: { tracing: '', metrics: 'Prometheus', accessLog: false, hub: false },
      providers: ['File'],
    });
    expect(o.http.services.total).toBeGreaterThanOrEqual(5);
  });

  test('entrypoints: listed by name with their configuration, one by name', async () => {
    const eps = await get('/api/entrypoints');
    expect(eps.body.map((e: { name: string }) => e.name)).toEqual(['admin', 'edge', 'web']);
    expect(eps.body[2]).toEqual({ address: '127.0.0.1:0', name: 'web' });
    expect(eps.nextPage).toBe('1');
    expect((await get('/api/entrypoints/admin')).body).toEqual({ address: '127.0.0.1:0', name: 'admin' });
    expect((await get('/api/entrypoints?per_page=1')).nextPage).toBe('2');
  });

  test('tcp and udp lists are empty until Portico has TCP/UDP routers', async () => {
    for (const path of ['/api/tcp/routers', '/api/tcp/services', '/api/tcp/middlewares', '/api/udp/routers', '/api/udp/services'])
      expect(await get(path), path).toMatchObject({ status: 200, body: [], nextPage: '1' });
  });

  test('rawdata: routers, middlewares and services keyed by name, with serverStatus; version; errors', async () => {
    const raw = (await get('/api/rawdata')).body;
    expect(Object.keys(raw).sort()).toEqual(['middlewares', 'routers', 'services']);
    expect(raw.routers['app@file']).toEqual({
      rule: 'Host(`app.test`)',
      entryPoints: ['web'],
      middlewares: ['add-prefix@file'],
      service: 'pool@file',
      status: 'enabled',
      using: ['web'],
    });
    expect(raw.services['pool@file'].serverStatus).toEqual({ [backend.url]: 'UP', [downUrl]: 'DOWN' });
    expect(raw.middlewares['bad-allow@file'].status).toBe('disabled');
    const v = (await get('/api/version')).body;
    expect(v.Version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isNaN(Date.parse(v.startDate))).toBe(false);
    const errors = (await get('/api/errors')).body as Array<{ path: string; source: string; provider: string }>;
    expect(errors.find((e) => e.path.startsWith('http.routers.broken@file'))).toMatchObject({ provider: 'file', source: expect.stringContaining('dyn.yaml') });
    expect(errors.find((e) => e.path.startsWith('http.middlewares.bad-allow@file'))).toBeDefined();
  });

  test('the API follows reloads: a new router appears, and api@internal behind a user router works', async () => {
    await p.writeDynamic('more.yaml', `http:\n  routers:\n    late:\n      rule: Path(\`/late\`)\n      entryPoints: [web]\n      service: pool\n`);
    expect((await get('/api/http/routers/late@file')).body.status).toBe('enabled');
    const viaUser = await fetch(`http://127.0.0.1:${p.port('web')}/api/http/routers/late@file`);
    expect(viaUser.status).toBe(200);
    expect(((await viaUser.json()) as { name: string }).name).toBe('late@file');
    expect((await get('/api/http/services/pool@file')).body.usedBy).toEqual(['app-secure@file', 'app@file', 'edgy@file', 'late@file']);
  });
});
