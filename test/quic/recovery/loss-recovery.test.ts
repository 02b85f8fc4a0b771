/**
 * Loss detection and PTO (RFC 9002 §6, Appendix A) through the connection's
 * API: packet- and time-threshold loss, the PTO and its backoff per space,
 * the handshake rules (application PTO only once confirmed, client
 * anti-deadlock, amplification-limited server), persistent congestion,
 * discarding a space, ECN-CE, and ACKs of packets never sent — the
 * optimistic-ACK attack of CVE-2025-4820/4821 — refused without growing the
 * window.
 */
import { describe, expect, test } from 'vitest';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { LossRecovery, PacketNumberSpace, type AckRanges } from '../../../src/quic/recovery/loss-recovery.js';
import { FrameReader } from '../../../src/quic/frames/frame-reader.js';
import { writeAckFrame } from '../../../src/quic/frames/frame-writer.js';
import type { AckFrame } from '../../../src/quic/frames/frame.js';
import { PacketType } from '../../../src/quic/packet/packet-header.js';

const { Initial, Handshake, ApplicationData: App } = PacketNumberSpace;
const MDS = 1200;

function server(cc: 'cubic' | 'newreno' = 'newreno'): LossRecovery<number> {
  const lr = new LossRecovery<number>({ isServer: true, congestionControl: cc });
  lr.setHandshakeConfirmed(0);
  return lr;
}

function send(lr: LossRecovery<number>, space: PacketNumberSpace, from: number, to: number, now: number, bytes = MDS): void {
  for (let pn = from; pn <= to; pn++) lr.onPacketSent(space, pn, now, bytes, true, true, pn);
}

function ackError(fn: () => unknown): QuicError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QuicError) return e;
    throw e;
  }
  throw new Error('no QuicError thrown');
}

