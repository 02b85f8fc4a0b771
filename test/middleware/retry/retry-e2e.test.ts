/**
 * retry through a real Portico with real backends, over h1 and h2 (curl) and
 * h3 (quiche client): a load balancer with a dead server (connection refused)
 * or a server that accepts and resets never shows either to the client; the
 * same services without retry do (the control that proves the test can
 * fail); a backend's 500 is not retried; attempts exhausted give 502 after
 * the backoff; nothing is retried once the response head left; a POST is
 * retried after a reset only with retryNonIdempotentMethod, its body intact.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { freePort } from '../../support/free-port.js';
import { h3Request } from '../support/h3-request.js';
import { listenLoopback } from '../support/listen-loopback.js';

const PROTOCOLS = ['h1', 'h2', 'h3'] as const;
type Protocol = (typeof PROTOCOLS)[number];

const hits = { live: 0, reset: 0, error500: 0, partial: 0 };
let live: http.Server;
let resetter: net.Server;
let error500: http.Server;
let partial: http.Server;
let p: Harness;
let port: number;

beforeAll(async () => {
  live = http.createServer((req, res) => {
    hits.live++;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ server: 'live', method: req.method, url: req.url, bytes, sha256: hash.digest('hex'), pad: 'x'.repeat(2048) }));
    });
  });
  // Accepts, reads what the proxy sends for a moment (the head and some of the body), then resets.
  resetter = net.createServer((socket) => {
    socket.once('data', () => {
      hits.reset++;
      setTimeout(() => socket.resetAndDestroy(), 10);
    });
    socket.on('error', () => undefined);
  });
  error500 = http.createServer((_req, res) => {
    hits.error500++;
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('backend says 500');
  });
  // The head and part of the body leave, then the connection dies.
  partial = http.createServer((_req, res) => {
    hits.partial++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('first part');
    setTimeout(() => res.socket?.resetAndDestroy(), 50);
  });
  const [liveUrl, resetUrl, error500Url, partialUrl] = await Promise.all([
    listenLoopback(live),
    listenLoopback(resetter),
    listenLoopback(error500),
    listenLoopback(partial),
  ]);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const dead2 = `http://127.0.0.1:${await freePort()}`;
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      'retry.yaml': `
http:
  routers:
    dead: { rule: PathPrefix(\`/dead/\`), service: dead-live, middlewares: [retry3] }
    dead-control: { rule: PathPrefix(\`/dead-control/\`), service: dead-live-control }
    reset: { rule: PathPrefix(\`/reset/\`), service: reset-live, middlewares: [retry3, gzip, strip] }
    reset-control: { rule: PathPrefix(\`/reset-control/\`), service: reset-live-control }
    reset-post-any: { rule: PathPrefix(\`/reset-post-any/\`), service: reset-live-any, middlewares: [retry-any] }
    reset-only: { rule: PathPrefix(\`/reset-only/\`), service: reset-only, middlewares: [retry3] }
    e500: { rule: PathPrefix(\`/e500/\`), service: e500-live, middlewares: [retry3] }
    exhaust: { rule: PathPrefix(\`/exhaust/\`), service: dead-dead, middlewares: [retry-backoff] }
    partial: { rule: PathPrefix(\`/partial/\`), service: partial, middlewares: [retry3] }
  services:
    dead-live: { loadBalancer: { servers: [{ url: "${dead}" }, { url: "${liveUrl}" }], passiveHealthCheck: { maxFailedAttempts: 1000 } } }
    dead-live-control: { loadBalancer: { servers: [{ url: "${dead}" }, { url: "${liveUrl}" }], passiveHealthCheck: { maxFailedAttempts: 1000 } } }
    reset-live: { loadBalancer: { servers: [{ url: "${resetUrl}" }, { url: "${liveUrl}" }] } }
    reset-live-control: { loadBalancer: { servers: [{ url: "${resetUrl}" }, { url: "${liveUrl}" }] } }
    reset-live-any: { loadBalancer: { servers: [{ url: "${resetUrl}" }, { url: "${liveUrl}" }] } }
    reset-only: { loadBalancer: { servers: [{ url: "${resetUrl}" }] } }
    e500-live: { loadBalancer: { servers: [{ url: "${error500Url}" }, { url: "${liveUrl}" }] } }
    dead-dead: { loadBalancer: { servers: [{ url: "${dead}" }, { url: "${dead2}" }] } }
    partial: { loadBalancer: { servers: [{ url: "${partialUrl}" }] } }
  middlewares:
    retry3: { retry: { attempts: 3 } }
    gzip: { compress: { encodings: [gzip] } }
    strip: { stripPrefix: { prefixes: [/reset] } }
    retry-any: { retry: { attempts: 3, retryNonIdempotentMethod: true } }
    retry-backoff: { retry: { attempts: 3, initialInterval: 100ms } }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  for (const s of [live, resetter, error500, partial]) s?.close();
});

/** `count` GETs of `path` with one curl process (one connection, reused), each transfer's status in order; 0 for a failed transfer. */
function curlMany(proto: 'h1' | 'h2', path: string, count: number): Promise<number[]> {
  const url = `https://127.0.0.1:${port}${path}`;
  const args = ['-sk', proto === 'h1' ? '--http1.1' : '--http2', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code}\\n'];
  for (let i = 0; i < count; i++) args.push(url, ...(i < count - 1 ? ['-o', '/dev/null'] : []));
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 30_000 }, (_err, stdout) => resolve(stdout.trim().split('\n').map(Number)));
  });
}

