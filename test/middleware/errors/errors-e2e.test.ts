/**
 * errors through a real Portico with real backends, over h1 and h2 (curl) and
 * h3 (quiche client): 404 and a 5xx range caught, the page fetched from
 * another service with {status}, {originalStatus} and {url} filled in and the
 * client's headers, served under the original status or its rewrite; other
 * statuses untouched; HEAD gets the head alone; an error service that is down
 * or silent still gives the client the original status.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { freePort } from '../../support/free-port.js';
import { h3Request } from '../support/h3-request.js';
import { listenLoopback } from '../support/listen-loopback.js';

const PROTOCOLS = ['h1', 'h2', 'h3'] as const;
type Protocol = (typeof PROTOCOLS)[number];

let backend: http.Server;
let pages: http.Server;
let silent: net.Server;
const silentSockets = new Set<net.Socket>();
let lastPageRequest: { method?: string; url?: string; headers: http.IncomingHttpHeaders } | undefined;
let pageRequests = 0;
let p: Harness;
let port: number;

/** A Service in namespace shop whose only endpoint is `url` (a loopback server), as the EndpointSlice controller would write it. */
function k8sService(name: string, url: string): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: shop, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${new URL(url).port} }]
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]`;
}

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const code = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('code') ?? 200);
      res.writeHead(code, { 'content-type': 'text/plain', 'x-original': 'yes' });
      res.end(`original ${code} body`);
    });
  });
  pages = http.createServer((req, res) => {
    pageRequests++;
    lastPageRequest = { method: req.method, url: req.url, headers: req.headers };
    req.resume();
    const body = `<h1>page for ${req.url}</h1>`;
    res.writeHead(200, { 'content-type': 'text/html', 'x-page': 'yes', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  // Accepts and never answers.
  silent = net.createServer((s) => {
    silentSockets.add(s);
    s.on('error', () => undefined);
  });
  const [backendUrl, pagesUrl, silentUrl] = await Promise.all([listenLoopback(backend), listenLoopback(pages), listenLoopback(silent)]);
  const dead = `http://127.0.0.1:${await freePort()}`;
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      // The same through Kubernetes objects: errors.service is a Service reference there (Traefik's CRD).
      'k8s.yaml': `
${k8sService('app', backendUrl)}
---
${k8sService('pages', pagesUrl)}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: oops, namespace: shop }
spec: { errors: { status: ["404", "500-599"], query: "/k8s-{status}.html", service: { name: pages, port: 80 } } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: shop, namespace: shop }
spec:
  routes:
    - match: PathPrefix(\`/k8s\`)
      kind: Rule
      middlewares: [{ name: oops }]
      services: [{ name: app, port: 80 }]
`,
      'errors.yaml': `
http:
  routers:
    app: { rule: PathPrefix(\`/app\`), service: backend, middlewares: [pages] }
    some: { rule: PathPrefix(\`/some\`), service: backend, middlewares: [pages-some] }
    down: { rule: PathPrefix(\`/down\`), service: backend, middlewares: [pages-down] }
    silent: { rule: PathPrefix(\`/silent\`), service: backend, middlewares: [pages-silent] }
  services:
    backend: { loadBalancer: { servers: [{ url: "${backendUrl}" }] } }
    error-pages: { loadBalancer: { servers: [{ url: "${pagesUrl}" }] } }
    dead-pages: { loadBalancer: { servers: [{ url: "${dead}" }] } }
    silent-pages: { loadBalancer: { servers: [{ url: "${silentUrl}" }] } }
  middlewares:
    pages:
      errors:
        status: ["404", "418", "500-599"]
        service: error-pages
        query: "/{status}.html?from={originalStatus}&url={url}"
        statusRewrites: { "418": 404, "502-504": 500 }
    pages-some:
      errors: { status: ["404"], service: error-pages, query: "/{status}.html", errorRequestHeaders: [X-Keep] }
    pages-down:
      errors: { status: ["500-599"], service: dead-pages, query: "/{status}.html" }
    pages-silent:
      errors: { status: ["500-599"], service: silent-pages, query: "/{status}.html" }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  for (const s of silentSockets) s.destroy();
  for (const s of [backend, pages, silent]) s?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/** The authority each client sends: curl the address it was given, the h3 client the name it verifies. */
const authorityOf = (proto: Protocol) => `${proto === 'h3' ? 'localhost' : '127.0.0.1'}:${port}`;

async function request(
  proto: Protocol,
  path: string,
  opts: { method?: string; headers?: Array<[string, string]>; body?: string } = {},
  timeoutMs = 10_000,
): Promise<Answer> {
  if (proto === 'h3') {
    const r = await h3Request(port, path, opts);
    return { status: r.status, headers: r.headers, body: r.body.toString() };
  }
  const args = [proto === 'h1' ? '--http1.1' : '--http2'];
  if (opts.method === 'HEAD') args.push('-I');
  else if (opts.method) args.push('-X', opts.method);
  for (const [n, v] of opts.headers ?? []) args.push('-H', `${n}: ${v}`);
  if (opts.body !== undefined) args.push('--data-binary', opts.body);
  const r = await curl([...args, `https://127.0.0.1:${port}${path}`], timeoutMs);
  expect(r.httpVersion).toBe(proto === 'h1' ? '1.1' : '2');
  return { status: r.status, headers: r.headers, body: r.body };
}

