/**
 * The sent-packet ring: packet numbers stay sorted through wrap-around,
 * growth and compaction (checked against a plain reference model under
 * random operations), it stays within its bound, and it never silently drops
 * a packet that is in flight.
 */
import { describe, expect, test } from 'vitest';
import { SentPacketHistory } from '../../../src/quic/recovery/sent-packet-history.js';
import { seededRandom } from '../seeded-random.js';

function outstanding<T>(h: SentPacketHistory<T>): number[] {
  const pns: number[] = [];
  for (let i = 0; i < h.length; i++) if (h.isOutstanding(i)) pns.push(h.packetNumber(i));
  return pns;
}

describe('SentPacketHistory', () => {
  test('records packets and finds them by number; settled entries leave from the front on reclaim', () => {
    const h = new SentPacketHistory<string>(64, 4);
    for (let pn = 0; pn < 6; pn++) h.add(pn, pn * 10, 1000 + pn, pn % 2 === 0, true, `p${pn}`);
    expect(h.largestSent).toBe(5);
    const i3 = h.lowerBound(3);
    expect(h.packetNumber(i3)).toBe(3);
    expect(h.timeSent(i3)).toBe(30);
    expect(h.sentBytes(i3)).toBe(1003);
    expect(h.isAckEliciting(i3)).toBe(false);
    expect(h.isAckEliciting(h.lowerBound(2))).toBe(true);
    expect(h.markAcked(i3)).toBe('p3');
    expect(h.markLost(h.lowerBound(0))).toBe('p0');
    h.reclaim();
    expect(outstanding(h)).toEqual([1, 2, 4, 5]);
    expect(h.length).toBe(5); // 3 is settled but not at the front
    expect(h.lowerBound(100)).toBe(h.length);
    expect(h.packetNumber(h.lowerBound(3))).toBe(3);
  });

  test('packet numbers must increase; a skipped number counts as sent for that purpose', () => {
    const h = new SentPacketHistory<number>();
    h.add(0, 0, 100, true, true, 0);
    expect(() => h.add(0, 0, 100, true, true, 0)).toThrow(RangeError);
    h.skip(1);
    expect(() => h.add(1, 0, 100, true, true, 1)).toThrow(RangeError);
    h.add(2, 0, 100, true, true, 2);
    expect(h.skippedWithin(0, 5)).toBe(1);
    expect(h.skippedWithin(2, 5)).toBe(-1);
  });

  test('bounded: full of packets in flight, it refuses instead of forgetting one; ACK-only packets are forgotten first', () => {
    const h = new SentPacketHistory<number>(16, 4);
    for (let pn = 0; pn < 16; pn++) h.add(pn, 0, 100, pn >= 8, pn >= 8, pn); // 0..7 are ACK-only
    expect(h.hasRoom).toBe(false);
    h.add(16, 0, 100, true, true, 16); // makes room by forgetting ACK-only packets
    expect(outstanding(h)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16]);
    for (let pn = 17; pn < 24; pn++) h.add(pn, 0, 100, true, true, pn);
    expect(h.length).toBe(16);
    expect(() => h.add(24, 0, 100, true, true, 24)).toThrow(/cap packets in flight/);
    // once some are settled there is room again
    h.markAcked(h.lowerBound(12));
    h.add(24, 0, 100, true, true, 24);
    expect(outstanding(h)).toContain(24);
    expect(outstanding(h)).not.toContain(12);
  });

  test('release() forgets everything and frees the ring; the history still works afterwards (largest sent kept)', () => {
    const h = new SentPacketHistory<number>(64, 4);
    expect(h.lowerBound(0)).toBe(0); // nothing allocated yet
    for (let pn = 0; pn < 10; pn++) h.add(pn, 0, 100, true, true, pn);
    h.release();
    expect(h.length).toBe(0);
    expect(h.largestSent).toBe(9);
    expect(() => h.add(5, 0, 100, true, true, 5)).toThrow(RangeError);
    h.add(10, 1, 100, true, true, 10);
    expect(outstanding(h)).toEqual([10]);
  });

  test('random sends, ACKs, losses and reclaims agree with a reference model (ring wrap, growth, compaction)', () => {
    const rand = seededRandom(42);
    const h = new SentPacketHistory<number>(256, 4);
    const model = new Map<number, { inFlight: boolean; time: number }>();
    let next = 0;
    let inFlightCount = 0;
    for (let step = 0; step < 10000; step++) {
      const r = rand();
      if (r < 0.5) {
        const inFlight = rand() < 0.9;
        if (inFlightCount >= 250) continue;
        if (inFlight) inFlightCount++;
        if (rand() < 0.05) h.skip(next++);
        h.add(next, step, 1200, inFlight, inFlight, next);
        model.set(next, { inFlight, time: step });
        next++;
      } else if (r < 0.9) {
        if (model.size === 0) continue;
        const keys = [...model.keys()];
        const pn = keys[Math.floor(rand() * keys.length)];
        const i = h.lowerBound(pn);
        // the model may hold an ACK-only packet the ring forgot to make room
        if (i < h.length && h.packetNumber(i) === pn && h.isOutstanding(i)) {
          expect(rand() < 0.5 ? h.markAcked(i) : h.markLost(i)).toBe(pn);
          expect(h.timeSent(i)).toBe(model.get(pn)!.time);
        } else {
          expect(model.get(pn)!.inFlight).toBe(false);
        }
        if (model.get(pn)!.inFlight) inFlightCount--;
        model.delete(pn);
      } else {
        h.reclaim();
      }
      if (step % 97 === 0) {
        const kept = outstanding(h);
        for (let k = 1; k < kept.length; k++) expect(kept[k]).toBeGreaterThan(kept[k - 1]);
        const inFlightModel = [...model.entries()]
          .filter(([, p]) => p.inFlight)
          .map(([pn]) => pn)
          .sort((a, b) => a - b);
        const inFlightRing = kept.filter((pn) => h.isInFlight(h.lowerBound(pn)));
        expect(inFlightRing).toEqual(inFlightModel);
        expect(h.length).toBeLessThanOrEqual(256);
      }
    }
  });
});
