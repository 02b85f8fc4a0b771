/**
 * Slowloris over HTTP/2: a HEADERS frame without END_HEADERS and then nothing,
 * or CONTINUATION frames trickled without ever ending the block. The header
 * block must be complete within readTimeout or the connection is closed; a
 * normal client is served meanwhile. Before: only the 180 s idle timeout (and
 * not even that while CONTINUATION kept arriving) bounded such connections.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { openRawConnection, sleep, within, type RawConnection } from '../support/raw-tcp-client.js';
import { clientOpening, continuationFrame, Flag, headerBlock, headersFrame, normalH2Get, requestFields } from '../support/h2-frames.js';

const READ_TIMEOUT_MS = 2000;
const target = usePorticoBeforeBackend({
  websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { respondingTimeouts: { readTimeout: '2s' }, maxConnections: 40 } },
});

async function openAttackers(port: number, n: number): Promise<RawConnection[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => openRawConnection(port, '127.0.0.1', ['h2'])));
  const block = headerBlock([...requestFields('/'), ['x-pad', 'p'.repeat(64)]]);
  // The first half of a header block: no END_HEADERS, so the request never starts.
  for (const c of conns) c.write(Buffer.concat([clientOpening(), headersFrame(1, block.subarray(0, 40), Flag.END_STREAM)]));
  return conns;
}

test('HEADERS without END_HEADERS, then silence: closed after readTimeout, normal client served', async () => {
  const port = target.portico.port('websecure');
  const conns = await openAttackers(port, 30);
  const started = performance.now();
  try {
    await sleep(300);
    expect(await normalH2Get(port)).toEqual({ status: 200 });
    expect(await within(Promise.all(conns.map((c) => c.closed)), READ_TIMEOUT_MS + 6000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(READ_TIMEOUT_MS + 5000);
  } finally {
    for (const c of conns) c.socket.destroy();
  }
});

test('a header block kept open by trickled CONTINUATION frames is closed after readTimeout', async () => {
  const port = target.portico.port('websecure');
  const conns = await openAttackers(port, 10);
  const started = performance.now();
  try {
    for (let i = 0; i < 40 && !conns.every((c) => c.isClosed()); i++) {
      for (const c of conns) c.write(continuationFrame(1, headerBlock([[`x-more-${i}`, 'v']])));
      await sleep(250);
    }
    expect(conns.every((c) => c.isClosed())).toBe(true);
    expect(performance.now() - started).toBeLessThan(READ_TIMEOUT_MS + 5000);
    expect(await normalH2Get(port)).toEqual({ status: 200 });
  } finally {
    for (const c of conns) c.socket.destroy();
  }
});
