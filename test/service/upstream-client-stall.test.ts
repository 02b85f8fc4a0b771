/**
 * Issue 9.4, the backend side: a client that stops reading its response must
 * not hold a backend connection forever. Each upstream client (undici pool,
 * node:http agent for requests with trailers, http2-wrapper for h2c) relays a
 * 1 MiB response into an exchange whose sink fills after 16 KiB and never
 * drains; with clientStallMs 300 the attempt must give up (sink destroyed,
 * 'client-stall'), and the single connection the client may use must serve
 * the next request. Before the shared UpstreamAttempt, forward() never settled.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { MemoryExchange } from '../../src/testing/memory-exchange.js';
import { startKeepingBackend, type KeepingBackend } from '../support/keeping-backend.js';
import { PoolUpstream } from '../../src/service/pool-upstream.js';
import { TrailerUpstream } from '../../src/service/trailer-upstream.js';
import { Http2Upstream } from '../../src/service/http2-upstream.js';
import type { ForwardOptions, UpstreamClient, UpstreamFailure } from '../../src/service/upstream-client.js';
import { upstreamOverload } from '../../src/observability/upstream-overload-metrics.js';

const BODY = 1024 * 1024;
const timeouts = { responseHeaderMs: 0, clientStallMs: 300 };
let backend: KeepingBackend;
let h2c: http2.Http2Server;
let h2cPort: number;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  backend = await startKeepingBackend(BODY);
  const body = Buffer.alloc(BODY, 'y');
  h2c = http2.createServer((req, res) => {
    req.resume();
    req.once('end', () => res.end(body));
  });
  await new Promise<void>((r) => h2c.listen(0, '127.0.0.1', () => r()));
  h2cPort = (h2c.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const c of closers) await c();
  await backend?.close();
  h2c?.close();
});

const opts = (host: string): ForwardOptions => ({ passHostHeader: false, upstreamHost: host, serverName: 'portico-test' });

/** forward(), or 'hung' if it has not settled after `ms`. */
async function settled(p: Promise<UpstreamFailure | undefined>, ms: number): Promise<UpstreamFailure | undefined | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  const out = await Promise.race([p, hung]);
  clearTimeout(timer);
  return out;
}

async function stallThenServe(client: UpstreamClient, host: string, init: ConstructorParameters<typeof MemoryExchange>[0] = {}): Promise<void> {
  const before = upstreamOverload.count('abandoned', 'web', 'client-stall');
  const stalled = new MemoryExchange({ ...init, url: '/stalled', highWaterMark: 16 * 1024, autoDrain: false });
  const t0 = Date.now();
  expect(await settled(client.forward(stalled, opts(host)), 5_000)).toBe('client-stall');
  expect(Date.now() - t0).toBeLessThan(4_000);
  expect(stalled.sink.destroyed).toBe(true);
  expect(stalled.statusCode).toBe(200);
  expect(upstreamOverload.count('abandoned', 'web', 'client-stall')).toBe(before + 1);
  // The one connection this client may use is free again.
  const next = new MemoryExchange({ ...init, url: '/next' });
  expect(await settled(client.forward(next, opts(host)), 5_000)).toBeUndefined();
  expect(next.statusCode).toBe(200);
  expect(next.responseBody.length).toBe(BODY);
}

test('undici pool: a response the client stops reading releases its connection', async () => {
  const pool = new Pool(backend.url, { connections: 1, headersTimeout: 0, bodyTimeout: 0 });
  closers.push(() => pool.destroy());
  await stallThenServe(new PoolUpstream(pool, timeouts), new URL(backend.url).host);
});

test('node:http agent (request with trailers): a response the client stops reading releases its socket', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  closers.push(() => agent.destroy());
  await stallThenServe(new TrailerUpstream(new URL(backend.url), agent, timeouts), new URL(backend.url).host, {
    method: 'POST',
    headers: { trailer: 'x-sum' },
    body: 'payload',
  });
});

test('http2-wrapper (h2c): a response the client stops reading releases its stream', async () => {
  const upstream = new Http2Upstream(new URL(`h2c://127.0.0.1:${h2cPort}`), undefined, timeouts);
  closers.push(() => upstream.close());
  await stallThenServe(upstream, `127.0.0.1:${h2cPort}`);
});
