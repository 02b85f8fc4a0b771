/**
 * Pools bounded per backend with a queue that times out: with 2 connections
 * (maxIdleConnsPerHost) both held by slow responses, the next 2 requests wait
 * in the queue for at most dialTimeout (2 s) and get 503, one more beyond
 * the queue's bound (as many as connections) gets 503 at once, both counted
 * by reason in /metrics; once the slow responses end the pool serves again.
 * Before, undici queued without bound: every request waited for the pool.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Harness } from '../support/portico-harness.js';
import { startSmallPoolPortico } from '../support/small-pool-portico.js';
import { startBackend, type Backend } from '../support/backend.js';
import { timedGetH1, timedGetH2 } from '../support/timed-get.js';
import { BackendAdmission } from '../../src/service/backend-admission.js';
import { MemoryExchange } from '../../src/testing/memory-exchange.js';

let portico: Harness;
let backend: Backend;
let port: number;

beforeAll(async () => {
  backend = await startBackend('slow');
  ({ portico, port } = await startSmallPoolPortico(backend.url, { pool: 2, forwardingTimeouts: { dialTimeout: '2s' } }));
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
});

const shed = async (reason: string) => {
  const text = await portico.server.metrics.registry.metrics();
  return Number(new RegExp(`portico_upstream_requests_shed_total\\{entrypoint="websecure",reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

test('a saturated pool queues a bounded number of requests for a bounded time, then answers 503', async () => {
  const slow = [timedGetH1(port, '/slow?ms=5000', 12_000), timedGetH2(port, '/slow?ms=5000', 12_000)];
  const end = Date.now() + 3_000;
  while (backend.requests < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(backend.requests).toBe(2);

  const t0 = Date.now();
  const queued = [timedGetH1(port, '/status?code=200', 10_000), timedGetH2(port, '/status?code=200', 10_000)];
  await new Promise((r) => setTimeout(r, 300));
  // Refused at once, not after the queue's 2 s (the margin is for a TLS handshake on a loaded machine).
  const t1 = Date.now();
  const beyond = await timedGetH1(port, '/status?code=200', 10_000);
  expect(beyond).toMatchObject({ status: 503 });
  expect(Date.now() - t1).toBeLessThan(1_500);

  const waited = await Promise.all(queued);
  const elapsed = Date.now() - t0;
  expect(waited).toEqual([
    { status: 503, bytes: expect.any(Number) },
    { status: 503, bytes: expect.any(Number) },
  ]);
  expect(elapsed).toBeGreaterThanOrEqual(1_900);
  expect(elapsed).toBeLessThan(4_500);
  expect(backend.requests).toBe(2);
  expect(await shed('queue-full')).toBe(1);
  expect(await shed('queue-timeout')).toBe(2);

  expect(await Promise.all(slow)).toEqual([
    { status: 200, bytes: 5 },
    { status: 200, bytes: 5 },
  ]);
  expect(await timedGetH1(port, '/status?code=200', 5_000)).toEqual({ status: 200, bytes: 7 });
}, 25_000);

test('a client that leaves while queued gives its place up; a freed slot goes to the longest waiter', async () => {
  const gate = new BackendAdmission({ maxActive: 1, maxQueued: 2, queueTimeoutMs: 5_000 });
  expect(gate.enter(new MemoryExchange())).toBe(true);
  const leaving = new MemoryExchange();
  const first = gate.enter(leaving);
  const second = gate.enter(new MemoryExchange());
  expect(gate.waiting).toBe(2);
  leaving.clientClosed();
  expect(await first).toBe('client-gone');
  expect(gate.waiting).toBe(1);
  gate.leave();
  expect(await second).toBe(true);
  expect(gate.inFlight).toBe(1);
  expect(gate.waiting).toBe(0);
});
