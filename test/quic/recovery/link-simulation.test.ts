/**
 * Recovery and congestion control driving a sender over a simulated link, in
 * simulated time: a bottleneck (bandwidth, one-way delay, a drop-tail buffer
 * of one bandwidth-delay product) with seeded random loss both ways, and the
 * stack's own receiver side (src/quic/connection/received-packets.ts: an ACK
 * every second packet, at once on a gap, else within 25 ms; at most 32
 * ranges) whose ACK frames are written and read back by src/quic/frames, so
 * recovery gets exactly what a peer's bytes would give it. The sender paces, respects the
 * window, resends what was declared lost and sends PTO probes. Every run
 * must deliver every chunk, and goodput must be what a loss-based controller
 * can reach: most of the link without random loss, and at least half the
 * Mathis et al. estimate for Reno (1.22·MSS/(RTT·√p)) with it.
 */
import { describe, expect, test } from 'vitest';
import { LossRecovery, PacketNumberSpace } from '../../../src/quic/recovery/loss-recovery.js';
import { seededRandom } from '../seeded-random.js';
import { ReceivedPackets } from '../../../src/quic/connection/received-packets.js';
import { FrameReader } from '../../../src/quic/frames/frame-reader.js';
import type { AckFrame } from '../../../src/quic/frames/frame.js';
import { PacketType } from '../../../src/quic/packet/packet-header.js';

const App = PacketNumberSpace.ApplicationData;
const MSS = 1200;
const ACK_DELAY_EXPONENT = 3;
const MAX_ACK_DELAY = 25;

interface LinkParams {
  congestionControl: 'cubic' | 'newreno';
  /** Bytes per millisecond at the bottleneck. */
  rate: number;
  /** One-way propagation delay (ms). */
  delay: number;
  /** Random loss probability, each way. */
  loss: number;
  chunks: number;
  seed: number;
}

interface SimResult {
  completedAt: number;
  goodputBytesPerMs: number;
  packetsSent: number;
  packetsDeclaredLost: number;
  ptoCount: number;
  delivered: number;
}

type SimEvent =
  { t: number; kind: 'arrive'; pn: number; chunk: number } | { t: number; kind: 'ack'; ranges: number[]; ackDelay: number } | { t: number; kind: 'ackTimer' };

/** A time-ordered queue; events at the same time keep their insertion order. */
class EventQueue {
  private readonly items: SimEvent[] = [];
  push(e: SimEvent): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].t <= e.t) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, e);
  }
  get nextTime(): number {
    return this.items.length > 0 ? this.items[0].t : Infinity;
  }
  shift(): SimEvent {
    return this.items.shift()!;
  }
}

