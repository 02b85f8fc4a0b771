/**
 * Skipped packet numbers (RFC 9000 §21.4): the connection leaves a 1-RTT
 * packet number unused every 64-512 packets; honest transfers do not notice,
 * and a peer acknowledging a skipped number (an optimistic ACK) is closed
 * with PROTOCOL_VIOLATION.
 */
import { describe, expect, it } from 'vitest';
import { writeShortHeader } from '../../../src/quic/packet/packet-header.js';
import { writeFrame } from '../../../src/quic/frames/frame-writer.js';
import type { OneRttKeys } from '../../../src/quic/packet/one-rtt-keys.js';
import { QuicErrorCode } from '../../../src/quic/quic-error.js';
import { AddressedNetwork } from './fake-clock-network.js';

describe('skipped packet numbers', () => {
  it('a 1 MB transfer skips some numbers unnoticed; an ACK covering one closes the connection with PROTOCOL_VIOLATION', () => {
    const n = new AddressedNetwork();
    n.established();
    const s = n.server!;
    // Server → client data so that the server sends many 1-RTT packets.
    const id = s.streams.openStream('uni')!;
    s.streams.write(id, Buffer.alloc(1_000_000, 1));
    s.streams.end(id);
    let got = 0;
    n.run(() => {
      for (let e = n.client.streams.pollEvent(); e; e = n.client.streams.pollEvent()) {
        if (e.type !== 'readable' || e.streamId !== id) continue;
        for (let d = n.client.streams.read(id, n.now); d; d = n.client.streams.read(id, n.now)) got += d.length;
      }
      return got >= 1_000_000;
    });
    expect(got).toBe(1_000_000);
    expect(s.isClosed).toBe(false);
    const skipped = (s.recovery as unknown as { histories: { skipped: number[] }[] }).histories[2]!.skipped;
    expect(skipped.length).toBeGreaterThan(0);
    const refusedBefore = s.recovery.counters.acksRefused;
    // The client claims the last skipped number (and only it) arrived.
    const internals = n.client as unknown as { oneRtt: OneRttKeys; spaces: { nextPacketNumber: number }[] };
    const buf = Buffer.alloc(200);
    const pn = internals.spaces[2]!.nextPacketNumber++;
    const pnOffset = writeShortHeader(buf, 0, n.client.remoteCid, 0, internals.oneRtt.keyPhase, 4, pn);
    const target = skipped.at(-1)!;
    const end = writeFrame(buf, pnOffset + 4, { type: 'ack', ranges: [target, target], ackDelay: 0 } as never);
    s.receiveDatagram(buf.subarray(0, internals.oneRtt.sealPacket(buf, 0, pnOffset, 4, end, pn)), n.now, n.clientAddress);
    expect(s.recovery.counters.acksRefused).toBe(refusedBefore + 1);
    // stats() gathers the live counters of the connection, recovery, streams and paths.
    const stats = s.stats();
    expect(stats.recovery.acksRefused).toBe(refusedBefore + 1);
    expect(stats.recovery.packetsSent).toBeGreaterThan(700);
    expect(stats.bytesSent).toBeGreaterThan(1_000_000);
    expect(stats.packetsReceived).toBeGreaterThan(10);
    expect(stats.streams.localStreamsOpened).toBe(1);
    expect(stats.paths.migrations).toBe(0);
    n.run(() => s.isClosed, 5000);
    const closed = n.serverEvents.find((e) => e.type === 'closed');
    expect(closed).toMatchObject({ type: 'closed', close: { code: QuicErrorCode.PROTOCOL_VIOLATION, initiator: 'local' } });
  });
});
