/**
 * End to end over real sockets: curl (h1, h2) and Node clients through a TLS
 * entrypoint to a real HTTP/1.1 backend, configured by the file provider.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http2 from 'node:http2';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let backend: Backend;
let backend2: Backend;
let p: number;
let web: number;

const routes = (b1: string, b2: string) => `
http:
  routers:
    app:
      rule: Host(\`app.test\`)
      service: app
    admin:
      rule: Host(\`app.test\`) && PathPrefix(\`/admin\`)
      service: admin
    down:
      rule: Host(\`down.test\`)
      service: down
    slow:
      rule: Host(\`slow.test\`)
      service: slow
    nohost:
      rule: Host(\`nohost.test\`)
      service: app-nohost
  services:
    app:
      loadBalancer:
        servers: [{ url: "${b1}", weight: 3 }, { url: "${b2}", weight: 1 }]
    admin:
      loadBalancer:
        servers: [{ url: "${b2}" }]
    app-nohost:
      loadBalancer:
        passHostHeader: false
        servers: [{ url: "${b1}" }]
    down:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:1" }]
    slow:
      loadBalancer:
        serversTransport: quick
        servers: [{ url: "${b1}" }]
  serversTransports:
    quick:
      forwardingTimeouts: { responseHeaderTimeout: 300ms }
`;

beforeAll(async () => {
  backend = await startBackend('b1');
  backend2 = await startBackend('b2');
  portico = await startPortico(
    {
      entryPoints: {
        web: { address: '127.0.0.1:0', http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https' } } } },
        websecure: { address: '127.0.0.1:0', http: { tls: {} } },
      },
    },
    { 'routes.yaml': routes(backend.url, backend2.url) },
  );
  await portico.server.nextApply(1);
  p = portico.port('websecure');
  web = portico.port('web');
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
  await backend2?.close();
});

const at = (host: string) => ['--resolve', `${host}:${p}:127.0.0.1`];

describe('proxying h1 and h2', () => {
  test('curl over HTTP/1.1 and HTTP/2 reach the backend with forwarding headers', async () => {
    for (const flag of ['--http1.1', '--http2']) {
      const r = await curl([flag, ...at('app.test'), `https://app.test:${p}/hello?x=1`, '-H', 'X-Forwarded-For: 6.6.6.6']);
      expect(r.status).toBe(200);
      expect(r.httpVersion).toBe(flag === '--http2' ? '2' : '1.1');
      const echo = JSON.parse(r.body);
      expect(echo.url).toBe('/hello?x=1');
      expect(echo.headers.host).toBe(`app.test:${p}`);
      // Untrusted client: its X-Forwarded-For is replaced, not appended to.
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echo.headers['x-real-ip']).toBe('127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('https');
      expect(echo.headers['x-forwarded-host']).toBe(`app.test:${p}`);
      expect(echo.headers['x-forwarded-port']).toBe(String(p));
      // Hop-by-hop response headers and those named by Connection are stripped.
      expect(r.headers['x-hop']).toBeUndefined();
      expect(r.headers['keep-alive'] ?? []).not.toContain('timeout=5');
    }
  });

  test('more specific rule wins by default priority (rule length)', async () => {
    const r = await curl([...at('app.test'), `https://app.test:${p}/admin/x`]);
    expect(JSON.parse(r.body).name).toBe('b2');
  });

  test('path tricks cannot reach another route: /a/../admin and %2e%2e go to the admin router', async () => {
    for (const path of ['/a/../admin/x', '/a/%2e%2e/admin/x', '//admin/x', '/./admin/x']) {
      const r = await curl(['--path-as-is', ...at('app.test'), `https://app.test:${p}${path}`]);
      expect(r.status, path).toBe(200);
      const echo = JSON.parse(r.body);
      expect(echo.name, path).toBe('b2');
      expect(echo.url, path).toBe('/admin/x');
    }
  });

  test('smooth weighted round robin spreads 3:1', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await curl([...at('app.test'), `https://app.test:${p}/rr`]);
      seen.push(JSON.parse(r.body).name);
    }
    expect(seen.filter((n) => n === 'b1').length).toBe(6);
    expect(seen.filter((n) => n === 'b2').length).toBe(2);
  });

  test('passHostHeader false sends the backend host', async () => {
    const r = await curl([...at('nohost.test'), `https://nohost.test:${p}/`]);
    expect(JSON.parse(r.body).headers.host).toBe(`127.0.0.1:${backend.port}`);
  });

  test('errors: no router 404, backend down 502, response header timeout 504, bodies leak nothing', async () => {
    const nf = await curl([...at('nothing.test'), `https://nothing.test:${p}/`]);
    expect(nf.status).toBe(404);
    expect(nf.body).toBe('404 Not Found\n');
    const down = await curl([...at('down.test'), `https://down.test:${p}/`]);
    expect(down.status).toBe(502);
    expect(down.body).toBe('502 Bad Gateway\n');
    const slow = await curl([...at('slow.test'), `https://slow.test:${p}/slow?ms=2000`]);
    expect(slow.status).toBe(504);
    expect(slow.body).toBe('504 Gateway Timeout\n');
  });

  test('POST bodies stream to the backend, with 100-continue answered by us', async () => {
    const r = await curl([...at('app.test'), `https://app.test:${p}/upload`, '--http1.1', '-H', 'Expect: 100-continue', '--data-binary', 'x'.repeat(2048)]);
    expect(r.status).toBe(200);
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http2.connect(`https://127.0.0.1:${p}`, { rejectUnauthorized: false, servername: 'app.test' });
      const s = req.request({ ':method': 'POST', ':path': '/upload', ':authority': `app.test:${p}` });
      let body = '';
      let status = 0;
      s.on('response', (h) => (status = Number(h[':status'])));
      s.on('data', (c) => (body += c));
      s.on('end', () => {
        req.close();
        resolve({ status, body });
      });
      s.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 32) {
          sent++;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    expect(big.status).toBe(200);
    expect(JSON.parse(big.body).bodyBytes).toBe(32 * 1024 * 1024);
  });

  test('100 Continue is sent only once routing let the request through to a backend (ex.continueRequest)', async () => {
    // Raw h1 over TLS: the client holds its body back until it sees the interim response, as curl does for a second.
    const exchange = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: p, servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
        let seen = '';
        let bodySent = false;
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no complete answer; got ${JSON.stringify(seen)}`));
        }, 10_000);
        socket.once('secureConnect', () =>
          socket.write(`POST /upload HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n`),
        );
        socket.on('data', (c: Buffer) => {
          seen += c.toString('latin1');
          if (!bodySent && seen.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
            bodySent = true;
            socket.write('hello');
          }
        });
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(seen);
        });
        socket.once('error', reject);
      });
    const routed = await exchange('app.test');
    expect(routed.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ')).toBe(true);
    expect(routed.split('HTTP/1.1 100 ').length).toBe(2); // one interim response, not two
    expect(routed).toContain('"bodyBytes":5,'); // the backend's echo: the body followed the 100
    // No router: answered 404 at once, the body never invited.
    const refused = await exchange('nowhere.test');
    expect(refused.startsWith('HTTP/1.1 404 ')).toBe(true);
  });

  test('response trailers pass through over h2', async () => {
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const c = http2.connect(`https://127.0.0.1:${p}`, { rejectUnauthorized: false, servername: 'app.test' });
      const s = c.request({ ':path': '/trailers', ':authority': `app.test:${p}`, te: 'trailers' });
      s.on('trailers', (t) => {
        c.close();
        resolve(t);
      });
      s.on('error', reject);
      s.resume();
    });
    expect(trailers['x-checksum']).toBe('abc123');
  });

  test('request trailers reach an HTTP/1.1 backend, from h1 chunked and from h2, with the body streamed', async () => {
    // h1: a chunked upload that announces and sends a trailer.
    const viaH1 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: p,
          path: '/upload-h1',
          method: 'POST',
          servername: 'app.test',
          rejectUnauthorized: false,
          headers: { host: 'app.test', trailer: 'x-digest', 'content-type': 'application/octet-stream' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(64 * 1024, i));
      req.addTrailers({ 'x-digest': 'sha-256=:abc:' });
      req.end();
    });
    expect(viaH1.status).toBe(200);
    const h1 = JSON.parse(viaH1.body);
    expect(h1.bodyBytes).toBe(256 * 1024);
    expect(h1.trailers).toEqual({ 'x-digest': 'sha-256=:abc:' });
    expect(h1.headers.trailer).toBe('x-digest');
    expect(h1.headers['transfer-encoding']).toBe('chunked');

    // h2: DATA frames then a trailing HEADERS frame; a Content-Length the client sent is re-framed as chunked.
    const viaH2 = await new Promise<string>((resolve, reject) => {
      const c = http2.connect(`https://127.0.0.1:${p}`, { rejectUnauthorized: false, servername: 'app.test' });
      const s = c.request(
        { ':method': 'POST', ':path': '/upload-h2', ':authority': `app.test:${p}`, trailer: 'x-checksum, x-count', 'content-length': '100000' },
        { waitForTrailers: true },
      );
      s.on('wantTrailers', () => s.sendTrailers({ 'x-checksum': 'c0ffee', 'x-count': '1' }));
      let body = '';
      s.on('data', (d) => (body += d));
      s.on('end', () => {
        c.close();
        resolve(body);
      });
      s.on('error', reject);
      s.end(Buffer.alloc(100_000, 7));
    });
    const h2 = JSON.parse(viaH2);
    expect(h2.bodyBytes).toBe(100_000);
    expect(h2.trailers).toEqual({ 'x-checksum': 'c0ffee', 'x-count': '1' });

    // Without a Trailer announcement the request takes the usual (undici) path and keeps its framing.
    const plain = await curl([...at('app.test'), `https://app.test:${p}/plain-post`, '--data-binary', 'hello']);
    expect(JSON.parse(plain.body)).toMatchObject({ bodyBytes: 5, trailers: {} });
    expect(JSON.parse(plain.body).headers['content-length']).toBe('5');
  });

  test('plain entrypoint redirects to https on the websecure port', async () => {
    const r = await new Promise<http.IncomingMessage>((resolve) =>
      http.get({ host: '127.0.0.1', port: web, path: '/x?y=1', headers: { host: 'app.test' } }, resolve),
    );
    expect(r.statusCode).toBe(301);
    expect(r.headers.location).toBe(`https://app.test:${p}/x?y=1`);
  });

  test('an absolute-form request-target names the authority (RFC 9112 3.2.2: Host is ignored); * is only for OPTIONS', async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: p, rejectUnauthorized: false, servername: 'app.test', ALPNProtocols: ['http/1.1'] }, () =>
          s.write(request),
        );
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('close', () => resolve(data));
        s.on('error', () => resolve(data));
      });
    // Host says nohost.test (its router would take it); the target says app.test/admin: the admin router answers, and its backend sees app.test.
    const admin = await raw(`GET https://app.test:${p}/admin/abs HTTP/1.1\r\nHost: nohost.test\r\nConnection: close\r\n\r\n`);
    expect(admin).toMatch(/^HTTP\/1\.1 200/);
    const echoed = JSON.parse(admin.slice(admin.indexOf('{'), admin.lastIndexOf('}') + 1));
    expect(echoed).toMatchObject({ name: 'b2', url: '/admin/abs' });
    expect(echoed.headers.host).toBe(`app.test:${p}`);
    expect(echoed.headers['x-forwarded-host']).toBe(`app.test:${p}`);
    expect(await raw('GET * HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
  });

  test('malformed requests get 400 and are counted', async () => {
    const raw = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: p, rejectUnauthorized: false, servername: 'app.test', ALPNProtocols: ['http/1.1'] }, () => {
        s.write('GET / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      });
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    const metrics = await portico.server.metrics.registry.getSingleMetricAsString('portico_malformed_requests_total');
    expect(metrics).toMatch(/portico_malformed_requests_total\{entrypoint="websecure",kind="[A-Z_]+"\} [1-9]/);
  });
});
