/**
 * An HTTP/1.1 client that asks for an endless response and never reads it:
 * once the kernel buffers and Portico's socket buffer are full, nothing moves.
 * After writeStallTimeout the connection must be cut (which aborts the
 * backend request) and counted as 'stalled'; a client that reads slowly but
 * steadily is not cut; normal clients are served meanwhile.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { appRouteTo } from '../support/app-route.js';
import { normalGet, sleep } from '../support/raw-tcp-client.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
/** The backend gives up on its own after this: the test must see Portico cut the response well before. */
const BACKEND_LIMIT_MS = 20_000;

let backend: Server;
let portico: Harness;
let backendAborts = 0;

beforeAll(async () => {
  backend = createServer((req, res) => {
    if (req.url !== '/endless') return void res.end('ok\n');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const started = performance.now();
    const pump = () => {
      while (performance.now() - started < BACKEND_LIMIT_MS) if (!res.write(CHUNK)) return void res.once('drain', pump);
      res.end();
    };
    res.on('close', () => {
      if (!res.writableFinished) backendAborts++;
    });
    pump();
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const port = (backend.address() as { port: number }).port;
  portico = await startPortico(
    { entryPoints: { web: { address: '127.0.0.1:0', transport: { respondingTimeouts: { writeStallTimeout: '2s' } } } } },
    appRouteTo(`http://127.0.0.1:${port}`),
  );
});

afterAll(async () => {
  await portico?.stop();
  backend?.closeAllConnections();
  backend?.close();
});

const stalledCount = async () =>
  Number(/portico_entrypoint_timeouts_total\{entrypoint="web",phase="stalled"\} (\d+)/.exec(await portico.server.metrics.registry.metrics())?.[1] ?? 0);

function requestEndless(): Socket {
  const s = connect(portico.port('web'), '127.0.0.1');
  s.write('GET /endless HTTP/1.1\r\nhost: app.test\r\n\r\n');
  return s;
}

test('h1: a response whose client never reads is cut after writeStallTimeout and its backend request aborted; a slow steady reader is not', async () => {
  const stalled = requestEndless();
  stalled.pause();
  // A reader held to a budget of 512 KiB per 100 ms (about 5 MiB/s): flowing mode takes whatever the kernel has
  // and the socket pauses once the window's budget is spent. Linux wakes a writer only once half its (auto-tuned,
  // MiB-sized) send buffer is free, so what Portico sees as progress comes in steps; this rate makes several per
  // stall period even when a loaded machine delays the timer.
  const slow = requestEndless();
  let budget = 512 * 1024;
  slow.on('data', (chunk: Buffer) => {
    budget -= chunk.length;
    if (budget <= 0) slow.pause();
  });
  const slowTicker = setInterval(() => {
    budget = 512 * 1024;
    slow.resume();
  }, 100);
  const started = performance.now();
  try {
    await sleep(300);
    expect(await normalGet(portico.port('web'), '/')).toMatchObject({ status: 200 });
    for (let i = 0; i < 100 && (await stalledCount()) === 0; i++) await sleep(100);
    expect(await stalledCount()).toBe(1);
    expect(performance.now() - started).toBeLessThan(BACKEND_LIMIT_MS / 2);
    for (let i = 0; i < 30 && backendAborts === 0; i++) await sleep(100);
    expect(backendAborts).toBe(1);
    // The slow reader keeps going past two stall periods and is never cut.
    await sleep(2500);
    expect(await stalledCount()).toBe(1);
    expect(slow.destroyed).toBe(false);
    expect(await normalGet(portico.port('web'), '/')).toMatchObject({ status: 200 });
  } finally {
    clearInterval(slowTicker);
    stalled.destroy();
    slow.destroy();
  }
});
