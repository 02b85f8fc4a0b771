/**
 * Traefik's multi-layer routing (v3.6 `parentRefs`), in the shape of
 * Traefik's documented example: a parent router on a TLS entrypoint runs a
 * forwardAuth middleware (a real auth server) that adds X-User-Role; child
 * routers choose the service by that header; no matching child is 404; a
 * child cannot be reached without its parent's middlewares (a client-sent
 * X-User-Role is replaced by the auth answer); children take the parent's
 * entrypoint and TLS. Bad trees are refused router by router, naming the
 * field: a child with its own entrypoints, a missing parent, a parent with a
 * service, a cycle. Served over h1 and h2 (curl), and the API shows it.
 * (Traefik's page writes the children's rules with `HeadersRegexp`, the v2
 * name, which v3's default rule syntax refuses; the v3 name is used here.)
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let auth: Server;
let admin: Server;
let user: Server;
let portico: Harness;
const seenByAdmin: Array<string | undefined> = [];

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  // The auth server decides the role from a token; a request without one is refused.
  auth = createServer((req, res) => {
    const token = req.headers.authorization;
    if (token === 'Bearer admin-token') res.writeHead(200, { 'x-user-role': 'admin', 'x-user-name': 'ada' }).end();
    else if (token === 'Bearer user-token') res.writeHead(200, { 'x-user-role': 'user', 'x-user-name': 'bob' }).end();
    else if (token === 'Bearer guest-token') res.writeHead(200, { 'x-user-role': 'guest' }).end();
    else res.writeHead(401, { 'content-type': 'text/plain' }).end('no token\n');
  });
  admin = createServer((req, res) => {
    seenByAdmin.push(req.headers['x-user-name'] as string | undefined);
    res.end(`admin ${req.url}\n`);
  });
  user = createServer((req, res) => res.end(`user ${req.url}\n`));
  const [authPort, adminPort, userPort] = await Promise.all([listen(auth), listen(admin), listen(user)]);
  portico = await startPortico(
    {
      entryPoints: { web: { address: '127.0.0.1:0' }, websecure: { address: '127.0.0.1:0' }, portico: { address: '127.0.0.1:0' } },
      api: { insecure: true },
    },
    {
      'layers.yaml': `
http:
  routers:
    api-parent:
      rule: "PathPrefix(\`/api\`)"
      middlewares:
        - auth-middleware
      entryPoints:
        - websecure
      tls: {}
    api-admin:
      rule: "HeaderRegexp(\`X-User-Role\`, \`admin\`)"
      service: admin-service
      parentRefs:
        - api-parent
    api-user:
      rule: "HeaderRegexp(\`X-User-Role\`, \`user\`)"
      service: user-service
      parentRefs:
        - api-parent
  middlewares:
    auth-middleware:
      forwardAuth:
        address: "http://127.0.0.1:${authPort}/auth"
        authResponseHeaders:
          - X-User-Role
          - X-User-Name
  services:
    admin-service:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:${adminPort}"
    user-service:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:${userPort}"
`,
      'broken.yaml': `
http:
  routers:
    root:
      rule: "Host(\`broken.test\`)"
      entryPoints: [web]
    child-with-entrypoints:
      rule: "Path(\`/a\`)"
      service: user-service@file
      entryPoints: [web]
      parentRefs: [root]
    orphan:
      rule: "Path(\`/b\`)"
      service: user-service@file
      parentRefs: [nobody]
    parent-with-service:
      rule: "Host(\`both.test\`)"
      service: user-service@file
      entryPoints: [web]
    child-of-served:
      rule: "Path(\`/c\`)"
      service: user-service@file
      parentRefs: [parent-with-service]
    loop-a:
      rule: "Path(\`/d\`)"
      parentRefs: [loop-b]
    loop-b:
      rule: "Path(\`/e\`)"
      parentRefs: [loop-a]
`,
    },
  );
});

afterAll(async () => {
  await portico?.stop();
  for (const s of [auth, admin, user]) s?.close();
});

const get = (path: string, token?: string, extra: string[] = []) =>
  curl([...extra, ...(token ? ['-H', `authorization: Bearer ${token}`] : []), `https://127.0.0.1:${portico.port('websecure')}${path}`]);

describe('the documented authentication-based example', () => {
  test('the parent authenticates; the child chosen by the header it added serves, over h1 and h2', async () => {
    for (const proto of [['--http1.1'], ['--http2']]) {
      expect(await get('/api/reports', 'admin-token', proto)).toMatchObject({ status: 200, body: 'admin /api/reports\n' });
      expect(await get('/api/me', 'user-token', proto)).toMatchObject({ status: 200, body: 'user /api/me\n' });
    }
    expect(seenByAdmin.at(-1)).toBe('ada');
  });

  test("the parent's middleware answers first; no matching child is 404; outside the parent's rule is 404", async () => {
    expect((await get('/api/reports')).status).toBe(401);
    expect((await get('/api/reports', 'guest-token')).status).toBe(404);
    expect((await get('/other', 'admin-token')).status).toBe(404);
  });

  test("a client cannot pick a child by sending the header the parent's middleware sets", async () => {
    const r = await get('/api/reports', 'user-token', ['-H', 'x-user-role: admin']);
    expect(r).toMatchObject({ status: 200, body: 'user /api/reports\n' });
  });

  test("children take the parent's entrypoint and TLS: nothing in clear, on any entrypoint", async () => {
    const clear = await curl(['-H', 'authorization: Bearer admin-token', `http://127.0.0.1:${portico.port('web')}/api/reports`]);
    expect(clear.status).toBe(404);
  });

  test('the API shows the tree: children enabled on the parent entrypoints with its TLS', async () => {
    const routers = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/http/routers?per_page=100`])).body) as Array<{
      name: string;
      status: string;
      using?: string[];
      parentRefs?: string[];
      tls?: unknown;
      error?: string[];
    }>;
    const byName = new Map(routers.map((r) => [r.name, r]));
    expect(byName.get('api-parent@file')).toMatchObject({ status: 'enabled', using: ['websecure'] });
    expect(byName.get('api-admin@file')).toMatchObject({
      status: 'enabled',
      using: ['websecure'],
      parentRefs: ['api-parent@file'],
      tls: { options: 'default' },
    });
    expect(byName.get('api-user@file')).toMatchObject({ status: 'enabled', using: ['websecure'] });
  });
});

describe('bad trees are refused router by router, naming the field', () => {
  const routerErrors = async () => {
    const routers = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/http/routers?per_page=100`])).body) as Array<{
      name: string;
      status: string;
      error?: string[];
    }>;
    return new Map(routers.map((r) => [r.name, r]));
  };

  test('each broken router is disabled with its reason; the working tree still serves', async () => {
    const r = await routerErrors();
    const errorOf = (name: string) => (r.get(`${name}@file`)?.error ?? []).join('\n');
    expect(r.get('child-with-entrypoints@file')?.status).toBe('disabled');
    expect(errorOf('child-with-entrypoints')).toMatch(/entryPoints: a child router \(with parentRefs\) takes the entrypoints of its parents/);
    expect(errorOf('root')).toMatch(/parentRefs: none of its child routers \(child-with-entrypoints@file\) can serve/);
    expect(errorOf('orphan')).toMatch(/parentRefs\[0\]: no router named "nobody@file"/);
    expect(errorOf('parent-with-service')).toMatch(/service: a router with child routers \(child-of-served@file\) cannot have a service/);
    expect(errorOf('loop-a')).toMatch(/no root router reaches this router/);
    expect(errorOf('loop-b')).toMatch(/no root router reaches this router/);
    expect((await get('/api/me', 'user-token')).status).toBe(200);
  });
});
