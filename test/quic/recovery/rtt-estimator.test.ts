/**
 * RTT estimation, RFC 9002 §5: the first sample, the EWMA updates of §5.3
 * with the ACK delay subtracted only when it does not cross min_rtt, capped by
 * max_ack_delay only after the handshake is confirmed.
 */
import { describe, expect, test } from 'vitest';
import { INITIAL_RTT_MS, RttEstimator } from '../../../src/quic/recovery/rtt-estimator.js';

describe('RttEstimator', () => {
  test('before any sample: smoothed_rtt = 333 ms, rttvar = 166.5 ms, PTO base = 333 + 4 × 166.5', () => {
    const rtt = new RttEstimator();
    expect(rtt.smoothedRtt).toBe(INITIAL_RTT_MS);
    expect(rtt.rttVar).toBe(166.5);
    expect(rtt.ptoBase).toBe(999);
    expect(rtt.hasRttSample).toBe(false);
  });

  test('the first sample sets min_rtt and smoothed_rtt to it and rttvar to half (§5.3), ignoring the ACK delay', () => {
    const rtt = new RttEstimator();
    rtt.update(100, 30, 1000, true, 25);
    expect(rtt.minRtt).toBe(100);
    expect(rtt.smoothedRtt).toBe(100);
    expect(rtt.rttVar).toBe(50);
    expect(rtt.firstSampleTime).toBe(1000);
  });

  test('later samples: adjusted = latest − ack_delay, rttvar = 3/4 rttvar + 1/4 |smoothed − adjusted|, smoothed = 7/8 smoothed + 1/8 adjusted', () => {
    const rtt = new RttEstimator();
    rtt.update(100, 0, 0, true, 25);
    rtt.update(140, 20, 1, true, 25);
    // adjusted 120: rttvar 0.75 × 50 + 0.25 × 20 = 42.5; smoothed 0.875 × 100 + 0.125 × 120 = 102.5
    expect(rtt.rttVar).toBeCloseTo(42.5, 10);
    expect(rtt.smoothedRtt).toBeCloseTo(102.5, 10);
    expect(rtt.latestRtt).toBe(140);
    expect(rtt.minRtt).toBe(100);
    rtt.update(60, 0, 2, true, 25);
    // adjusted 60: rttvar 0.75 × 42.5 + 0.25 × 42.5 = 42.5; smoothed 0.875 × 102.5 + 7.5 = 97.1875
    expect(rtt.minRtt).toBe(60);
    expect(rtt.rttVar).toBeCloseTo(42.5, 10);
    expect(rtt.smoothedRtt).toBeCloseTo(97.1875, 10);
  });

  test('the ACK delay is capped by max_ack_delay once the handshake is confirmed, not before', () => {
    const confirmed = new RttEstimator();
    confirmed.update(100, 0, 0, true, 25);
    confirmed.update(200, 100, 1, true, 25); // adjusted 175
    expect(confirmed.smoothedRtt).toBeCloseTo(0.875 * 100 + 0.125 * 175, 10);
    const unconfirmed = new RttEstimator();
    unconfirmed.update(100, 0, 0, false, 25);
    unconfirmed.update(200, 100, 1, false, 25); // adjusted 100
    expect(unconfirmed.smoothedRtt).toBeCloseTo(100, 10);
    expect(unconfirmed.rttVar).toBeCloseTo(0.75 * 50, 10);
  });

  test('the ACK delay is not subtracted when that would take the sample under min_rtt', () => {
    const rtt = new RttEstimator();
    rtt.update(100, 0, 0, true, 25);
    rtt.update(110, 20, 1, true, 25); // 110 < 100 + 20: adjusted stays 110
    expect(rtt.smoothedRtt).toBeCloseTo(0.875 * 100 + 0.125 * 110, 10);
    // min_rtt ignores the ACK delay entirely
    rtt.update(90, 10, 2, true, 25);
    expect(rtt.minRtt).toBe(90);
  });

  test('after persistent congestion min_rtt restarts from the next sample (§5.2)', () => {
    const rtt = new RttEstimator();
    rtt.update(10, 0, 0, true, 25);
    rtt.update(50, 0, 1, true, 25);
    expect(rtt.minRtt).toBe(10);
    rtt.onPersistentCongestion();
    rtt.update(40, 0, 2, true, 25);
    expect(rtt.minRtt).toBe(40);
    rtt.update(45, 0, 3, true, 25);
    expect(rtt.minRtt).toBe(40);
  });

  test('loss delay is 9/8 × max(smoothed, latest), at least 1 ms; PTO base has rttvar at least kGranularity', () => {
    const rtt = new RttEstimator();
    rtt.update(80, 0, 0, true, 25);
    rtt.update(160, 0, 1, true, 25);
    expect(rtt.lossDelay).toBeCloseTo((9 / 8) * 160, 10);
    const tiny = new RttEstimator();
    tiny.update(0.1, 0, 0, true, 25);
    for (let i = 0; i < 50; i++) tiny.update(0.1, 0, i, true, 25);
    expect(tiny.lossDelay).toBe(1);
    expect(tiny.ptoBase).toBeCloseTo(0.1 + 1, 5);
  });

  test('a negative or NaN sample (clock stepping back) is taken as 0, never poisoning the estimate', () => {
    const rtt = new RttEstimator();
    rtt.update(50, 0, 0, true, 25);
    rtt.update(-5, 0, 1, true, 25);
    rtt.update(Number.NaN, Number.NaN, 2, true, 25);
    expect(Number.isFinite(rtt.smoothedRtt)).toBe(true);
    expect(Number.isFinite(rtt.rttVar)).toBe(true);
    expect(rtt.minRtt).toBe(0);
  });
});
