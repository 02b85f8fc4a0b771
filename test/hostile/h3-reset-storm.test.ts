/**
 * Reset storms over HTTP/3, on both QUIC transports: a client opens request
 * streams on a route that goes to a backend and at once resets them
 * (RESET_STREAM) and asks the server to stop sending (STOP_SENDING), round
 * after round as the server grants new streams. Like HTTP/2's rapid reset,
 * each reset must release what its request held: the backend keeps idle
 * connections for ever and the pool is small, so one leaked connection per
 * reset would fill it. Normal clients (h3, h1, h2) must be served during
 * and after the storm, and afterwards the whole pool must serve at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadQuiche, type Quiche } from '../../src/quic/quiche/binding.js';
import type { Harness } from '../support/portico-harness.js';
import { startSmallPoolPortico } from '../support/small-pool-portico.js';
import { startKeepingBackend, type KeepingBackend } from '../support/keeping-backend.js';
import { QuicheClient } from '../support/quiche-client.js';
import { headersFrame } from '../http3/in-memory-peer.js';
import { h3Request } from '../middleware/support/h3-request.js';
import { timedGetH1, timedGetH2 } from '../support/timed-get.js';
import { sleep } from '../support/raw-tcp-client.js';

const POOL = 8;
const BODY = 64 * 1024;
const ROUNDS = 6;
const STREAMS_PER_ROUND = 50;
const H3_REQUEST_CANCELLED = 0x10c;
const ok = { status: 200, bytes: BODY };

let quiche: Quiche;
beforeAll(async () => {
  const loaded = await loadQuiche();
  if (!loaded.ok) throw new Error(loaded.reason);
  quiche = loaded.quiche;
});

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !cond()) await sleep(25);
  return cond();
}

async function h3Ok(port: number, path: string): Promise<{ status: number; bytes: number }> {
  const r = await h3Request(port, path);
  return { status: r.status, bytes: r.body.length };
}

describe.each(['quiche', 'portico'])('HTTP/3 on %s', (transport) => {
  let portico: Harness;
  let backend: KeepingBackend;
  let port: number;

  beforeAll(async () => {
    backend = await startKeepingBackend(BODY);
    ({ portico, port } = await startSmallPoolPortico(backend.url, { pool: POOL, http3: { enabled: true, quic: transport } }));
  });
  afterAll(async () => {
    await portico?.stop();
    await backend?.close();
  });

  test('HEADERS then RESET_STREAM + STOP_SENDING, 300 streams in rounds, leave no backend connection pinned', async () => {
    const attacker = await QuicheClient.connect(quiche, { host: '127.0.0.1', port, serverName: 'localhost', alpn: ['h3'], handshakeTimeoutMs: 5000 });
    try {
      let sent = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const opened: number[] = [];
        const requestsBefore = backend.requests;
        for (let i = 0; i < STREAMS_PER_ROUND; i++) {
          const id = attacker.openBidiStream();
          try {
            attacker.write(
              id,
              headersFrame([
                [':method', 'GET'],
                [':scheme', 'https'],
                [':authority', 'localhost'],
                [':path', `/reset-${round}-${i}`],
              ]),
              true,
            );
          } catch {
            break; // out of stream credit this round: the next round gets more once the server retires the reset ones
          }
          opened.push(id);
        }
        // Odd rounds reset in the same flight as the requests; even rounds once the requests have reached the backend
        // (pool busy, the rest waiting for a connection), which is where a leak would be.
        if (round % 2 === 0) await waitFor(() => backend.requests >= requestsBefore + POOL, 2_000);
        for (const id of opened) {
          attacker.resetStream(id, H3_REQUEST_CANCELLED);
          attacker.stopSending(id, H3_REQUEST_CANCELLED);
        }
        sent += opened.length;
        await sleep(50);
      }
      expect(sent).toBeGreaterThanOrEqual(STREAMS_PER_ROUND * 2);
      expect(backend.requests).toBeGreaterThanOrEqual(POOL);
      const during = await Promise.all([h3Ok(port, '/during-h3'), timedGetH1(port, '/during-h1', 6_000), timedGetH2(port, '/during-h2', 6_000)]);
      expect(during).toEqual([ok, ok, ok]);
    } finally {
      await attacker.close().catch(() => undefined);
    }
    // Every pooled connection is free again: POOL requests at once all complete, over each protocol.
    const after = await Promise.all(
      Array.from({ length: POOL }, (_, i) => (i % 3 === 0 ? h3Ok(port, `/after-${i}`) : (i % 3 === 1 ? timedGetH1 : timedGetH2)(port, `/after-${i}`, 6_000))),
    );
    expect(after).toEqual(Array(POOL).fill(ok));
    expect(await waitFor(() => backend.inFlight === 0, 5_000)).toBe(true);
  }, 40_000);
});
