/**
 * NewReno (RFC 9002 §7, Appendix B) and CUBIC (RFC 9438) on their own: the
 * CUBIC window over time against the RFC 9438 formulas, computed here from
 * the RFC's constants (W_cubic(t) = C(t − K)³ + W_max, K = ∛(W_max(1 − β)/C),
 * W_est growing α = 3(1 − β)/(1 + β) segments per RTT), fast convergence,
 * the app-limited rule, and the window rules they share.
 */
import { describe, expect, test } from 'vitest';
import { Cubic } from '../../../src/quic/recovery/cubic.js';
import { NewReno } from '../../../src/quic/recovery/new-reno.js';
import { initialWindow, type CongestionController } from '../../../src/quic/recovery/congestion-controller.js';
import { RttEstimator } from '../../../src/quic/recovery/rtt-estimator.js';

const MSS = 1200;
// RFC 9438 constants, written out again so the test does not trust the implementation's.
const C = 0.4;
const BETA = 0.7;
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

function rttOf(ms: number): RttEstimator {
  const rtt = new RttEstimator();
  rtt.update(ms, 0, 0, true, 25);
  return rtt;
}

/** A sender keeping its window full: every millisecond, 1/RTT of the window is acknowledged. Returns cwnd sampled at the given epoch times (ms). */
function runFullWindow(cc: CongestionController, rttMs: number, start: number, sampleAt: number[], appLimited?: [from: number, to: number]): number[] {
  const rtt = rttOf(rttMs);
  const out: number[] = [];
  const end = Math.max(...sampleAt);
  for (let t = 1; t <= end; t++) {
    const limited = appLimited !== undefined && t > appLimited[0] && t <= appLimited[1];
    cc.onAcked(cc.congestionWindow / rttMs, start + t, rtt, !limited);
    if (sampleAt.includes(t)) out.push(cc.congestionWindow);
  }
  return out;
}

describe('CUBIC (RFC 9438)', () => {
  test('after a loss at W_max = 100 segments the window is β·W_max and follows W_cubic(t) through the concave and convex regions', () => {
    const cubic = new Cubic(MSS);
    cubic.congestionWindow = 100 * MSS;
    cubic.slowStartThreshold = 0; // congestion avoidance
    cubic.onCongestionEvent(0, 1000);
    expect(cubic.congestionWindow).toBeCloseTo(BETA * 100 * MSS, 6);
    expect(cubic.windowMax).toBe(100 * MSS);
    const wMax = 100 * MSS;
    const k = Math.cbrt((100 * (1 - BETA)) / C); // seconds, in segments as the RFC writes it
    expect(k).toBeCloseTo(4.2172, 3);
    const wCubic = (tMs: number) => (C * (tMs / 1000 - k) ** 3 + wMax / MSS) * MSS;
    // W_est (§4.3): from β·W_max, α segments per RTT until W_max, then one segment per RTT
    const rttsToWMax = ((wMax / MSS) * (1 - BETA)) / ALPHA;
    const wEst = (tMs: number) => (tMs / 100 <= rttsToWMax ? BETA * wMax + (ALPHA * MSS * tMs) / 100 : wMax + MSS * (tMs / 100 - rttsToWMax));
    const expected = (tMs: number) => Math.max(wCubic(tMs), wEst(tMs));
    const times = [500, 1000, 2000, 3000, 4000, 4217, 5000, 6000, 7000];
    // and beyond, where the cubic term wins again
    times.push(9000, 10000);
    const cwnds = runFullWindow(cubic, 100, 1000, times);
    expect(cubic.kSeconds).toBeCloseTo(k, 6);
    for (let i = 0; i < times.length; i++) {
      // cwnd chases W_cubic(t + RTT) one ACK at a time, so it sits near W_cubic(t) — or on W_est once that is
      // larger (from t ≈ 5.7 s here: 100 ms is a long enough RTT for Reno to catch up in the convex region)
      expect(Math.abs(cwnds[i] - expected(times[i])) / expected(times[i]), `t=${times[i]} ms`).toBeLessThan(0.005);
    }
    for (const i of [0, 1, 2, 3, 4, 5, 6]) expect(wCubic(times[i])).toBeGreaterThan(wEst(times[i]));
    for (const i of [7, 8]) expect(wEst(times[i])).toBeGreaterThan(wCubic(times[i]));
    // plateau at W_max around t = K, then convex growth
    expect(Math.abs(cwnds[5] - wMax) / wMax).toBeLessThan(0.01);
    expect(wCubic(10000)).toBeGreaterThan(wEst(10000));
    expect(cwnds[10] - cwnds[9]).toBeGreaterThan(cwnds[8] - cwnds[7]);
  });

  test('Reno-friendly region: with a short RTT and a small window, cwnd follows W_est (α per RTT up to W_max, then 1 segment per RTT)', () => {
    const cubic = new Cubic(MSS);
    cubic.congestionWindow = 10 * MSS;
    cubic.slowStartThreshold = 0;
    cubic.onCongestionEvent(0, 0);
    expect(cubic.congestionWindow).toBeCloseTo(7 * MSS, 6);
    const rttMs = 10;
    const [at1s] = runFullWindow(cubic, rttMs, 0, [1000]);
    // W_est from 7 to 10 segments at α per RTT, then one segment per RTT
    const rttsToWMax = 3 / ALPHA;
    const expected = (10 + (1000 / rttMs - rttsToWMax)) * MSS;
    expect(Math.abs(at1s - expected) / expected).toBeLessThan(0.01);
    // W_cubic is far below: CUBIC alone would be slower than Reno here
    const k = Math.cbrt((10 * (1 - BETA)) / C);
    expect(at1s).toBeGreaterThan(5 * (C * (1 - k) ** 3 + 10) * MSS);
  });

  test('fast convergence: a loss below the previous W_max lowers W_max to cwnd·(1 + β)/2', () => {
    const fast = new Cubic(MSS);
    const plain = new Cubic(MSS, { fastConvergence: false });
    for (const cc of [fast, plain]) {
      cc.congestionWindow = 100 * MSS;
      cc.onCongestionEvent(0, 1000);
      cc.onCongestionEvent(1500, 2000); // second loss at 70 segments
    }
    expect(fast.windowMax).toBeCloseTo((70 * MSS * (1 + BETA)) / 2, 6);
    expect(plain.windowMax).toBeCloseTo(70 * MSS, 6);
    expect(fast.congestionWindow).toBeCloseTo(49 * MSS, 6);
  });

  test('time spent application-limited is not counted in t (§5.8): the window resumes where it left off', () => {
    const steady = new Cubic(MSS);
    const idle = new Cubic(MSS);
    for (const cc of [steady, idle]) {
      cc.congestionWindow = 100 * MSS;
      cc.onCongestionEvent(0, 1000);
    }
    const [before] = runFullWindow(idle, 100, 1000, [1000], [999, 1000]);
    // 5 s application-limited: no growth at all
    const during = runFullWindow(idle, 100, 2000, [1, 2500, 5000], [0, 5000]);
    for (const w of during) expect(w).toBe(before);
    const [after] = runFullWindow(idle, 100, 7000, [1000]);
    const [reference] = runFullWindow(steady, 100, 1000, [2000]);
    expect(Math.abs(after - reference) / reference).toBeLessThan(0.02);
  });
});

