/**
 * Issue 9.1: HTTP/2 HEADERS followed at once by RST_STREAM (in one write), on
 * a route that goes to a backend, must not pin a backend connection per
 * reset. The backend keeps idle connections forever, so a leaked connection
 * stays leaked; the pool is small (maxIdleConnsPerHost: 16) so a few dozen
 * resets would fill it. A normal client must be served during and after the
 * attack, and afterwards the whole pool must serve at once again.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Harness } from '../support/portico-harness.js';
import { startSmallPoolPortico } from '../support/small-pool-portico.js';
import { startKeepingBackend, type KeepingBackend } from '../support/keeping-backend.js';
import { connectRawH2, getRequest, rstStreamFrame } from '../support/raw-h2-client.js';
import { timedGetH1, timedGetH2, type TimedResult } from '../support/timed-get.js';

const POOL = 16;
const BODY = 64 * 1024;
let portico: Harness;
let backend: KeepingBackend;
let port: number;

beforeAll(async () => {
  backend = await startKeepingBackend(BODY);
  ({ portico, port } = await startSmallPoolPortico(backend.url, { pool: POOL }));
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
});

const ok = { status: 200, bytes: BODY };

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

/** The whole pool answers at once: every connection is free again. */
async function poolServesFully(): Promise<TimedResult[]> {
  return Promise.all(Array.from({ length: POOL }, (_, i) => (i % 2 ? timedGetH2 : timedGetH1)(port, `/after-${i}`, 6_000)));
}

test('HEADERS + RST_STREAM in one write leaves no backend connection pinned', async () => {
  const attacker = await connectRawH2(port);
  const resets = 300;
  const frames: Buffer[] = [];
  for (let i = 0; i < resets; i++) {
    const id = 1 + 2 * i;
    frames.push(getRequest(id, 'localhost', `/reset-${i}`), rstStreamFrame(id));
  }
  attacker.write(Buffer.concat(frames));
  // The backend sees the requests Portico forwarded before it noticed the resets.
  await waitFor(() => backend.requests >= POOL, 3_000);
  const during = await Promise.all([timedGetH1(port, '/during-h1', 6_000), timedGetH2(port, '/during-h2', 6_000)]);
  expect(during).toEqual([ok, ok]);
  attacker.close();
  expect(await poolServesFully()).toEqual(Array(POOL).fill(ok));
}, 30_000);

test('closing a connection with more streams open than allowed leaves no backend connection pinned', async () => {
  const attacker = await connectRawH2(port);
  const frames: Buffer[] = [];
  // 260 > maxConcurrentStreams (250): the last ones are refused, the rest are forwarded.
  for (let i = 0; i < 260; i++) frames.push(getRequest(1 + 2 * i, 'localhost', `/open-${i}`));
  attacker.write(Buffer.concat(frames));
  await waitFor(() => backend.requests >= POOL, 3_000);
  attacker.close();
  expect(await poolServesFully()).toEqual(Array(POOL).fill(ok));
}, 30_000);