describe('errors end to end', () => {
  for (const proto of PROTOCOLS) {
    test(`${proto}: a 404 is replaced by the page, fetched with {status}, {originalStatus} and {url}, and keeps its status`, async () => {
      const r = await request(proto, '/app/missing?x=1');
      expect(r.status).toBe(200);
      const notFound = await request(proto, '/app/missing?code=404');
      expect(notFound.status).toBe(404);
      const url = encodeURIComponent(`https://${authorityOf(proto)}/app/missing?code=404`);
      expect(notFound.body).toBe(`<h1>page for /404.html?from=404&url=${url}</h1>`);
      expect(notFound.headers['x-page']).toEqual(['yes']);
      expect(notFound.headers['content-type']).toEqual(['text/html']);
      expect(notFound.headers['x-original']).toBeUndefined();
      expect(lastPageRequest?.method).toBe('GET');
    });

    test(`${proto}: a 5xx range with statusRewrites; statuses outside the list pass untouched`, async () => {
      const five = await request(proto, '/app/x?code=501');
      expect(five.status).toBe(501);
      expect(five.body).toContain('page for /501.html?from=501');
      const rewritten = await request(proto, '/app/x?code=503');
      expect(rewritten.status).toBe(500);
      expect(rewritten.body).toContain('page for /500.html?from=503');
      const teapot = await request(proto, '/app/x?code=418');
      expect(teapot.status).toBe(404);
      expect(teapot.body).toContain('page for /404.html?from=418');
      const before = pageRequests;
      const untouched = await request(proto, '/app/x?code=401');
      expect(untouched).toMatchObject({ status: 401, body: 'original 401 body' });
      expect(untouched.headers['x-original']).toEqual(['yes']);
      expect(pageRequests).toBe(before);
    });

    test(`${proto}: HEAD gets the page's head under the original status, and no body`, async () => {
      const r = await request(proto, '/app/x?code=404', { method: 'HEAD' });
      expect(r.status).toBe(404);
      expect(r.headers['x-page']).toEqual(['yes']);
      expect(r.headers['content-length']).toEqual([
        String('<h1>page for /404.html?from=404&url=</h1>'.length + encodeURIComponent(`https://${authorityOf(proto)}/app/x?code=404`).length),
      ]);
      // curl -I prints the head where the body goes; the h3 client reads the stream to its end.
      expect(r.body).not.toContain('<h1>');
      expect(r.body).not.toContain('original');
    });

    test(`${proto}: the page request carries the client's headers and the forwarding headers, not its body`, async () => {
      const r = await request(proto, '/app/form?code=500', {
        method: 'POST',
        headers: [
          ['x-client', 'c1'],
          ['content-type', 'application/x-www-form-urlencoded'],
        ],
        body: 'a=1&b=2',
      });
      expect(r.status).toBe(500);
      expect(lastPageRequest?.method).toBe('GET');
      expect(lastPageRequest?.url).toContain('/500.html?from=500');
      expect(lastPageRequest?.headers).toMatchObject({
        'x-client': 'c1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': authorityOf(proto),
        host: authorityOf(proto),
      });
      expect(lastPageRequest?.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(lastPageRequest?.headers['content-length']).toBeUndefined();
      expect(lastPageRequest?.headers['transfer-encoding']).toBeUndefined();
      const only = await request(proto, '/some/x?code=404', {
        headers: [
          ['x-keep', 'k'],
          ['x-drop', 'd'],
        ],
      });
      expect(only.status).toBe(404);
      expect(lastPageRequest?.headers['x-keep']).toBe('k');
      expect(lastPageRequest?.headers['x-drop']).toBeUndefined();
    });

    test(`${proto}: an error service that is down still gives the original status`, async () => {
      const started = Date.now();
      const r = await request(proto, '/down/x?code=503');
      expect(r.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await request(proto, '/down/x?code=200')).body).toBe('original 200 body');
    });
  }

  test('a Kubernetes Middleware whose errors.service is a Service reference', async () => {
    const r = await request('h2', '/k8s/x?code=404');
    expect(r.status).toBe(404);
    expect(r.body).toBe('<h1>page for /k8s-404.html</h1>');
    expect((await request('h1', '/k8s/x?code=502')).body).toBe('<h1>page for /k8s-502.html</h1>');
    expect((await request('h1', '/k8s/x?code=201')).body).toBe('original 201 body');
  });

  test('an error service that never answers: the original status after the page timeout, not a hang', async () => {
    const started = Date.now();
    const r = await request('h2', '/silent/x?code=502', {}, 20_000);
    expect(r.status).toBe(502);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(9_000);
    expect(elapsed).toBeLessThan(13_000);
  }, 20_000);
});