function simulate(p: LinkParams): SimResult {
  const rand = seededRandom(p.seed);
  const lr = new LossRecovery<number>({ isServer: true, congestionControl: p.congestionControl });
  lr.setHandshakeConfirmed(0);
  const events = new EventQueue();
  const bufferBytes = Math.max(10 * MSS, p.rate * 2 * p.delay); // one bandwidth-delay product

  // sender
  const retransmit: number[] = [];
  let nextChunk = 0;
  const ackedChunks = new Uint8Array(p.chunks);
  const inFlightChunks = new Map<number, number>(); // chunk -> copies in flight
  let ackedCount = 0;
  let pn = 0;
  let packetsSent = 0;
  let declaredLost = 0;
  let linkFreeAt = 0;

  // receiver
  const received = new ReceivedPackets(false);
  const ackBuf = Buffer.alloc(2048);
  const frameReader = new FrameReader();
  const deliveredChunks = new Uint8Array(p.chunks);
  let delivered = 0;
  let ackTimerAt = Infinity;

  const nextToSend = (): number => {
    while (retransmit.length > 0) {
      const c = retransmit.shift()!;
      if (!ackedChunks[c]) return c;
    }
    if (nextChunk < p.chunks) return nextChunk++;
    return -1;
  };
  const hasData = () => nextChunk < p.chunks || retransmit.some((c) => !ackedChunks[c]);

  const transmit = (chunk: number, now: number): void => {
    lr.onPacketSent(App, pn, now, MSS, true, true, chunk);
    inFlightChunks.set(chunk, (inFlightChunks.get(chunk) ?? 0) + 1);
    packetsSent++;
    const backlog = Math.max(0, linkFreeAt - now) * p.rate;
    if (rand() >= p.loss && backlog + MSS <= bufferBytes) {
      linkFreeAt = Math.max(now, linkFreeAt) + MSS / p.rate;
      events.push({ t: linkFreeAt + p.delay, kind: 'arrive', pn, chunk });
    }
    pn++;
  };

  const sendAck = (now: number): void => {
    const n = received.writeAck(ackBuf, 0, now, ACK_DELAY_EXPONENT);
    ackTimerAt = Infinity;
    if (rand() < p.loss) return;
    frameReader.reset(ackBuf.subarray(0, n), PacketType.OneRtt);
    const frame = frameReader.next() as AckFrame;
    const ackDelay = (frame.ackDelay * 2 ** ACK_DELAY_EXPONENT) / 1000;
    events.push({ t: now + p.delay, kind: 'ack', ranges: frame.ranges, ackDelay });
  };

  const settleLost = (lost: number[]): void => {
    for (const chunk of lost) {
      declaredLost++;
      const copies = (inFlightChunks.get(chunk) ?? 1) - 1;
      inFlightChunks.set(chunk, copies);
      if (!ackedChunks[chunk] && copies === 0) retransmit.push(chunk);
    }
  };

  let now = 0;
  const limit = 600_000; // ten simulated minutes: far beyond any healthy run
  let iterations = 0;
  while (ackedCount < p.chunks) {
    if (++iterations > 50 * p.chunks + 100_000) {
      throw new Error(
        `no progress: ${iterations} iterations at ${now} ms, ${ackedCount}/${p.chunks} acknowledged, deadline ${lr.lossDetectionDeadline}, window ${lr.sendWindow}, next send ${lr.nextSendTime(now)}`,
      );
    }
    // send what the window and the pacer allow
    while (lr.sendWindow >= MSS && hasData() && lr.nextSendTime(now) <= now) {
      const chunk = nextToSend();
      if (chunk < 0) break;
      transmit(chunk, now);
    }
    const pacerAt = lr.sendWindow >= MSS && hasData() ? lr.nextSendTime(now) : Infinity;
    const t = Math.min(events.nextTime, lr.lossDetectionDeadline, pacerAt);
    if (t === Infinity) throw new Error(`stalled at ${now} ms with ${ackedCount}/${p.chunks} chunks acknowledged`);
    now = Math.max(now, t);
    if (now > limit) throw new Error(`not done after ${limit} ms: ${ackedCount}/${p.chunks}`);

    while (events.nextTime <= now) {
      const e = events.shift();
      if (e.kind === 'arrive') {
        if (received.isDuplicate(e.pn)) continue;
        received.onPacketReceived(e.pn, true, e.t, MAX_ACK_DELAY);
        if (!deliveredChunks[e.chunk]) {
          deliveredChunks[e.chunk] = 1;
          delivered++;
        }
        if (received.ackDueNow(e.t)) sendAck(e.t);
        else if (received.ackDeadline < ackTimerAt) {
          ackTimerAt = received.ackDeadline;
          events.push({ t: ackTimerAt, kind: 'ackTimer' });
        }
      } else if (e.kind === 'ackTimer') {
        if (e.t === ackTimerAt && received.ackDueNow(e.t)) sendAck(e.t);
      } else {
        const ev = lr.onAckReceived(App, e.ranges, e.ackDelay, now);
        for (const chunk of ev.acked) {
          inFlightChunks.set(chunk, (inFlightChunks.get(chunk) ?? 1) - 1);
          if (!ackedChunks[chunk]) {
            ackedChunks[chunk] = 1;
            ackedCount++;
          }
        }
        settleLost(ev.lost);
      }
    }
    if (lr.lossDetectionDeadline <= now) {
      const ev = lr.onTimeout(now);
      settleLost(ev.lost);
      for (let i = 0; i < ev.probePackets; i++) {
        // a probe carries new data if there is some, else resends the oldest chunk still unacknowledged
        let chunk = nextToSend();
        if (chunk < 0) for (chunk = 0; chunk < p.chunks && ackedChunks[chunk]; chunk++);
        if (chunk >= p.chunks) break;
        transmit(chunk, now);
      }
    }
  }
  return {
    completedAt: now,
    goodputBytesPerMs: (p.chunks * MSS) / now,
    packetsSent,
    packetsDeclaredLost: declaredLost,
    ptoCount: lr.ptoCount,
    delivered,
  };
}

/** Mathis et al.: the steady-state rate of Reno under random loss p, bytes per ms. */
function mathisRate(rttMs: number, loss: number): number {
  return (1.22 * MSS) / (rttMs * Math.sqrt(loss));
}

function report(cc: string, loss: number, r: SimResult): void {
  const mbit = (r.goodputBytesPerMs * 8) / 1000;
  console.log(
    `${cc} ${loss * 100}% loss: ${mbit.toFixed(2)} Mbit/s goodput, ${(r.completedAt / 1000).toFixed(1)} s, ${r.packetsSent} sent, ${r.packetsDeclaredLost} declared lost`,
  );
}

describe('a sender over a simulated link', () => {
  // 10 Mbit/s bottleneck, 40 ms RTT
  const link = { rate: 1250, delay: 20 };

  for (const cc of ['cubic', 'newreno'] as const) {
    test(`${cc}, no random loss: 3000 packets delivered at most of the link rate`, () => {
      const r = simulate({ ...link, congestionControl: cc, loss: 0, chunks: 3000, seed: 1 });
      report(cc, 0, r);
      expect(r.delivered).toBe(3000);
      expect(r.goodputBytesPerMs).toBeGreaterThan(0.7 * link.rate);
      expect(r.goodputBytesPerMs).toBeLessThanOrEqual(link.rate);
      // only buffer overflow in slow start loses packets
      expect(r.packetsSent).toBeLessThan(3000 * 1.1);
    });

    for (const loss of [0.05, 0.1]) {
      test(`${cc}, ${loss * 100}% random loss both ways: every chunk delivered, goodput at least half of Mathis`, () => {
        for (const seed of [11, 12, 13]) {
          const r = simulate({ ...link, congestionControl: cc, loss, chunks: 2000, seed });
          report(cc, loss, r);
          expect(r.delivered).toBe(2000);
          const mathis = mathisRate(2 * link.delay, loss);
          expect(r.goodputBytesPerMs, `seed ${seed}: ${JSON.stringify(r)}`).toBeGreaterThan(0.5 * mathis);
          expect(r.goodputBytesPerMs).toBeLessThanOrEqual(link.rate);
          // resent about what was lost, not the whole flight over again
          expect(r.packetsSent).toBeLessThan(2000 * (1 + 3 * loss));
        }
      });
    }
  }
});
