import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../src/quic/frames/frame-reader.js';
import { PacketType } from '../../../src/quic/packet/packet-header.js';
import { ReceivedPackets } from '../../../src/quic/connection/received-packets.js';

function ackOf(received: ReceivedPackets, now: number, exponent = 3) {
  const buf = Buffer.alloc(1500);
  const end = received.writeAck(buf, 0, now, exponent);
  expect(end).toBe(received.ackFrameLength(now, exponent) || end);
  const reader = new FrameReader();
  reader.reset(buf.subarray(0, end), PacketType.OneRtt);
  return reader.next() as { ranges: number[]; ackDelay: number };
}

describe('ReceivedPackets (RFC 9000 §13.2)', () => {
  it('tracks ranges, merges gaps as they fill, and detects duplicates', () => {
    const r = new ReceivedPackets(false);
    for (const pn of [0, 1, 2, 5, 6, 9, 4, 3, 8]) r.onPacketReceived(pn, true, 0, 25);
    expect(r.trackedRanges()).toEqual([9, 8, 6, 0]);
    expect(r.largest).toBe(9);
    expect(r.isDuplicate(4)).toBe(true);
    expect(r.isDuplicate(7)).toBe(false);
    expect(r.isDuplicate(10)).toBe(false);
    r.onPacketReceived(7, true, 0, 25);
    expect(r.trackedRanges()).toEqual([9, 0]);
  });

  it('keeps at most maxRanges ranges, dropping the oldest; below them everything is a duplicate', () => {
    const r = new ReceivedPackets(false, 4);
    for (let pn = 0; pn < 100; pn += 2) r.onPacketReceived(pn, false, 0, 25);
    expect(r.trackedRanges()).toEqual([98, 98, 96, 96, 94, 94, 92, 92]);
    expect(r.isDuplicate(91)).toBe(true);
    expect(r.isDuplicate(93)).toBe(false);
  });

  it('1-RTT: delays the ACK up to max_ack_delay, acks every second ack-eliciting packet and out-of-order ones at once', () => {
    const r = new ReceivedPackets(false);
    r.onPacketReceived(0, true, 100, 25);
    expect(r.ackDueNow(100)).toBe(false);
    expect(r.ackDeadline).toBe(125);
    expect(r.ackDueNow(125)).toBe(true);
    r.onPacketReceived(1, true, 110, 25);
    expect(r.ackDueNow(110)).toBe(true);
    const ack = ackOf(r, 118);
    expect(ack.ranges).toEqual([1, 0]);
    expect(ack.ackDelay).toBe(Math.floor((8 * 1000) / 8)); // 8 ms since the largest arrived, exponent 3
    expect(r.ackDueNow(118)).toBe(false);
    expect(r.ackDeadline).toBe(Infinity);
    // Non-ack-eliciting packets never schedule an ACK.
    r.onPacketReceived(2, false, 120, 25);
    expect(r.hasUnacknowledged).toBe(false);
    expect(r.ackDeadline).toBe(Infinity);
    // A gap makes the ACK immediate.
    r.onPacketReceived(5, true, 130, 25);
    expect(r.ackDueNow(130)).toBe(true);
  });

  it('Initial/Handshake: acknowledges at once with an ack delay of 0', () => {
    const r = new ReceivedPackets(true);
    r.onPacketReceived(0, true, 0, 25);
    expect(r.ackDueNow(0)).toBe(true);
    expect(ackOf(r, 50).ackDelay).toBe(0);
  });

  it('stops reporting ranges the peer saw acknowledged (ACK of ACK)', () => {
    const r = new ReceivedPackets(false);
    for (const pn of [0, 1, 2, 4, 5, 8, 9]) r.onPacketReceived(pn, true, 0, 25);
    r.onAckAcknowledged(4);
    expect(r.trackedRanges()).toEqual([9, 8, 5, 5]);
    expect(r.isDuplicate(3)).toBe(true);
    r.onAckAcknowledged(20);
    expect(r.trackedRanges()).toEqual([9, 8]);
  });
});
