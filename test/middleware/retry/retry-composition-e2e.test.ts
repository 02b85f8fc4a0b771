/**
 * retry with the other resilience pieces, through a real Portico (curl, h2):
 * - circuitBreaker after retry measures each attempt's outcome as the client
 *   would not see it; the client still sees no failure;
 * - circuitBreaker before retry sees only what retry gives up on, and trips;
 * - the admission queue of a small pool: failed attempts give their slot
 *   back, so batch after batch of concurrent requests through a resetting
 *   server all succeed and none is shed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { freePort } from '../../support/free-port.js';
import { listenLoopback } from '../support/listen-loopback.js';

let live: http.Server;
let resetter: net.Server;
let p: Harness;
let port: number;

beforeAll(async () => {
  live = http.createServer((req, res) => {
    req.resume();
    // A little slow, so concurrent requests really queue for the small pool.
    setTimeout(() => res.end('live'), 20);
  });
  resetter = net.createServer((socket) => {
    socket.once('data', () => socket.resetAndDestroy());
    socket.on('error', () => undefined);
  });
  const [liveUrl, resetUrl] = await Promise.all([listenLoopback(live), listenLoopback(resetter)]);
  const dead = `http://127.0.0.1:${await freePort()}`;
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'composition.yaml': `
http:
  routers:
    breaker-inside: { rule: PathPrefix(\`/inside\`), service: reset-live, middlewares: [retry3, breaker] }
    breaker-outside: { rule: PathPrefix(\`/outside\`), service: all-dead, middlewares: [breaker-out, retry3] }
    queued: { rule: PathPrefix(\`/queued\`), service: reset-live-small, middlewares: [retry3] }
  services:
    reset-live: { loadBalancer: { servers: [{ url: "${resetUrl}" }, { url: "${liveUrl}" }] } }
    all-dead: { loadBalancer: { servers: [{ url: "${dead}" }] } }
    reset-live-small:
      loadBalancer:
        serversTransport: small
        servers: [{ url: "${resetUrl}" }, { url: "${liveUrl}" }]
  serversTransports:
    small: { maxIdleConnsPerHost: 4 }
  middlewares:
    retry3: { retry: { attempts: 3 } }
    breaker: { circuitBreaker: { expression: "NetworkErrorRatio() > 0.9", checkPeriod: 50ms, fallbackDuration: 60s } }
    breaker-out: { circuitBreaker: { expression: "NetworkErrorRatio() > 0.5", checkPeriod: 50ms, fallbackDuration: 60s } }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  live?.close();
  resetter?.close();
});

/** `count` GETs over one h2 connection, `parallel` at a time; each transfer's status (0: failed). */
function statuses(path: string, count: number, parallel = 1): Promise<number[]> {
  const url = `https://127.0.0.1:${port}${path}`;
  const args = ['-sk', '--http2', '--max-time', '20', '-w', '%{http_code}\\n'];
  if (parallel > 1) args.push('--parallel', '--parallel-max', String(parallel));
  for (let i = 0; i < count; i++) args.push('-o', '/dev/null', url);
  return new Promise((resolve) => execFile('curl', args, { timeout: 30_000 }, (_err, stdout) => resolve(stdout.trim().split('\n').map(Number))));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retry composed', () => {
  test('circuitBreaker after retry: the client sees no failure and the breaker does not trip on retried attempts', async () => {
    expect(await statuses('/inside', 20)).toEqual(Array(20).fill(200));
    await sleep(120);
    expect(await statuses('/inside', 6)).toEqual(Array(6).fill(200));
  });

  test('circuitBreaker before retry: what retry gives up on counts, and trips it', async () => {
    // The first gets retry's 502 after three refused attempts; once the breaker has checked, it answers for the service.
    expect(await statuses('/outside', 1)).toEqual([502]);
    await sleep(120);
    expect(await statuses('/outside', 3)).toEqual([503, 503, 503]);
  });

  test('the admission queue of a small pool: failed attempts give their slot back', async () => {
    // 4 connections and 4 queued per server hold 6 at once wherever the retries send them; a slot
    // kept by a failed attempt would shrink that batch after batch until requests are shed (503).
    for (let batch = 0; batch < 4; batch++) expect(await statuses('/queued', 24, 6)).toEqual(Array(24).fill(200));
  }, 60_000);
});
