/**
 * Readers that never open their HTTP/2 flow-control window (SETTINGS initial
 * window 0, no WINDOW_UPDATE): each response's DATA waits for ever. After
 * writeStallTimeout the stream must be reset (so the exchange is aborted and
 * its backend connection released) and counted; normal clients are served
 * meanwhile. Before: no limit at all (writeTimeout defaulted to 0).
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { openRawConnection, sleep, type RawConnection } from '../support/raw-tcp-client.js';
import { clientOpening, FrameType, headerBlock, headersFrame, normalH2Get, parseFrames, requestFields } from '../support/h2-frames.js';

const STALL_MS = 2000;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const target = usePorticoBeforeBackend({
  websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { respondingTimeouts: { writeStallTimeout: '2s' } } },
});

const resetStreams = (c: RawConnection) =>
  new Set(
    parseFrames(c.received())
      .filter((f) => f.type === FrameType.RST_STREAM)
      .map((f) => f.streamId),
  );

test('responses a zero-window reader never takes are reset after writeStallTimeout; normal clients are served', async () => {
  const port = target.portico.port('websecure');
  const streamIds = Array.from({ length: 20 }, (_, i) => 1 + 2 * i);
  const conns = await Promise.all(Array.from({ length: 4 }, () => openRawConnection(port, '127.0.0.1', ['h2'])));
  const started = performance.now();
  try {
    for (const c of conns)
      c.write(
        Buffer.concat([
          clientOpening([[SETTINGS_INITIAL_WINDOW_SIZE, 0]]),
          ...streamIds.map((id) => headersFrame(id, headerBlock(requestFields(`/?n=${id}`)))),
        ]),
      );
    await sleep(500);
    expect(await normalH2Get(port)).toEqual({ status: 200 });
    for (let i = 0; i < 80 && !conns.every((c) => resetStreams(c).size === streamIds.length); i++) await sleep(100);
    for (const c of conns) expect([...resetStreams(c)].sort((a, b) => a - b)).toEqual(streamIds);
    expect(performance.now() - started).toBeLessThan(STALL_MS + 5000);
    const metrics = await target.portico.server.metrics.registry.metrics();
    expect(Number(/portico_entrypoint_timeouts_total\{entrypoint="websecure",phase="stalled"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBe(
      conns.length * streamIds.length,
    );
    expect(await normalH2Get(port)).toEqual({ status: 200 });
  } finally {
    for (const c of conns) c.socket.destroy();
  }
});
