/**
 * Issue 9.4: HTTP/2 clients that open streams and never open their
 * flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 0, no WINDOW_UPDATE) must
 * not hold the backend pool. Here 2 connections x 12 streams aim at a route
 * whose pool has 16 connections to a backend that keeps idle connections.
 * The entrypoint's writeTimeout (2 s) gives up on each unread response; its
 * backend request must be aborted and the connection released then, so a
 * normal client waits at most about that long, during the attack and after.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Harness } from '../support/portico-harness.js';
import { startSmallPoolPortico } from '../support/small-pool-portico.js';
import { startKeepingBackend, type KeepingBackend } from '../support/keeping-backend.js';
import { connectRawH2, getRequest, Setting, type RawH2Connection } from '../support/raw-h2-client.js';
import { timedGetH1, timedGetH2 } from '../support/timed-get.js';

const POOL = 16;
const BODY = 64 * 1024;
let portico: Harness;
let backend: KeepingBackend;
let port: number;

beforeAll(async () => {
  backend = await startKeepingBackend(BODY);
  ({ portico, port } = await startSmallPoolPortico(backend.url, { pool: POOL, entryPointTransport: { respondingTimeouts: { writeTimeout: '2s' } } }));
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
});

const ok = { status: 200, bytes: BODY };

test('streams that never open their window do not hold the backend pool', async () => {
  const attackers: RawH2Connection[] = [];
  for (let c = 0; c < 2; c++) {
    const conn = await connectRawH2(port, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    const frames: Buffer[] = [];
    for (let i = 0; i < 12; i++) frames.push(getRequest(1 + 2 * i, 'localhost', `/zero-${c}-${i}`));
    conn.write(Buffer.concat(frames));
    attackers.push(conn);
  }
  const started = Date.now();
  while (backend.requests < POOL && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 25));
  expect(backend.requests).toBeGreaterThanOrEqual(POOL);
  // The pool is full of unread responses now; normal clients are served once writeTimeout releases them.
  const during = await Promise.all([timedGetH1(port, '/during-h1', 8_000), timedGetH2(port, '/during-h2', 8_000)]);
  expect(during).toEqual([ok, ok]);
  // The attackers are still connected: every pool connection serves again.
  const after = await Promise.all(Array.from({ length: POOL }, (_, i) => (i % 2 ? timedGetH2 : timedGetH1)(port, `/after-${i}`, 8_000)));
  expect(after).toEqual(Array(POOL).fill(ok));
  for (const a of attackers) a.close();
}, 30_000);
