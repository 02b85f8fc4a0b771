/**
 * Issue 9.4: HTTP/2 clients that open streams and never open their
 * flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 0, no WINDOW_UPDATE) must
 * not hold the backend pool. Here 2 connections x 12 streams aim at a route
 * whose pool has 16 connections to a backend that keeps idle connections.
 * Either the entrypoint's writeTimeout (2 s) gives up on each unread response,
 * or, with no writeTimeout (the default), the backend side gives up on a
 * response nobody reads (clientStallMs, lowered here from 60 s to 1.5 s); the
 * backend request must be aborted and the connection released then, so a
 * normal client waits at most about that long, during the attack and after.
 */
import { afterAll, expect, test } from 'vitest';
import type { Harness } from '../support/portico-harness.js';
import { startSmallPoolPortico, type SmallPoolOptions } from '../support/small-pool-portico.js';
import { startKeepingBackend, type KeepingBackend } from '../support/keeping-backend.js';
import { connectRawH2, getRequest, Setting, type RawH2Connection } from '../support/raw-h2-client.js';
import { timedGetH1, timedGetH2 } from '../support/timed-get.js';
import { DEFAULT_UPSTREAM_POOL_DEFAULTS } from '../../src/service/upstream-pools.js';

const POOL = 16;
const BODY = 64 * 1024;
const ok = { status: 200, bytes: BODY };
const running: Array<Harness | KeepingBackend> = [];

afterAll(async () => {
  for (const r of running.reverse()) await ('server' in r ? r.stop() : r.close());
});

/** 2 zero-window connections x 12 streams, then normal clients `waitMs` later, then the whole pool at once. */
async function zeroWindowAttack(extra: Omit<SmallPoolOptions, 'pool'>, waitMs: number): Promise<void> {
  const backend = await startKeepingBackend(BODY);
  running.push(backend);
  const { portico, port } = await startSmallPoolPortico(backend.url, { pool: POOL, ...extra });
  running.push(portico);
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
  // The pool is full of unread responses now; normal clients are served once they are given up.
  await new Promise((r) => setTimeout(r, waitMs));
  const during = await Promise.all([timedGetH1(port, '/during-h1', 8_000), timedGetH2(port, '/during-h2', 8_000)]);
  expect(during).toEqual([ok, ok]);
  // The attackers are still connected: every pool connection serves again.
  const after = await Promise.all(Array.from({ length: POOL }, (_, i) => (i % 2 ? timedGetH2 : timedGetH1)(port, `/after-${i}`, 8_000)));
  expect(after).toEqual(Array(POOL).fill(ok));
  for (const a of attackers) a.close();
}

test('with writeTimeout, streams that never open their window do not hold the backend pool', async () => {
  // Normal clients come 1 s later so that their own writeTimeout (2 s too) ends well after the attackers' did.
  await zeroWindowAttack({ entryPointTransport: { respondingTimeouts: { writeTimeout: '2s' } } }, 1_000);
}, 30_000);

test('without writeTimeout, the backend side gives up on responses nobody reads', async () => {
  // Read when each configuration is built: this Portico's clients give up after 1.5 s instead of 60 s.
  const saved = DEFAULT_UPSTREAM_POOL_DEFAULTS.clientStallMs;
  DEFAULT_UPSTREAM_POOL_DEFAULTS.clientStallMs = 1_500;
  try {
    await zeroWindowAttack({}, 0);
  } finally {
    DEFAULT_UPSTREAM_POOL_DEFAULTS.clientStallMs = saved;
  }
}, 30_000);
