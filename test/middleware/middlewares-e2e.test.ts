/**
 * Every built-in middleware through a real Portico (curl as the client,
 * whoami@internal or a real backend behind), plus validation errors naming
 * the middleware and field, and plugins loaded from compiled modules.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { apr1, verifyPassword } from '../../src/middleware/basic-auth/htpasswd.js';
import { MiddlewareRegistry } from '../../src/middleware/registry.js';

let p: Harness;
let backend: Backend;
/** A backend that sends HTML in chunks with neither Content-Type nor Content-Length. */
let untyped: Server;
const page = '<!DOCTYPE html><html><body>' + 'hello portico '.repeat(400) + '</body></html>';
let port: number;
const apr = execFileSync('openssl', ['passwd', '-apr1', '-salt', 'xyz12345', 's3cret'], { encoding: 'utf8' }).trim();
const bc = bcrypt.hashSync('hunter2', 4).replace(/^\$2b\$/, '$2y$');
const sha = '{SHA}' + createHash('sha1').update('pa55').digest('base64');

beforeAll(async () => {
  backend = await startBackend('mw');
  untyped = createServer((_req, res) => {
    res.writeHead(200);
    res.write(page.slice(0, 100));
    setTimeout(() => res.end(page.slice(100)), 10);
  }).listen(0, '127.0.0.1');
  await once(untyped, 'listening');
  p = await startPortico(
    {
      entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } },
      experimental: {
        plugins: {
          requestId: { module: resolve('dist/plugins/examples/request-id/index.js') },
          maintenance: { module: resolve('dist/plugins/examples/maintenance-page/index.js') },
        },
      },
    },
    {
      'mw.yaml': `
http:
  routers:
    auth: { rule: PathPrefix(\`/auth\`), service: whoami@internal, middlewares: [auth] }
    strip: { rule: PathPrefix(\`/api\`), service: be, middlewares: [strip, add] }
    rewrite: { rule: PathPrefix(\`/old\`), service: be, middlewares: [rewrite] }
    cors: { rule: PathPrefix(\`/cors\`), service: be, middlewares: [cors] }
    deny: { rule: PathPrefix(\`/deny\`), service: be, middlewares: [only-ten] }
    limited: { rule: PathPrefix(\`/limited\`), service: be, middlewares: [slow-down] }
    zip: { rule: PathPrefix(\`/data\`), service: whoami@internal, middlewares: [zip] }
    small: { rule: PathPrefix(\`/small\`), service: whoami@internal, middlewares: [zip] }
    chained: { rule: PathPrefix(\`/chained\`), service: be, middlewares: [both] }
    buffered: { rule: PathPrefix(\`/buffered\`), service: be, middlewares: [tiny-body] }
    redir: { rule: PathPrefix(\`/go\`), service: be, middlewares: [to-docs] }
    plugin: { rule: PathPrefix(\`/plugin\`), service: be, middlewares: [rid] }
    maint: { rule: PathPrefix(\`/maint\`), service: be, middlewares: [down] }
    sniffed: { rule: PathPrefix(\`/sniffed\`), service: untyped, middlewares: [zip, sniff] }
  services:
    be: { loadBalancer: { servers: [{ url: "${backend.url}" }] } }
    untyped: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${(untyped.address() as { port: number }).port}" }] } }
  middlewares:
    auth: { basicAuth: { users: ["alice:${apr}", "bob:${bc}", "carol:${sha}"], headerField: X-Auth-User, removeHeader: true } }
    strip: { stripPrefix: { prefixes: [/api/v1, /api] } }
    add: { addPrefix: { prefix: /v2 } }
    rewrite: { replacePathRegex: { regex: "^/old/(.*)", replacement: "/new/$1" } }
    cors: { headers: { accessControlAllowOriginList: ["https://app.example"], accessControlAllowMethods: [GET, PUT], accessControlAllowHeaders: [X-Token], accessControlMaxAge: 600, addVaryHeader: true, customResponseHeaders: { X-Backend: "" , X-Added: yes } } }
    only-ten: { ipAllowList: { sourceRange: [10.0.0.0/8] } }
    slow-down: { rateLimit: { average: 1, period: 10s, burst: 2 } }
    zip: { compress: {} }
    both: { chain: { middlewares: [strip, add] } }
    tiny-body: { buffering: { maxRequestBodyBytes: 10 } }
    to-docs: { redirectRegex: { regex: "^https://([^/]+)/go/(.*)", replacement: "https://docs.example/$2", permanent: true } }
    rid: { requestId: {} }
    sniff: { contentType: {} }
    down: { maintenancePage: { bypassHeader: X-Operator, bypassValue: "yes" } }
`,
    },
  );
  await p.server.nextApply(1);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  await backend?.close();
  untyped?.close();
});

