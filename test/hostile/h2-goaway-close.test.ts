/**
 * HTTP/2 connections that commit a connection error get GOAWAY from nghttp2,
 * which then stops reading them; Node does not close them, so before this fix
 * they stayed open (CLOSE-WAIT once the client left) until the idle timeout.
 * With maxConnections of them open, a normal client must get in again within
 * seconds, and the process's descriptors return to where they were.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { openRawConnection, sleep, within, type RawConnection } from '../support/raw-tcp-client.js';
import { clientOpening, ErrorCode, frame, FrameType, goawayCode, normalH2Get } from '../support/h2-frames.js';
import { openFileDescriptors } from '../support/portico-fds.js';

const MAX_CONNECTIONS = 60;
const target = usePorticoBeforeBackend({ websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { maxConnections: MAX_CONNECTIONS } } });

async function attack(port: number, how: 'stays' | 'leaves'): Promise<RawConnection[]> {
  const conns = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => openRawConnection(port, '127.0.0.1', ['h2'])));
  // DATA on stream 0: a connection error of type PROTOCOL_ERROR (RFC 9113 §6.1).
  for (const c of conns) c.write(Buffer.concat([clientOpening(), frame(FrameType.DATA, 0, 0, Buffer.alloc(4))]));
  for (let i = 0; i < 20 && conns.some((c) => goawayCode(c.received()) === undefined); i++) await sleep(50);
  for (const c of conns) expect(goawayCode(c.received())).toBe(ErrorCode.PROTOCOL_ERROR);
  // 'leaves': the attacker half-closes and waits (what left Portico's side in CLOSE-WAIT).
  if (how === 'leaves') for (const c of conns) c.socket.end();
  return conns;
}

for (const how of ['stays', 'leaves'] as const)
  test(`connections ended by GOAWAY are closed promptly when the attacker ${how}`, async () => {
    const port = target.portico.port('websecure');
    expect(await normalH2Get(port)).toEqual({ status: 200 });
    const baseline = openFileDescriptors();
    const conns = await attack(port, how);
    const started = performance.now();
    try {
      // One quiet second, then a PING left unanswered for 4 s: about 6 s; generous for a loaded CI machine.
      const allClosed = await within(Promise.all(conns.map((c) => c.closed)), 14_000);
      expect(allClosed).toBe(true);
      const lastClosed = Math.max(...(await Promise.all(conns.map((c) => c.closed))));
      expect(lastClosed - started).toBeLessThan(12_000);
      expect(await normalH2Get(port)).toEqual({ status: 200 });
      let fds = openFileDescriptors();
      for (let i = 0; i < 30 && fds > baseline + 5; i++) {
        await sleep(100);
        fds = openFileDescriptors();
      }
      expect(fds).toBeLessThanOrEqual(baseline + 5);
    } finally {
      for (const c of conns) c.socket.destroy();
    }
  });
