/**
 * forwardAuth through a real Portico, with the authentication server a real
 * separate process (node, its own event loop and sockets) and a real backend:
 * over h1 and h2 with curl, over h3 with the quiche client. The auth server
 * decides by the Authorization header and can answer with what it received.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { h3Request } from '../support/h3-request.js';
import { problems } from '../support/compile.js';

const AUTH_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const auth = req.headers.authorization;
    if (auth === 'Bearer good') {
      res.writeHead(200, { 'X-Auth-User': 'alice', 'X-Auth-Role': 'admin', 'X-Ignored': 'no', 'X-Grant-Team': 'blue',
        'Set-Cookie': ['session=from-auth; Path=/', 'tracking=auth-only'] });
      return res.end();
    }
    if (auth === 'Bearer redirect') {
      res.writeHead(302, { Location: '/login?next=1' });
      return res.end('go log in');
    }
    if (auth === 'Bearer echo') {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    }
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="auth"', 'X-Reason': 'nope', 'Content-Type': 'text/plain' });
    res.end('denied by the auth server');
  });
});
server.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
`;

let auth: ChildProcess;
let authPort: number;
let backend: http.Server;
let backendRequests = 0;
let p: Harness;
let port: number;

beforeAll(async () => {
  auth = spawn(process.execPath, ['-e', AUTH_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  authPort = await new Promise<number>((resolve, reject) => {
    auth.stdout!.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    auth.once('exit', (code) => reject(new Error(`auth server exited (${code})`)));
  });
  backend = http.createServer((req, res) => {
    backendRequests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['session=from-backend', 'theme=dark'] });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const be = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const authUrl = `http://127.0.0.1:${authPort}/verify`;
  p = await startPortico(
    // The entrypoint keeps the client's X-Forwarded-* so trustForwardHeader has something to trust.
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true }, forwardedHeaders: { insecure: true } } } },
    {
      'auth.yaml': `
http:
  routers:
    fa: { rule: PathPrefix(\`/app\`), service: be, middlewares: [fa] }
    body: { rule: PathPrefix(\`/body\`), service: be, middlewares: [fa-body] }
    trusting: { rule: PathPrefix(\`/trust\`), service: be, middlewares: [fa-trust] }
  services:
    be: { loadBalancer: { servers: [{ url: "${be}" }] } }
  middlewares:
    fa:
      forwardAuth:
        address: "${authUrl}"
        authResponseHeaders: [X-Auth-User, X-Auth-Role]
        authResponseHeadersRegex: "^X-Grant-"
        authRequestHeaders: [Authorization, X-Keep]
        addAuthCookiesToResponse: [session]
    fa-body:
      forwardAuth: { address: "${authUrl}", forwardBody: true, maxBodySize: 16, preserveRequestMethod: true }
    fa-trust:
      forwardAuth: { address: "${authUrl}", trustForwardHeader: true, preserveLocationHeader: true }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  backend?.close();
  auth?.kill('SIGTERM');
});

const url = (path: string) => `https://127.0.0.1:${port}${path}`;

describe('forwardAuth end to end', () => {
  for (const version of ['--http1.1', '--http2'] as const) {
    test(`${version}: 2xx lets the request through with the granted headers; the client cannot forge them; auth cookies replace the backend's`, async () => {
      const r = await curl([version, '-H', 'Authorization: Bearer good', '-H', 'X-Auth-User: mallory', '-H', 'X-Grant-Team: red', url('/app/page?q=1')]);
      expect(r.status).toBe(200);
      expect(r.httpVersion).toBe(version === '--http2' ? '2' : '1.1');
      const seen = JSON.parse(r.body);
      expect(seen.url).toBe('/app/page?q=1');
      expect(seen.headers['x-auth-user']).toBe('alice');
      expect(seen.headers['x-auth-role']).toBe('admin');
      expect(seen.headers['x-grant-team']).toBe('blue');
      expect(seen.headers['x-ignored']).toBeUndefined();
      expect(r.headers['set-cookie']).toEqual(['theme=dark', 'session=from-auth; Path=/']);
    });

    test(`${version}: a non-2xx answer reaches the client as is, and the backend is not called`, async () => {
      const before = backendRequests;
      const r = await curl([version, '-H', 'Authorization: Bearer bad', url('/app/x')]);
      expect(r.status).toBe(401);
      expect(r.body).toBe('denied by the auth server');
      expect(r.headers['www-authenticate']).toEqual(['Bearer realm="auth"']);
      expect(r.headers['x-reason']).toEqual(['nope']);
      const redirect = await curl([version, '-H', 'Authorization: Bearer redirect', url('/app/x')]);
      expect(redirect.status).toBe(302);
      expect(redirect.headers.location).toEqual([`http://127.0.0.1:${authPort}/login?next=1`]);
      expect(redirect.body).toBe('go log in');
      expect(backendRequests).toBe(before);
      // preserveLocationHeader keeps it relative.
      expect((await curl([version, '-H', 'Authorization: Bearer redirect', url('/trust')])).headers.location).toEqual(['/login?next=1']);
    });

    test(`${version}: the auth request carries X-Forwarded-*, only authRequestHeaders, GET and no body by default`, async () => {
      const r = await curl([
        version,
        '-X',
        'POST',
        '-d',
        'payload',
        '-H',
        'Authorization: Bearer echo',
        '-H',
        'X-Keep: k',
        '-H',
        'X-Drop: d',
        '-H',
        'X-Forwarded-Uri: /forged',
        url('/app/form?a=b'),
      ]);
      expect(r.status).toBe(403);
      const seen = JSON.parse(r.body);
      expect(seen.method).toBe('GET');
      expect(seen.url).toBe('/verify');
      expect(seen.body).toBe('');
      expect(seen.headers).toMatchObject({
        'x-forwarded-method': 'POST',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': `127.0.0.1:${port}`,
        'x-forwarded-uri': '/app/form?a=b',
        'x-forwarded-for': '127.0.0.1',
        'x-keep': 'k',
        authorization: 'Bearer echo',
      });
      expect(seen.headers['x-drop']).toBeUndefined();
    });
  }

  test("trustForwardHeader believes the client's X-Forwarded-*; without it they are replaced", async () => {
    const r = await curl([
      '-H',
      'Authorization: Bearer echo',
      '-H',
      'X-Forwarded-Uri: /original',
      '-H',
      'X-Forwarded-For: 10.1.2.3',
      '-H',
      'X-Forwarded-Proto: http',
      url('/trust/x'),
    ]);
    const seen = JSON.parse(r.body);
    expect(seen.headers['x-forwarded-uri']).toBe('/original');
    expect(seen.headers['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
  });

  test('forwardBody sends the body (and preserveRequestMethod the method) to the auth server, and the backend still gets it; over maxBodySize: 401', async () => {
    const echoed = JSON.parse((await curl(['-X', 'PUT', '-d', 'small body', '-H', 'Authorization: Bearer echo', url('/body')])).body);
    expect(echoed.method).toBe('PUT');
    expect(echoed.body).toBe('small body');
    const through = JSON.parse((await curl(['-X', 'PUT', '-d', 'small body', '-H', 'Authorization: Bearer good', url('/body')])).body);
    expect(through.body).toBe('small body');
    expect((await curl(['-X', 'PUT', '-d', 'x'.repeat(17), '-H', 'Authorization: Bearer good', url('/body')])).status).toBe(401);
  });

  test('h3: granted, refused as is, and the auth request described', async () => {
    const ok = await h3Request(port, '/app/h3', { headers: [['authorization', 'Bearer good']] });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString()).headers['x-auth-user']).toBe('alice');
    const refused = await h3Request(port, '/app/h3', { headers: [['authorization', 'Bearer bad']] });
    expect(refused.status).toBe(401);
    expect(refused.body.toString()).toBe('denied by the auth server');
    expect(refused.headers['x-reason']).toEqual(['nope']);
    const echoed = JSON.parse((await h3Request(port, '/app/h3?z=1', { headers: [['authorization', 'Bearer echo']] })).body.toString());
    expect(echoed.headers['x-forwarded-uri']).toBe('/app/h3?z=1');
    expect(echoed.headers['x-forwarded-proto']).toBe('https');
  });

  test('the auth server down: 500, and Portico keeps serving', async () => {
    const dead = await startPortico(
      { entryPoints: { web: { address: '127.0.0.1:0' } } },
      {
        'dead.yaml': `
http:
  routers:
    r: { rule: PathPrefix(\`/\`), service: whoami@internal, middlewares: [fa] }
  middlewares:
    fa: { forwardAuth: { address: "http://127.0.0.1:1/auth" } }
`,
      },
    );
    try {
      await dead.server.nextApply(1);
      const r = await curl([`http://127.0.0.1:${dead.port('web')}/`]);
      expect(r.status).toBe(500);
      expect((await curl([`http://127.0.0.1:${dead.port('web')}/`])).status).toBe(500);
    } finally {
      await dead.stop();
    }
  });

  test('options are checked; unsupported Traefik keys are refused by name', () => {
    expect(problems('forwardAuth', {})).toEqual(['http.middlewares.m.forwardAuth.address: is required']);
    expect(problems('forwardAuth', { address: 'not a url' })).toEqual(['http.middlewares.m.forwardAuth.address: not a URL: "not a url"']);
    expect(problems('forwardAuth', { address: 'ftp://x/' })).toEqual(['http.middlewares.m.forwardAuth.address: must be http:// or https://, not ftp:']);
    expect(problems('forwardAuth', { address: 'http://x/', authResponseHeadersRegex: '(' })[0]).toMatch(/authResponseHeadersRegex: /);
    expect(problems('forwardAuth', { address: 'http://x/', tls: { cert: '/c' } })).toEqual([
      'http.middlewares.m.forwardAuth.tls.key: tls.cert and tls.key go together',
    ]);
    expect(problems('forwardAuth', { address: 'http://x/', tls: { ca: '/nonexistent/ca.pem' } })[0]).toMatch(/tls\.ca: .*ENOENT/);
    expect(problems('forwardAuth', { address: 'http://x/', headerField: 'X-User' })[0]).toMatch(/headerField/);
    expect(problems('forwardAuth', { address: 'http://x/', tls: { caOptional: true } })[0]).toMatch(/caOptional/);
  });
});