describe('ACK processing', () => {
  test('acknowledged records come back in packet-number order; bytes in flight fall; the RTT is sampled from the largest', () => {
    const lr = server();
    send(lr, App, 0, 4, 0);
    expect(lr.bytesInFlight).toBe(5 * MDS);
    const ev = lr.onAckReceived(
      App,
      [
        [3, 4],
        [0, 1],
      ],
      0,
      50,
    );
    expect(ev.acked).toEqual([0, 1, 3, 4]);
    expect(ev.lost).toEqual([]);
    expect(lr.bytesInFlight).toBe(MDS);
    expect(lr.rtt.latestRtt).toBe(50);
    expect(lr.rtt.smoothedRtt).toBe(50);
    expect(lr.largestAckedPacket(App)).toBe(4);
    // the same ACK again changes nothing and takes no RTT sample
    const again = lr.onAckReceived(
      App,
      [
        [3, 4],
        [0, 1],
      ],
      0,
      500,
    );
    expect(again.acked).toEqual([]);
    expect(lr.rtt.latestRtt).toBe(50);
  });

  test('no RTT sample when the largest acknowledged was not newly acknowledged or only non-ack-eliciting packets were', () => {
    const lr = server();
    send(lr, App, 0, 1, 0);
    lr.onPacketSent(App, 2, 10, 50, false, false, 2); // ACK-only
    lr.onAckReceived(App, [[1, 1]], 0, 30);
    expect(lr.rtt.latestRtt).toBe(30);
    lr.onAckReceived(App, [[2, 2]], 0, 100);
    expect(lr.rtt.latestRtt).toBe(30);
    lr.onAckReceived(App, [[0, 2]], 0, 200); // 0 newly acked, but the largest (2) was not
    expect(lr.rtt.latestRtt).toBe(30);
  });

  test('Initial ACK delay is ignored; Handshake ACK delay is used but not capped before confirmation', () => {
    const client = new LossRecovery<number>({ isServer: false });
    send(client, Initial, 0, 1, 0);
    client.onAckReceived(Initial, [[0, 0]], 0, 100);
    client.onAckReceived(Initial, [[1, 1]], 80, 220); // latest 220, delay ignored
    expect(client.rtt.smoothedRtt).toBeCloseTo(0.875 * 100 + 0.125 * 220, 10);
    send(client, Handshake, 0, 0, 300);
    client.onAckReceived(Handshake, [[0, 0]], 100, 500); // latest 200, delay 100 (over max_ack_delay 25, not yet capped)
    expect(client.rtt.latestRtt).toBe(200);
    const smoothedBefore = 0.875 * 100 + 0.125 * 220;
    expect(client.rtt.smoothedRtt).toBeCloseTo(0.875 * smoothedBefore + 0.125 * 100, 10);
  });

  test('ranges straight from the frame reader (flattened, largest first) are taken as they are, and mean what the pairs mean', () => {
    const ackFrame = (ranges: number[], ecnCe?: number): AckFrame => {
      const buf = Buffer.alloc(256);
      const n = writeAckFrame(buf, 0, ranges, 125, ecnCe === undefined ? undefined : { ect0: 10, ect1: 0, ce: ecnCe });
      const reader = new FrameReader();
      reader.reset(buf.subarray(0, n), PacketType.OneRtt);
      return reader.next() as AckFrame;
    };
    const fromFrame = server();
    const fromPairs = server();
    for (const lr of [fromFrame, fromPairs]) send(lr, App, 0, 20, 0);
    const frame = ackFrame([20, 15, 10, 8, 3, 0]);
    expect(frame.ranges).toEqual([20, 15, 10, 8, 3, 0]);
    // ACK Delay 125 with the default exponent 3: 1000 µs = 1 ms
    const a = fromFrame.onAckReceived(App, frame.ranges, (frame.ackDelay * 2 ** 3) / 1000, 40).acked.slice();
    const b = fromPairs
      .onAckReceived(
        App,
        [
          [15, 20],
          [8, 10],
          [0, 3],
        ],
        1,
        40,
      )
      .acked.slice();
    expect(a).toEqual([0, 1, 2, 3, 8, 9, 10, 15, 16, 17, 18, 19, 20]);
    expect(b).toEqual(a);
    expect(fromFrame.bytesInFlight).toBe(fromPairs.bytesInFlight);
    // an optimistic ACK as the peer would encode it
    const optimistic = ackFrame([30, 0]);
    expect(ackError(() => fromFrame.onAckReceived(App, optimistic.ranges, 0, 50)).code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
    // an odd-length flat array cannot come from a frame
    expect(ackError(() => fromFrame.onAckReceived(App, [20, 15, 10], 0, 50)).code).toBe(QuicErrorCode.FRAME_ENCODING_ERROR);
  });

  test('malformed ranges are FRAME_ENCODING_ERROR: empty, inverted, overlapping, adjacent, ascending, negative, fractional', () => {
    const lr = server();
    send(lr, App, 0, 20, 0);
    const bad: AckRanges[] = [
      [],
      [[5, 3]],
      [
        [4, 8],
        [2, 4],
      ],
      [
        [5, 8],
        [2, 4],
      ],
      [
        [0, 1],
        [5, 6],
      ],
      [[-1, 3]],
      [[1.5, 3]],
      [[0, Number.NaN]],
    ];
    for (const ranges of bad) {
      const err = ackError(() => lr.onAckReceived(App, ranges, 0, 10));
      expect(err.code, JSON.stringify(ranges)).toBe(QuicErrorCode.FRAME_ENCODING_ERROR);
      expect(err.frameType).toBe(0x02);
    }
    expect(lr.bytesInFlight).toBe(21 * MDS);
    expect(
      lr.onAckReceived(
        App,
        [
          [7, 8],
          [2, 5],
        ],
        0,
        10,
      ).acked,
    ).toEqual([2, 3, 4, 5, 7, 8]);
  });
});

describe('ACKs of packets never sent (CVE-2025-4820/4821: optimistic ACKs growing the window)', () => {
  test('an ACK above the largest packet sent is a PROTOCOL_VIOLATION, and nothing changes', () => {
    const lr = server();
    send(lr, App, 0, 9, 0);
    const cwnd = lr.congestionWindow;
    const err = ackError(() => lr.onAckReceived(App, [[0, 1000]], 0, 10));
    expect(err.code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
    expect(err.frameType).toBe(0x02);
    expect(err.message).toMatch(/never sent/);
    expect(lr.congestionWindow).toBe(cwnd);
    expect(lr.bytesInFlight).toBe(10 * MDS);
    expect(lr.largestAckedPacket(App)).toBe(-1);
    expect(lr.rtt.hasRttSample).toBe(false);
    // the packets are still there for an honest ACK
    expect(lr.onAckReceived(App, [[0, 9]], 0, 10).acked).toHaveLength(10);
  });

  test('an ACK in a space where nothing was sent is refused too', () => {
    const lr = new LossRecovery<number>({ isServer: true });
    send(lr, Initial, 0, 2, 0);
    expect(ackError(() => lr.onAckReceived(Handshake, [[0, 0]], 0, 10)).code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
  });

  test('an ACK covering a skipped packet number is a PROTOCOL_VIOLATION even below the largest sent', () => {
    const lr = server();
    send(lr, App, 0, 4, 0);
    lr.skipPacketNumber(App, 5);
    send(lr, App, 6, 9, 0);
    const cwnd = lr.congestionWindow;
    const err = ackError(() =>
      lr.onAckReceived(
        App,
        [
          [8, 9],
          [0, 6],
        ],
        0,
        10,
      ),
    );
    expect(err.code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
    expect(err.message).toMatch(/packet 5/);
    expect(lr.congestionWindow).toBe(cwnd);
    expect(lr.bytesInFlight).toBe(9 * MDS);
    expect(
      lr.onAckReceived(
        App,
        [
          [6, 9],
          [0, 4],
        ],
        0,
        10,
      ).acked,
    ).toHaveLength(9);
  });

  test('a peer acknowledging ahead of what it received, round after round, never grows the window and is refused every time', () => {
    for (const cc of ['newreno', 'cubic'] as const) {
      const lr = server(cc);
      const start = lr.congestionWindow;
      let pn = 0;
      let refused = 0;
      for (let round = 0; round < 50; round++) {
        const now = round * 20;
        const first = pn;
        while (lr.sendWindow >= MDS) lr.onPacketSent(App, pn, now, MDS, true, true, pn++);
        // the attacker claims the whole flight plus what we would send next
        try {
          lr.onAckReceived(App, [[first, pn - 1 + 10]], 0, now + 10);
        } catch (e) {
          expect(e).toBeInstanceOf(QuicError);
          expect((e as QuicError).code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
          refused++;
        }
        expect(lr.congestionWindow).toBeLessThanOrEqual(start);
        if (lr.sendWindow < MDS) break; // nothing acknowledged: the window stays full
      }
      expect(refused).toBeGreaterThan(0);
      expect(lr.congestionWindow).toBe(start);
      expect(lr.bytesInFlight).toBe(pn * MDS);
    }
  });
});

describe('loss detection (§6.1)', () => {
  test('packet threshold: a packet 3 below the largest acknowledged is lost; nearer ones wait for the time threshold', () => {
    const lr = server();
    send(lr, App, 0, 5, 0);
    const ev = lr.onAckReceived(App, [[5, 5]], 0, 100);
    expect(ev.acked).toEqual([5]);
    expect(ev.lost).toEqual([0, 1, 2]);
    expect(ev.lostSpace).toBe(App);
    // 3 and 4: lost at time_sent + 9/8 × max(smoothed 100, latest 100)
    expect(lr.lossDetectionDeadline).toBeCloseTo(112.5, 10);
    expect(lr.onTimeout(112).lost).toEqual([]); // early: nothing
    const timed = lr.onTimeout(112.5);
    expect(timed.lost).toEqual([3, 4]);
    expect(timed.probePackets).toBe(0);
    expect(lr.bytesInFlight).toBe(0);
    expect(lr.lossDetectionDeadline).toBe(Infinity);
  });

  test('time threshold: a packet sent more than 9/8 RTT before an acknowledged one is lost on that ACK', () => {
    const lr = server();
    send(lr, App, 0, 0, 0);
    lr.onAckReceived(App, [[0, 0]], 0, 40); // RTT 40
    send(lr, App, 1, 1, 50);
    send(lr, App, 2, 2, 100);
    // at 140, packet 1 (sent at 50) is older than 140 − 45 = 95: lost, though only one packet behind
    const ev = lr.onAckReceived(App, [[2, 2]], 0, 140);
    expect(ev.lost).toEqual([1]);
  });

  test('the loss timer, when it fires at the time it asked for, declares the packet lost (never re-arms at the same time)', () => {
    // time_sent <= now − loss_delay, as the RFC writes it, rounds the wrong way for some of these times
    for (let k = 0; k < 200; k++) {
      const lr = server();
      const rttMs = 40 + (k % 97) * 0.013;
      send(lr, App, 0, 0, 0);
      lr.onAckReceived(App, [[0, 0]], 0, rttMs);
      const t = 1000 + k * 0.1;
      send(lr, App, 1, 1, t);
      send(lr, App, 2, 2, t);
      lr.onAckReceived(App, [[2, 2]], 0, t + rttMs);
      const deadline = lr.lossDetectionDeadline;
      expect(deadline).toBeGreaterThan(t + rttMs);
      expect(lr.onTimeout(deadline).lost, `k=${k}`).toEqual([1]);
      expect(lr.lossDetectionDeadline).toBe(Infinity);
    }
  });

  test('kGranularity: with a sub-millisecond RTT the loss delay is still 1 ms', () => {
    const lr = server();
    send(lr, App, 0, 1, 0);
    lr.onAckReceived(App, [[1, 1]], 0, 0.1);
    expect(lr.lossDetectionDeadline).toBeCloseTo(1, 10);
  });

  test('a loss halves the NewReno window once per recovery period; a loss of a packet sent after the period began halves it again', () => {
    const lr = server('newreno');
    const w0 = lr.congestionWindow;
    send(lr, App, 0, 9, 0);
    lr.onAckReceived(App, [[4, 4]], 0, 100); // 0 and 1 lost
    expect(lr.congestionWindow).toBe(w0 / 2);
    lr.onAckReceived(
      App,
      [
        [8, 8],
        [4, 4],
      ],
      0,
      110,
    ); // 2, 3, 5 lost, all sent before the recovery began
    expect(lr.congestionWindow).toBe(w0 / 2);
    expect(lr.congestion.slowStartThreshold).toBe(w0 / 2);
    // ACKs of packets sent before the recovery began do not grow the window either
    lr.onAckReceived(
      App,
      [
        [8, 9],
        [4, 4],
      ],
      0,
      120,
    );
    expect(lr.congestionWindow).toBe(w0 / 2);
    send(lr, App, 10, 14, 130);
    lr.onAckReceived(
      App,
      [
        [14, 14],
        [8, 9],
        [4, 4],
      ],
      0,
      230,
    ); // 10, 11 lost, sent after 100
    expect(lr.congestionWindow).toBe(w0 / 4);
  });

  test('ECN-CE: an increased CE count is a congestion event, once per recovery period', () => {
    const lr = server('newreno');
    const w0 = lr.congestionWindow;
    send(lr, App, 0, 3, 0);
    lr.onAckReceived(App, [[0, 0]], 0, 10, 0);
    expect(lr.congestionWindow).toBe(w0);
    lr.onAckReceived(App, [[0, 1]], 0, 20, 1);
    expect(lr.congestionWindow).toBe(w0 / 2);
    lr.onAckReceived(App, [[0, 2]], 0, 30, 1); // same count: nothing new
    lr.onAckReceived(App, [[0, 3]], 0, 40, 2); // packet 3 was sent before the recovery began
    expect(lr.congestionWindow).toBe(w0 / 2);
  });
});

describe('PTO (§6.2)', () => {
  test('armed at last ack-eliciting send + smoothed + max(4 rttvar, 1) + max_ack_delay, doubling with each PTO; an ACK resets the backoff', () => {
    const lr = server();
    send(lr, App, 0, 0, 0);
    lr.onAckReceived(App, [[0, 0]], 0, 100); // smoothed 100, rttvar 50: base 300
    expect(lr.lossDetectionDeadline).toBe(Infinity);
    send(lr, App, 1, 1, 200);
    expect(lr.lossDetectionDeadline).toBe(200 + 300 + 25);
    const pto1 = lr.onTimeout(525);
    expect(pto1.probePackets).toBe(2);
    expect(pto1.probeSpace).toBe(App);
    expect(pto1.lost).toEqual([]);
    expect(lr.ptoCount).toBe(1);
    expect(lr.lossDetectionDeadline).toBe(200 + 2 * 325);
    send(lr, App, 2, 3, 525); // the probes
    expect(lr.lossDetectionDeadline).toBe(525 + 2 * 325);
    lr.onTimeout(525 + 650);
    expect(lr.ptoCount).toBe(2);
    send(lr, App, 4, 4, 1175);
    expect(lr.lossDetectionDeadline).toBe(1175 + 4 * 325);
    lr.onTimeout(1175 + 1300);
    expect(lr.ptoCount).toBe(3);
    // a PTO declares nothing lost by itself
    expect(lr.bytesInFlight).toBe(4 * MDS);
    lr.onAckReceived(App, [[4, 4]], 0, 2500);
    expect(lr.ptoCount).toBe(0);
  });

  test('before the handshake is confirmed, application data arms no PTO; the earliest of Initial and Handshake does, without max_ack_delay', () => {
    const lr = new LossRecovery<number>({ isServer: true });
    send(lr, App, 0, 0, 0);
    expect(lr.lossDetectionDeadline).toBe(Infinity);
    send(lr, Handshake, 0, 0, 10);
    send(lr, Initial, 0, 0, 20);
    expect(lr.lossDetectionDeadline).toBe(10 + 999);
    const ev = lr.onTimeout(1009);
    expect(ev.probeSpace).toBe(Handshake);
    lr.setHandshakeConfirmed(1010);
    lr.discardSpace(Initial, 1010);
    lr.discardSpace(Handshake, 1010);
    expect(lr.lossDetectionDeadline).toBe(0 + 999 + 25);
  });

  test('client anti-deadlock: nothing in flight and the server has not validated our address → a PTO asks for one probe, Initial then Handshake', () => {
    const client = new LossRecovery<number>({ isServer: false });
    send(client, Initial, 0, 0, 0);
    client.onAckReceived(Initial, [[0, 0]], 0, 50);
    // nothing in flight, but the server may be blocked by its amplification limit
    expect(client.lossDetectionDeadline).toBe(50 + 50 + 4 * 25);
    expect(client.onTimeout(199).probePackets).toBe(0);
    const ev = client.onTimeout(200);
    expect(ev.probePackets).toBe(1);
    expect(ev.probeSpace).toBe(Initial);
    expect(client.lossDetectionDeadline).toBe(200 + 2 * 150);
    client.setHandshakeKeysAvailable();
    expect(client.onTimeout(500).probeSpace).toBe(Handshake);
    // a Handshake ACK means the server validated us: the timer stops when nothing is in flight
    send(client, Handshake, 0, 0, 460);
    client.onAckReceived(Handshake, [[0, 0]], 0, 500);
    expect(client.lossDetectionDeadline).toBe(Infinity);
    expect(client.ptoCount).toBe(0);
  });

  test('a server blocked by the anti-amplification limit arms no PTO; unblocking arms it again (possibly already due)', () => {
    const lr = new LossRecovery<number>({ isServer: true });
    send(lr, Initial, 0, 2, 0);
    expect(lr.lossDetectionDeadline).toBe(999);
    lr.setAntiAmplificationLimited(true, 0);
    expect(lr.lossDetectionDeadline).toBe(Infinity);
    expect(lr.onTimeout(5000).probePackets).toBe(0);
    lr.setAntiAmplificationLimited(false, 5000);
    expect(lr.lossDetectionDeadline).toBe(999);
    expect(lr.onTimeout(5000).probePackets).toBe(2);
  });

  test('discarding a space removes its bytes from flight and its timers, and resets the PTO backoff (§A.11)', () => {
    const lr = new LossRecovery<number>({ isServer: true });
    send(lr, Initial, 0, 2, 0);
    send(lr, Handshake, 0, 1, 5);
    lr.onTimeout(999);
    expect(lr.ptoCount).toBe(1);
    lr.discardSpace(Initial, 1000);
    expect(lr.bytesInFlight).toBe(2 * MDS);
    expect(lr.ptoCount).toBe(0);
    expect(lr.lossDetectionDeadline).toBe(5 + 999);
    lr.discardSpace(Handshake, 1000);
    expect(lr.bytesInFlight).toBe(0);
    expect(lr.lossDetectionDeadline).toBe(Infinity);
    // late ACKs for a discarded space are ignored; sending there is a bug
    expect(lr.onAckReceived(Initial, [[0, 2]], 0, 1100).acked).toEqual([]);
    expect(() => send(lr, Initial, 3, 3, 1100)).toThrow(RangeError);
    expect(() => lr.discardSpace(App, 1100)).toThrow(RangeError);
  });
});

describe('persistent congestion (§7.6)', () => {
  // RTT 10 ms, then another 10 ms sample on the ACK that reveals the loss: duration = (10 + 4 × 3.75 + 25) × 3 = 150 ms
  function primed(): LossRecovery<number> {
    const lr = server('newreno');
    send(lr, App, 0, 0, 0);
    lr.onAckReceived(App, [[0, 0]], 0, 10);
    return lr;
  }

  test('ack-eliciting packets lost across more than the persistent congestion duration, nothing acknowledged between: the window collapses to 2 × max_datagram_size', () => {
    const lr = primed();
    for (let pn = 1; pn <= 10; pn++) send(lr, App, pn, pn, 20 * pn); // 20 .. 200 ms: 180 ms apart
    send(lr, App, 11, 11, 210);
    const ev = lr.onAckReceived(App, [[11, 11]], 0, 220);
    expect(ev.lost).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lr.congestionWindow).toBe(2 * MDS);
    expect(lr.counters.persistentCongestions).toBe(1);
  });

  test('not when the lost packets span less than the duration, nor when one packet between them was acknowledged', () => {
    const short = primed();
    for (let pn = 1; pn <= 7; pn++) send(short, App, pn, pn, 20 * pn); // 120 ms apart
    send(short, App, 8, 8, 210);
    short.onAckReceived(App, [[8, 8]], 0, 220);
    expect(short.congestionWindow).toBe(short.congestion.slowStartThreshold);
    expect(short.congestionWindow).toBeGreaterThan(2 * MDS);

    // The same losses with one packet between them acknowledged by the same ACK: two runs of 75 ms, not one of 200.
    const spaced = (ackMiddle: boolean): LossRecovery<number> => {
      const lr = primed();
      for (let pn = 1; pn <= 10; pn++) send(lr, App, pn, pn, 25 * pn);
      lr.onAckReceived(
        App,
        ackMiddle
          ? [
              [10, 10],
              [5, 5],
            ]
          : [[10, 10]],
        0,
        255,
      );
      return lr;
    };
    expect(spaced(false).congestionWindow).toBe(2 * MDS);
    expect(spaced(true).congestionWindow).toBeGreaterThan(2 * MDS);
  });

  test('packets sent before the first RTT sample do not count', () => {
    const lr = server('newreno');
    for (let pn = 0; pn <= 9; pn++) send(lr, App, pn, pn, 100 * pn); // 0 .. 900 ms, no sample yet
    lr.onAckReceived(App, [[9, 9]], 0, 950);
    expect(lr.congestionWindow).toBeGreaterThan(2 * MDS);
  });
});

describe('congestion window through recovery', () => {
  test('slow start doubles the window each round trip while the sender fills it', () => {
    const lr = server('newreno');
    const w0 = lr.congestionWindow;
    let pn = 0;
    let now = 0;
    for (let round = 1; round <= 4; round++) {
      const first = pn;
      while (lr.sendWindow >= MDS) lr.onPacketSent(App, pn, now, MDS, true, true, pn++);
      now += 50;
      lr.onAckReceived(App, [[first, pn - 1]], 0, now);
      expect(lr.congestionWindow).toBe(w0 * 2 ** round);
    }
  });

  test('an application-limited sender (window mostly unused) does not grow the window', () => {
    for (const cc of ['newreno', 'cubic'] as const) {
      const lr = server(cc);
      const w0 = lr.congestionWindow;
      let pn = 0;
      for (let round = 0; round < 20; round++) {
        send(lr, App, pn, pn + 1, round * 50); // 2 packets of a 10-packet window
        lr.onAckReceived(App, [[pn, pn + 1]], 0, round * 50 + 20);
        pn += 2;
      }
      expect(lr.congestionWindow).toBe(w0);
    }
  });

  test('sendWindow is what the window still allows; the pacer lets the initial window go at once, then spaces packets', () => {
    const lr = server('newreno');
    expect(lr.sendWindow).toBe(lr.congestionWindow);
    let pn = 0;
    while (lr.nextSendTime(0) === 0 && lr.sendWindow >= MDS) lr.onPacketSent(App, pn, 0, MDS, true, true, pn++);
    expect(pn).toBe(10);
    expect(lr.sendWindow).toBe(lr.congestionWindow - 10 * MDS);
  });

  test('a new path starts RTT and congestion state over (RFC 9000 §9.4)', () => {
    for (const cc of ['newreno', 'cubic'] as const) {
      const lr = server(cc);
      const w0 = lr.congestionWindow;
      send(lr, App, 0, 9, 0);
      lr.onAckReceived(App, [[9, 9]], 0, 30);
      expect(lr.congestionWindow).toBeLessThan(w0);
      lr.onPathChanged();
      expect(lr.congestionWindow).toBe(w0);
      expect(lr.congestion.slowStartThreshold).toBe(Infinity);
      expect(lr.rtt.hasRttSample).toBe(false);
      expect(lr.rtt.smoothedRtt).toBe(333);
    }
  });

  test('counters: sent, lost, probes, congestion events, refused ACKs', () => {
    const lr = server('newreno');
    send(lr, App, 0, 5, 0);
    lr.onAckReceived(App, [[5, 5]], 0, 100); // 0, 1, 2 lost
    expect(lr.counters).toMatchObject({ packetsSent: 6, packetsLost: 3, bytesLost: 3 * MDS, congestionEvents: 1 });
    expect(() => lr.onAckReceived(App, [[0, 99]], 0, 110)).toThrow(QuicError);
    expect(lr.counters.acksRefused).toBe(1);
    lr.onTimeout(lr.lossDetectionDeadline); // 3, 4 lost by time
    expect(lr.counters.packetsLost).toBe(5);
    send(lr, App, 6, 6, 120);
    lr.onTimeout(lr.lossDetectionDeadline);
    expect(lr.counters.probeTimeouts).toBe(1);
    // the later losses fell in the same recovery period: not a new congestion event
    expect(lr.counters.congestionEvents).toBe(1);
  });
});