const url = (path: string) => `https://127.0.0.1:${port}${path}`;
const echo = async (path: string, args: string[] = []) => JSON.parse((await curl([...args, url(path)])).body);

describe('built-in middlewares end to end', () => {
  test('basicAuth: apr1, bcrypt ($2y$) and {SHA}; wrong password 401 with a challenge; header forwarded, credentials removed', async () => {
    expect(verifyPassword('s3cret', apr)).toBe(true);
    expect(apr1('s3cret', 'xyz12345')).toBe(apr);
    for (const [u, pw] of [
      ['alice', 's3cret'],
      ['bob', 'hunter2'],
      ['carol', 'pa55'],
    ]) {
      const r = await curl(['-u', `${u}:${pw}`, url('/auth')]);
      expect(r.status, u).toBe(200);
      expect(r.body).toMatch(new RegExp(`X-Auth-User: ${u}`));
      expect(r.body).not.toMatch(/Authorization:/);
    }
    const bad = await curl(['-u', 'alice:wrong', url('/auth')]);
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toEqual(['Basic realm="portico"']);
    expect((await curl([url('/auth')])).status).toBe(401);
  });

  test('stripPrefix (first listed match) then addPrefix; X-Forwarded-Prefix set', async () => {
    const e = await echo('/api/v1/users?x=1');
    expect(e.url).toBe('/v2/users?x=1');
    expect(e.headers['x-forwarded-prefix']).toBe('/api/v1');
    expect((await echo('/chained/../api/things')).url).toBe('/v2/things');
  });

  test('replacePathRegex keeps the original in X-Replaced-Path', async () => {
    const e = await echo('/old/a/b?q');
    expect(e.url).toBe('/new/a/b?q');
    expect(e.headers['x-replaced-path']).toBe('/old/a/b');
  });

  test('headers: CORS preflight answered here, actual response decorated, custom response headers set and removed', async () => {
    const pre = await curl(['-X', 'OPTIONS', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: PUT', url('/cors')]);
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    expect(pre.headers['access-control-allow-methods']).toEqual(['GET,PUT']);
    expect(pre.headers['access-control-max-age']).toEqual(['600']);
    const before = backend.requests;
    const actual = await curl(['-H', 'Origin: https://app.example', url('/cors')]);
    expect(backend.requests).toBe(before + 1);
    expect(actual.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    expect(actual.headers.vary).toEqual(['Origin']);
    expect(actual.headers['x-added']).toEqual(['yes']);
    expect(actual.headers['x-backend']).toBeUndefined();
    const other = await curl(['-H', 'Origin: https://evil.example', url('/cors')]);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('ipAllowList refuses 127.0.0.1 with 403', async () => {
    expect((await curl([url('/deny')])).status).toBe(403);
  });

  test('rateLimit: burst of 2 then 429 with Retry-After', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await curl([url('/limited')]));
    expect(codes.map((c) => c.status)).toEqual([200, 200, 429, 429]);
    expect(Number(codes[2]!.headers['retry-after']?.[0])).toBeGreaterThan(0);
  });

  test('compress: gzip and br negotiated, streamed body decodes to the original; small bodies untouched', async () => {
    const gz = await curl(['--compressed', '-H', 'Accept-Encoding: gzip', url('/data?size=300000')]);
    expect(gz.headers['content-encoding']).toEqual(['gzip']);
    expect(gz.body.length).toBe(300000);
    const br = await curl(['-H', 'Accept-Encoding: br', '-o', '/dev/null', '-w', '%{size_download}', url('/data?size=300000')]);
    expect(br.headers['content-encoding']).toEqual(['br']);
    const small = await curl(['-H', 'Accept-Encoding: gzip', url('/small')]);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  test('contentType sniffs an untyped chunked body, then compress (outer) gzips it: over h2 to curl', async () => {
    const r = await curl(['--compressed', '-H', 'Accept-Encoding: gzip', url('/sniffed')]);
    expect(r.status).toBe(200);
    expect(r.httpVersion).toBe('2');
    expect(r.headers['content-type']).toEqual(['text/html; charset=utf-8']);
    expect(r.headers['content-encoding']).toEqual(['gzip']);
    expect(r.body).toBe(page);
  });

  test('buffering refuses bodies over maxRequestBodyBytes with 413', async () => {
    expect((await curl(['--data-binary', 'x'.repeat(11), url('/buffered')])).status).toBe(413);
    expect(JSON.parse((await curl(['--data-binary', 'x'.repeat(5), url('/buffered')])).body).bodyBytes).toBe(5);
  });

  test('redirectRegex with groups, permanent', async () => {
    const r = await curl([url('/go/x/y')]);
    expect(r.status).toBe(301);
    expect(r.headers.location).toEqual(['https://docs.example/x/y']);
  });

  test('plugins: request-id and maintenance-page loaded from compiled modules', async () => {
    const r = await curl([url('/plugin')]);
    const id = r.headers['x-request-id']?.[0];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(r.body).headers['x-request-id']).toBe(id);
    const m = await curl([url('/maint')]);
    expect(m.status).toBe(503);
    expect(m.headers['retry-after']).toEqual(['120']);
    expect((await curl(['-H', 'X-Operator: yes', url('/maint')])).status).toBe(200);
  });
});

describe('middleware validation', () => {
  const registry = new MiddlewareRegistry();
  const compile = (def: Record<string, unknown>) => {
    const r = registry.compileMiddleware('m@file', def as never, {
      resolve: () => {
        throw new Error('nope');
      },
      onDispose: () => {},
    });
    return 'errors' in r ? r.errors.map(([f, m]) => `${f}: ${m}`) : [];
  };
  test('field paths and messages', () => {
    expect(compile({ stripPrefx: {} })[0]).toMatch(/^http.middlewares.m@file.stripPrefx: unknown middleware type "stripPrefx"; known: .*stripPrefix/);
    expect(compile({ stripPrefix: {} })).toEqual(['http.middlewares.m@file.stripPrefix.prefixes: is required']);
    expect(compile({ stripPrefix: { prefixes: ['/a'], prefixs: [] } })).toEqual(['http.middlewares.m@file.stripPrefix.prefixs: unknown field']);
    expect(compile({ ipAllowList: { sourceRange: ['10.0.0.0/99'] } })).toEqual([
      'http.middlewares.m@file.ipAllowList.sourceRange[0]: "10.0.0.0/99": prefix length must be 0..32',
    ]);
    expect(compile({ basicAuth: { users: ['alice:plaintext'] } })).toEqual([
      'http.middlewares.m@file.basicAuth.users[0]: unsupported hash: use bcrypt ($2y$), apr1 ($apr1$) or {SHA}',
    ]);
    expect(compile({ rateLimit: { average: 1, period: 'soon' } })[0]).toMatch(/^http.middlewares.m@file.rateLimit.period: .*cannot parse/);
    expect(compile({ chain: { middlewares: ['x'] } })).toEqual(['http.middlewares.m@file.chain: nope']);
    expect(compile({ headers: {}, compress: {} })[0]).toMatch(/exactly one type/);
  });
});
