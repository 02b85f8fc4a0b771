/**
 * CONTINUATION flood: one HEADERS without END_HEADERS followed by thousands of
 * CONTINUATION frames (never ending the block). Portico must stop it at the
 * header-list limit, close the connection, and keep serving normal clients.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { openRawConnection, sleep, within } from '../support/raw-tcp-client.js';
import { clientOpening, continuationFrame, headerBlock, headersFrame, normalH2Get, requestFields } from '../support/h2-frames.js';

const target = usePorticoBeforeBackend({ websecure: { address: '127.0.0.1:0', http: { tls: {} } } });

test('a header block grown by CONTINUATION without end is cut, the connection closed, normal clients served', async () => {
  const port = target.portico.port('websecure');
  const attackers = await Promise.all(Array.from({ length: 5 }, () => openRawConnection(port, '127.0.0.1', ['h2'])));
  const started = performance.now();
  try {
    for (const c of attackers) c.write(Buffer.concat([clientOpening(), headersFrame(1, headerBlock(requestFields('/')), 0)]));
    // 20,000 CONTINUATION frames of one small field each per connection, in bounded batches.
    const block = continuationFrame(1, headerBlock([['x-flood', 'v'.repeat(20)]]));
    const batch = Buffer.concat(Array.from({ length: 500 }, () => block));
    for (let i = 0; i < 40 && !attackers.every((c) => c.isClosed()); i++) {
      for (const c of attackers) c.write(batch);
      if (i % 10 === 0) expect(await normalH2Get(port)).toEqual({ status: 200 });
      await sleep(10);
    }
    expect(await within(Promise.all(attackers.map((c) => c.closed)), 5000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await normalH2Get(port)).toEqual({ status: 200 });
  } finally {
    for (const c of attackers) c.socket.destroy();
  }
});
