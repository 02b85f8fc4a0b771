/**
 * HTTP/3 requests have the deadlines h1 and h2 requests have, on both QUIC
 * transports: a response past writeTimeout, a response whose reader never
 * opens its stream window (writeStallTimeout) and a request body that stops
 * arriving (readTimeout) are each reset with H3_REQUEST_CANCELLED and
 * counted, while the same connection and other clients are served. Before,
 * only QUIC's idle timeout bounded anything, and a client that kept its
 * connection alive held such requests, and their backend connections, for ever.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadQuiche, type Quiche } from '../../src/quic/quiche/binding.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { appRouteTo } from '../support/app-route.js';
import { QuicheClient } from '../support/quiche-client.js';
import { dataFrame, headersFrame, parseResponse } from '../http3/in-memory-peer.js';
import { sleep } from '../support/raw-tcp-client.js';

const H3_REQUEST_CANCELLED = 0x10c;

let quiche: Quiche;
beforeAll(async () => {
  const loaded = await loadQuiche();
  if (!loaded.ok) throw new Error(loaded.reason);
  quiche = loaded.quiche;
});

const request = (path: string, method = 'GET') =>
  headersFrame([
    [':method', method],
    [':scheme', 'https'],
    [':authority', 'app.test'],
    [':path', path],
  ]);

describe.each(['quiche', 'portico'])('HTTP/3 on %s', (transport) => {
  let portico: Harness;
  let backend: Backend;
  let port: number;

  beforeAll(async () => {
    backend = await startBackend();
    portico = await startPortico(
      {
        entryPoints: {
          websecure: {
            address: '127.0.0.1:0',
            http: { tls: {} },
            http3: { enabled: true, quic: transport },
            transport: { respondingTimeouts: { readTimeout: '1s', writeTimeout: '4s', writeStallTimeout: '1s' } },
          },
        },
      },
      appRouteTo(backend.url),
    );
    port = portico.port('websecure');
  });
  afterAll(async () => {
    await portico?.stop();
    await backend?.close();
  });

  const timeouts = async (phase: string) =>
    Number(
      new RegExp(`portico_entrypoint_timeouts_total\\{entrypoint="websecure",phase="${phase}"\\} (\\d+)`).exec(
        await portico.server.metrics.registry.metrics(),
      )?.[1] ?? 0,
    );

  async function waitForReset(client: QuicheClient, id: number, ms: number): Promise<number | undefined> {
    const end = performance.now() + ms;
    while (performance.now() < end && !client.resets.has(id)) await sleep(50);
    return client.resets.get(id);
  }

  test('past writeTimeout, a stalled reader and a stalled request body are each cut and counted; the connection goes on', async () => {
    const client = await QuicheClient.connect(quiche, {
      host: '127.0.0.1',
      port,
      serverName: 'app.test',
      alpn: ['h3'],
      streamWindow: 64 * 1024,
      handshakeTimeoutMs: 5000,
    });
    try {
      const started = performance.now();
      // A response that would take 10 s: cut by writeTimeout (4 s).
      const slow = client.openBidiStream();
      client.write(slow, request('/slow?ms=10000'), true);
      // 4 MiB that the client never reads: its 64 KiB window never opens again.
      const unread = client.openBidiStream();
      client.pauseReading(unread);
      client.write(unread, request('/bytes?n=4194304'), true);
      // A POST whose body stops after its first bytes: cut by readTimeout.
      const upload = client.openBidiStream();
      client.write(
        upload,
        Buffer.concat([
          headersFrame([
            [':method', 'POST'],
            [':scheme', 'https'],
            [':authority', 'app.test'],
            [':path', '/upload'],
            ['content-length', '1000'],
          ]),
          dataFrame('first bytes'),
        ]),
        false,
      );

      expect(await waitForReset(client, upload, 4_000)).toBe(H3_REQUEST_CANCELLED);
      expect(await waitForReset(client, unread, 4_000)).toBe(H3_REQUEST_CANCELLED);
      expect(await waitForReset(client, slow, 8_000)).toBe(H3_REQUEST_CANCELLED);
      expect(performance.now() - started).toBeLessThan(8_000);
      expect(await timeouts('body')).toBe(1);
      expect(await timeouts('stalled')).toBe(1);
      expect(await timeouts('write')).toBe(1);

      // The connection itself is fine: a normal request on it is served.
      const normal = client.openBidiStream();
      client.write(normal, request('/'), true);
      const response = parseResponse(await client.readStream(normal));
      expect(response.headers[0]?.find(([n]) => n === ':status')?.[1]).toBe('200');
    } finally {
      await client.close().catch(() => undefined);
    }
  }, 30_000);
});
