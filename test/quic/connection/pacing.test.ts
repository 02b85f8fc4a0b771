import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { QuicConnection } from '../../../src/quic/connection/quic-connection.js';
import { PacketHeader, parsePacketHeader } from '../../../src/quic/packet/packet-header.js';
import { ScriptedTls } from './scripted-tls.js';

it('paces stream data: one call sends a burst, not the whole congestion window, and nextTimeout says when to go on', () => {
  let now = 1000;
  const client = new QuicConnection({
    role: 'client',
    localCid: randomBytes(8),
    remoteCid: randomBytes(8),
    createTls: (b) => new ScriptedTls('client', b),
    now,
  });
  let server: QuicConnection | undefined;
  const h = new PacketHeader();
  for (let i = 0; i < 50 && !(client.isHandshakeConfirmed && server?.isHandshakeConfirmed); i++) {
    for (const d of client.sendDatagrams(now)) {
      if (!server) {
        parsePacketHeader(d, 0, 8, h);
        server = new QuicConnection({
          role: 'server',
          localCid: randomBytes(8),
          remoteCid: Buffer.from(h.scid),
          originalDcid: Buffer.from(h.dcid),
          createTls: (b) => new ScriptedTls('server', b),
          now,
        });
      }
      server.receiveDatagram(d, now);
    }
    for (const d of server?.sendDatagrams(now) ?? []) client.receiveDatagram(d, now);
    now += 10;
  }
  expect(server!.isHandshakeConfirmed).toBe(true);
  const id = server!.streams.openStream('uni')!;
  server!.streams.write(id, randomBytes(200_000));
  // First flight: the initial window (10 packets), which is also the pacer's burst.
  const first = server!.sendDatagrams(now);
  expect(first.length).toBe(10);
  now += 20;
  for (const d of first) client.receiveDatagram(d, now);
  for (const d of client.sendDatagrams(now)) server!.receiveDatagram(d, now);
  // Slow start doubled the window; the pacer still lets only a burst go at once.
  const windowPackets = Math.floor((server!.recovery.congestionWindow - server!.recovery.bytesInFlight) / 1200);
  const burst = server!.sendDatagrams(now);
  expect(windowPackets).toBeGreaterThanOrEqual(15);
  expect(burst.length).toBeGreaterThan(0);
  expect(burst.length).toBeLessThanOrEqual(10);
  const next = server!.nextTimeout();
  expect(next).toBeGreaterThan(now);
  expect(next).toBeLessThan(now + 20);
  expect(server!.sendDatagrams(next).length).toBeGreaterThan(0);
});