describe('NewReno (RFC 9002 Appendix B)', () => {
  test('congestion avoidance grows one datagram per window acknowledged', () => {
    const reno = new NewReno(MSS);
    reno.congestionWindow = 40 * MSS;
    reno.onCongestionEvent(0, 1); // 20 segments, ssthresh 20
    expect(reno.congestionWindow).toBe(20 * MSS);
    expect(reno.inSlowStart).toBe(false);
    const rtt = rttOf(50);
    for (let i = 0; i < 20; i++) reno.onAcked(MSS, 10 + i, rtt, true);
    expect(reno.congestionWindow).toBeGreaterThan(20.9 * MSS);
    expect(reno.congestionWindow).toBeLessThan(21 * MSS);
  });

  test('slow start adds the bytes acknowledged until the threshold', () => {
    const reno = new NewReno(MSS);
    const rtt = rttOf(50);
    expect(reno.congestionWindow).toBe(initialWindow(MSS));
    expect(initialWindow(MSS)).toBe(10 * MSS);
    expect(initialWindow(1500)).toBe(14720);
    reno.onAcked(5 * MSS, 10, rtt, true);
    expect(reno.congestionWindow).toBe(15 * MSS);
  });
});

describe('shared window rules', () => {
  test('never below 2 × max_datagram_size, however many congestion events', () => {
    for (const cc of [new NewReno(MSS), new Cubic(MSS)]) {
      for (let i = 0; i < 30; i++) cc.onCongestionEvent(i * 10 + 5, i * 10 + 6);
      expect(cc.congestionWindow).toBe(2 * MSS);
      cc.onPersistentCongestion(1000);
      expect(cc.congestionWindow).toBe(2 * MSS);
      // a larger MTU raises the floor
      cc.setMaxDatagramSize(1452);
      expect(cc.congestionWindow).toBe(2 * 1452);
    }
  });

  test('one reduction per recovery period: losses of packets sent before it began change nothing', () => {
    for (const cc of [new NewReno(MSS), new Cubic(MSS)]) {
      cc.onCongestionEvent(90, 100);
      const w = cc.congestionWindow;
      cc.onCongestionEvent(99, 120);
      cc.onCongestionEvent(100, 130);
      expect(cc.congestionWindow).toBe(w);
      expect(cc.isInRecovery(100)).toBe(true);
      expect(cc.isInRecovery(101)).toBe(false);
      cc.onCongestionEvent(101, 140);
      expect(cc.congestionWindow).toBeLessThan(w);
    }
  });
});