async function statuses(proto: Protocol, path: string, count: number): Promise<number[]> {
  if (proto !== 'h3') return curlMany(proto, path, count);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await h3Request(port, path).catch(() => ({ status: 0 }))).status);
  return out;
}

describe('retry end to end', () => {
  for (const proto of PROTOCOLS) {
    test(`${proto}: behind retry, a dead server and a server that accepts and resets are never seen in 50 requests each`, async () => {
      const resetsBefore = hits.reset;
      expect(await statuses(proto, `/dead/${proto}`, 50)).toEqual(Array(50).fill(200));
      expect(await statuses(proto, `/reset/${proto}`, 50)).toEqual(Array(50).fill(200));
      // Round robin sent about half of them to the resetter: each of those was retried.
      expect(hits.reset - resetsBefore).toBeGreaterThanOrEqual(10);
    }, 90_000);
  }

  test('each attempt sees the request as it reached retry (stripPrefix strips once) and the middlewares after retry still shape the response', async () => {
    const before = hits.reset;
    for (let i = 0; i < 8; i++) {
      const r = await curl(['--http1.1', '--compressed', `https://127.0.0.1:${port}/reset/page?i=${i}`]);
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toEqual(['gzip']);
      expect(JSON.parse(r.body).url).toBe(`/page?i=${i}`);
    }
    expect(hits.reset - before).toBeGreaterThanOrEqual(3);
  });

  test('the control: the same services without retry show the dead and the resetting server to the client', async () => {
    const dead = await curlMany('h1', '/dead-control/', 20);
    const reset = await curlMany('h1', '/reset-control/', 20);
    expect(dead.filter((s) => s === 502).length).toBeGreaterThanOrEqual(5);
    expect(reset.filter((s) => s === 502).length).toBeGreaterThanOrEqual(5);
  });

  test("a backend's 500 is an answer: passed on, not retried", async () => {
    const before = hits.error500;
    const seen = await curlMany('h2', '/e500/x', 20);
    const fives = seen.filter((s) => s === 500).length;
    expect(fives).toBeGreaterThanOrEqual(5);
    expect(seen.filter((s) => s !== 500 && s !== 200)).toEqual([]);
    expect(hits.error500 - before).toBe(fives);
  });

  test('attempts exhausted: 502 after the backoff, every attempt made', async () => {
    const started = Date.now();
    const r = await curl(['--http2', `https://127.0.0.1:${port}/exhaust/`]);
    const elapsed = Date.now() - started;
    expect(r.status).toBe(502);
    expect(r.body).toBe('502 Bad Gateway\n');
    // Two waits, each at least half its interval (100 ms, then 141 ms): 120 ms at the very least.
    expect(elapsed).toBeGreaterThanOrEqual(115);
    const h3 = await h3Request(port, '/exhaust/h3');
    expect(h3.status).toBe(502);
  });

  test('nothing is retried once the response head left: the client sees the cut, the backend one request', async () => {
    for (const proto of PROTOCOLS) {
      const before = hits.partial;
      if (proto === 'h3') await h3Request(port, '/partial/h3').catch(() => undefined);
      else {
        const r = await curl([proto === 'h1' ? '--http1.1' : '--http2', `https://127.0.0.1:${port}/partial/${proto}`]);
        expect(r.status).toBe(200);
        expect(r.exitCode).not.toBe(0);
        expect(r.body.startsWith('first part')).toBe(true);
      }
      expect(hits.partial - before).toBe(1);
    }
  });

  test('a POST reset by its backend is not retried by default (it may have been processed)', async () => {
    const before = hits.reset;
    const r = await curl(['--http1.1', '-X', 'POST', '--data-binary', 'payload', `https://127.0.0.1:${port}/reset-only/`]);
    expect(r.status).toBe(502);
    expect(hits.reset - before).toBe(1);
    // A GET to the same service is retried: three attempts, all reset.
    const get = await curl(['--http1.1', `https://127.0.0.1:${port}/reset-only/`]);
    expect(get.status).toBe(502);
    expect(hits.reset - before).toBe(4);
  });

  for (const proto of PROTOCOLS) {
    test(`${proto}: with retryNonIdempotentMethod a POST body the reset server consumed is sent whole to the next server`, async () => {
      const body = Buffer.alloc(256 * 1024, 'portico-retry-');
      const sha256 = createHash('sha256').update(body).digest('hex');
      const bodyFile = join(p.dir, 'post-body');
      writeFileSync(bodyFile, body);
      const before = hits.reset;
      for (let i = 0; i < 6; i++) {
        let answer: string;
        if (proto === 'h3') {
          const r = await h3Request(port, `/reset-post-any/${i}`, { method: 'POST', body });
          expect(r.status).toBe(200);
          answer = r.body.toString();
        } else {
          const r = await curl([
            proto === 'h1' ? '--http1.1' : '--http2',
            '-H',
            'content-type: application/octet-stream',
            '--data-binary',
            `@${bodyFile}`,
            `https://127.0.0.1:${port}/reset-post-any/${i}`,
          ]);
          expect(r.status).toBe(200);
          answer = r.body;
        }
        expect(JSON.parse(answer)).toMatchObject({ server: 'live', method: 'POST', bytes: body.length, sha256 });
      }
      expect(hits.reset - before).toBeGreaterThanOrEqual(2);
    });
  }
});
