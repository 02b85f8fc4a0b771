/**
 * Slowloris over HTTP/1.1: connections that trickle a request head one byte
 * at a time must be closed once readTimeout has passed (a 408 is sent), even
 * when they fill maxConnections, and a normal client gets in again right after.
 * Before: Node's header/request timeout checks never ran on sockets handed to
 * the http server with emit('connection'), so such connections lived forever.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { normalGet, normalGetEventually, openRawConnection, sleep, type RawConnection } from '../support/raw-tcp-client.js';

const MAX_CONNECTIONS = 20;
const READ_TIMEOUT_MS = 2000;
const target = usePorticoBeforeBackend({
  web: { address: '127.0.0.1:0', transport: { respondingTimeouts: { readTimeout: '2s' }, maxConnections: MAX_CONNECTIONS } },
});

test('trickled request heads are cut at readTimeout and a normal client is served again', async () => {
  const port = target.portico.port('web');
  expect(await normalGet(port)).toMatchObject({ status: 200 });
  const head = 'GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: ' + 'a'.repeat(200);
  const attackers: RawConnection[] = [];
  for (let i = 0; i < MAX_CONNECTIONS; i++) attackers.push(await openRawConnection(port));
  const started = performance.now();
  let stop = false;
  // One byte every 300 ms on every connection: never idle, never a complete head.
  const trickle = (async () => {
    for (let i = 0; i < head.length && !stop; i++) {
      for (const a of attackers) a.write(head[i]!);
      await sleep(300);
    }
  })();
  try {
    const served = await normalGetEventually(port, READ_TIMEOUT_MS + 6000);
    expect(served).toMatchObject({ status: 200 });
    const closedAt = await Promise.all(attackers.map((a) => Promise.race([a.closed, sleep(READ_TIMEOUT_MS + 6000).then(() => Infinity)])));
    for (const t of closedAt) expect(t - started).toBeLessThan(READ_TIMEOUT_MS + 5000);
    for (const a of attackers) expect(a.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
  } finally {
    stop = true;
    await trickle;
    for (const a of attackers) a.socket.destroy();
  }
});

test('a keep-alive connection that trickles its second request head is cut too', async () => {
  const port = target.portico.port('web');
  const c = await openRawConnection(port);
  c.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
  for (let i = 0; i < 30 && !c.received().includes('\r\n\r\n'); i++) await sleep(100);
  expect(c.received().toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  const started = performance.now();
  const head = 'GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: ' + 'b'.repeat(200);
  for (let i = 0; i < head.length && !c.isClosed(); i++) {
    c.write(head[i]!);
    await sleep(250);
    if (performance.now() - started > READ_TIMEOUT_MS + 8000) break;
  }
  expect(c.isClosed()).toBe(true);
  expect(performance.now() - started).toBeLessThan(READ_TIMEOUT_MS + 5000);
  c.socket.destroy();
});
