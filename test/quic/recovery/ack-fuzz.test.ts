/**
 * Bounded fuzz of ACK input: random, mutated and hostile ACK ranges against a
 * connection that keeps sending, skipping packet numbers and timing out. Only
 * QuicError may be thrown, a refused ACK changes nothing, and the books stay
 * exact: bytes in flight equal what a plain model says is in flight, every
 * packet is acknowledged or lost at most once and only if it was sent, and the
 * window stays finite and at least the minimum.
 */
import { describe, expect, test } from 'vitest';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { LossRecovery, PacketNumberSpace } from '../../../src/quic/recovery/loss-recovery.js';
import { seededRandom } from '../seeded-random.js';

const App = PacketNumberSpace.ApplicationData;

describe('ACK fuzz', () => {
  for (const cc of ['newreno', 'cubic'] as const) {
    test(`${cc}: 10,000 random steps keep the books exact and throw only QuicError`, () => {
      const rand = seededRandom(cc === 'cubic' ? 7 : 8);
      const int = (n: number) => Math.floor(rand() * n);
      const lr = new LossRecovery<number>({ isServer: true, congestionControl: cc, maxPacketsPerSpace: 4096 });
      lr.setHandshakeConfirmed(0);
      const inFlight = new Map<number, number>(); // pn -> bytes, outstanding in-flight packets
      const settled = new Set<number>();
      const skipped = new Set<number>();
      let next = 0;
      let now = 0;
      let modelBytes = 0;
      let refused = 0;
      let accepted = 0;

      // expect() per packet would dominate the run time: check plainly, fail loudly
      const settle = (pns: number[], largestAllowed: number) => {
        for (const pn of pns) {
          if (settled.has(pn) || skipped.has(pn) || pn > largestAllowed) {
            expect.fail(`packet ${pn} settled twice, never sent, or above the ACK's largest ${largestAllowed}`);
          }
          settled.add(pn);
          modelBytes -= inFlight.get(pn) ?? 0;
          inFlight.delete(pn);
        }
      };

      for (let step = 0; step < 10000; step++) {
        now += rand() * 5;
        const r = rand();
        if (r < 0.45) {
          const burst = 1 + int(4);
          for (let b = 0; b < burst && lr.hasRoom(App) && inFlight.size < 3000; b++) {
            if (rand() < 0.03) {
              skipped.add(next);
              lr.skipPacketNumber(App, next++);
            }
            const bytes = 50 + int(1200);
            const ackOnly = rand() < 0.1;
            lr.onPacketSent(App, next, now, bytes, !ackOnly, !ackOnly, next);
            if (!ackOnly) {
              inFlight.set(next, bytes);
              modelBytes += bytes;
            } else settled.add(next); // not tracked by the model; recovery may report it acked/lost
            next++;
          }
        } else if (r < 0.93) {
          const ranges = randomRanges(rand, next);
          const before = { bytes: lr.bytesInFlight, cwnd: lr.congestionWindow, largest: lr.largestAckedPacket(App) };
          try {
            // half as pairs, half flattened as the frame reader gives them
            const input = rand() < 0.5 ? ranges : ranges.flatMap(([lo, hi]) => [hi, lo]);
            const ev = lr.onAckReceived(App, input, rand() * 30, now, rand() < 0.05 ? int(5) : -1);
            accepted++;
            const largest = ranges[0][1];
            const acked = ev.acked.filter((pn) => inFlight.has(pn) || !settled.has(pn));
            settle(acked, largest);
            settle(
              ev.lost.filter((pn) => inFlight.has(pn) || !settled.has(pn)),
              largest,
            );
            // a refused ACK must have been refused: an accepted one never names unsent or skipped numbers
            if (largest >= next) expect.fail(`ACK of unsent ${largest} accepted`);
            for (const [lo, hi] of ranges) for (const s of skipped) if (s >= lo && s <= hi) expect.fail(`ACK of skipped ${s} accepted`);
          } catch (e) {
            if (!(e instanceof QuicError)) throw e;
            if (e.code !== QuicErrorCode.FRAME_ENCODING_ERROR && e.code !== QuicErrorCode.PROTOCOL_VIOLATION) expect.fail(`unexpected ${e.message}`);
            if (lr.bytesInFlight !== before.bytes || lr.congestionWindow !== before.cwnd || lr.largestAckedPacket(App) !== before.largest) {
              expect.fail(`refused ACK ${JSON.stringify(ranges)} changed state`);
            }
            refused++;
          }
        } else {
          const deadline = lr.lossDetectionDeadline;
          if (deadline !== Infinity) {
            now = Math.max(now, deadline);
            const ev = lr.onTimeout(now);
            settle(
              ev.lost.filter((pn) => inFlight.has(pn) || !settled.has(pn)),
              Infinity,
            );
          }
        }
        if (
          lr.bytesInFlight !== modelBytes ||
          !Number.isFinite(lr.congestionWindow) ||
          lr.congestionWindow < 2 * 1200 ||
          Number.isNaN(lr.lossDetectionDeadline) ||
          !Number.isFinite(lr.rtt.smoothedRtt)
        ) {
          expect.fail(
            `step ${step}: in flight ${lr.bytesInFlight} (model ${modelBytes}), cwnd ${lr.congestionWindow}, deadline ${lr.lossDetectionDeadline}, srtt ${lr.rtt.smoothedRtt}`,
          );
        }
      }
      let sum = 0;
      for (const b of inFlight.values()) sum += b;
      expect(sum).toBe(modelBytes);
      expect(accepted).toBeGreaterThan(800);
      expect(refused).toBeGreaterThan(500);
    });
  }
});

/** ACK ranges: mostly plausible (below what was sent, descending, separated), often hostile. */
function randomRanges(rand: () => number, next: number): [number, number][] {
  const int = (n: number) => Math.floor(rand() * n);
  const kind = rand();
  if (kind < 0.08) {
    // garbage
    const pick = [-1, 0, 1, next, next + 1, 2 ** 53, 2 ** 62, Number.NaN, 1.5, -(2 ** 40), Infinity];
    const n = int(4);
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) out.push([pick[int(pick.length)], pick[int(pick.length)]]);
    return out;
  }
  if (kind < 0.16) {
    // optimistic: beyond what was sent
    const hi = next + int(100);
    return [[Math.max(0, hi - int(50)), hi]];
  }
  // plausible: descending separated ranges under the largest sent, sometimes mutated
  const out: [number, number][] = [];
  let hi = next - 1 - int(Math.min(next, 20));
  const n = 1 + int(6);
  for (let i = 0; i < n && hi >= 0; i++) {
    const lo = Math.max(0, hi - int(30));
    out.push([lo, hi]);
    hi = lo - 2 - int(10);
  }
  if (out.length === 0) return [[0, 0]];
  if (rand() < 0.1) {
    // mutation: overlap, swap or shift one range
    const i = int(out.length);
    const m = rand();
    if (m < 0.33) out[i] = [out[i][1], out[i][0]];
    else if (m < 0.66 && i > 0) out[i] = [out[i][0], out[i - 1][0]];
    else out.reverse();
  }
  return out;
}
