/**
 * The pacer (RFC 9002 §7.7): a burst of 10 datagrams (or 2 ms of sending
 * at high rates), then one datagram every max_datagram_size /
 * (N × cwnd / smoothed_rtt), N = 1.25 in congestion avoidance and 2 in slow
 * start.
 */
import { describe, expect, test } from 'vitest';
import { Pacer } from '../../../src/quic/recovery/pacer.js';

const MSS = 1200;

/** Send whenever the pacer allows for `durationMs`; returns how many left. */
function sendPaced(pacer: Pacer, cwnd: number, rtt: number, slowStart: boolean, start: number, durationMs: number): number {
  let now = start;
  let sent = 0;
  for (;;) {
    now = pacer.nextSendTime(now, cwnd, rtt, slowStart);
    if (now >= start + durationMs) return sent;
    pacer.onPacketSent(now, MSS, cwnd, rtt, slowStart);
    sent++;
  }
}

describe('Pacer', () => {
  test('a burst of 10 datagrams at once, then one every 0.8 ms at 1.25 × 100 packets per 100 ms', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 100 * MSS;
    for (let i = 0; i < 10; i++) {
      expect(pacer.nextSendTime(0, cwnd, 100, false)).toBe(0);
      pacer.onPacketSent(0, MSS, cwnd, 100, false);
    }
    expect(pacer.nextSendTime(0, cwnd, 100, false)).toBeCloseTo(0.8, 10);
    expect(pacer.nextSendTime(0.5, cwnd, 100, false)).toBeCloseTo(0.8, 10);
    // over one RTT: the burst plus 1.25 windows
    const pacer2 = new Pacer(MSS);
    const sent = sendPaced(pacer2, cwnd, 100, false, 1000, 100);
    expect(sent).toBeGreaterThanOrEqual(10 + 124);
    expect(sent).toBeLessThanOrEqual(10 + 126);
  });

  test('slow start paces at twice the window per RTT', () => {
    const sent = sendPaced(new Pacer(MSS), 100 * MSS, 100, true, 0, 100);
    expect(sent).toBeGreaterThanOrEqual(10 + 199);
    expect(sent).toBeLessThanOrEqual(10 + 201);
  });

  test('credit accumulates while idle, but never beyond the burst', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 100 * MSS;
    sendPaced(pacer, cwnd, 100, false, 0, 50);
    // idle for 10 s: at most 10 datagrams go at once afterwards
    let n = 0;
    while (pacer.nextSendTime(10_000, cwnd, 100, false) === 10_000) {
      pacer.onPacketSent(10_000, MSS, cwnd, 100, false);
      n++;
      if (n > 100) break;
    }
    expect(n).toBe(10);
  });

  test('at high rates the burst is 2 ms of sending: a sender woken by millisecond timers is not held to 10 datagrams per tick', () => {
    const pacer = new Pacer(MSS);
    // 200 datagrams in flight over a 2 ms RTT in congestion avoidance: 1.25 × 240 000 / 2 = 150 000 bytes per ms.
    const cwnd = 200 * MSS;
    sendPaced(pacer, cwnd, 2, false, 0, 50);
    let n = 0;
    while (pacer.nextSendTime(10_000, cwnd, 2, false) === 10_000 && n <= 1000) {
      pacer.onPacketSent(10_000, MSS, cwnd, 2, false);
      n++;
    }
    expect(n).toBe(250); // 300 000 bytes: 2 ms at the pacing rate
    // and after it, one datagram per MSS / rate as before
    expect(pacer.nextSendTime(10_000, cwnd, 2, false)).toBeCloseTo(10_000 + MSS / 150_000, 10);
    // one millisecond later (a timer tick) half the burst is back
    let m = 0;
    while (pacer.nextSendTime(10_001, cwnd, 2, false) === 10_001 && m <= 1000) {
      pacer.onPacketSent(10_001, MSS, cwnd, 2, false);
      m++;
    }
    expect(m).toBe(125);
  });

  test('a probe sent without credit is paid back by a later send time', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 10 * MSS;
    for (let i = 0; i < 12; i++) pacer.onPacketSent(0, MSS, cwnd, 100, false); // two over the burst
    // rate 150 B/ms: three datagrams of debt take 24 ms
    expect(pacer.nextSendTime(0, cwnd, 100, false)).toBeCloseTo(24, 10);
  });
});
