/**
 * Pacing, RFC 9002 §7.7: spread a window's packets over the round trip
 * instead of sending them back to back, which overflows queues on the path
 * (and socket buffers on the host). A leaky bucket of sending credit that
 * refills at N × cwnd / smoothed_rtt and holds at most a burst of
 * `burstPackets` datagrams (10: the initial window, what §7.7 lets a sender
 * send at once).
 *
 * N is 2 in slow start and 1.25 after it, as Linux paces TCP: §7.7 suggests
 * 1.25 so RTT variation does not leave the window unused, but in slow start
 * the window doubles every round trip and a pacer at 1.25 windows per RTT
 * would itself be what slows that growth. The RTT here is the fractional
 * milliseconds the connection's clock gives, not the whole milliseconds the
 * quiche binding reported (whose pacer needed 4×, see ../quiche/send-pacer.ts).
 *
 * The burst is 10 datagrams or what the rate sends in BURST_INTERVAL_MS,
 * whichever is more. The driver wakes the sender with Node timers, whose
 * granularity is a millisecond (and more on a busy host): at a rate of
 * 100 datagrams per millisecond — a large window on a sub-millisecond
 * loopback or LAN RTT — a 10-datagram burst would cap the sender at 10
 * datagrams per timer tick, whatever the window allows.
 *
 * Two numbers of state and a division per call: cheap per packet.
 */

export const PACING_GAIN_SLOW_START = 2;
export const PACING_GAIN_CONGESTION_AVOIDANCE = 1.25;
/** Time (ms) of sending at the pacing rate the burst may hold: one timer granularity plus the wait that armed the timer. */
export const BURST_INTERVAL_MS = 2;

export class Pacer {
  /** Credit in bytes at `lastSentTime`. */
  private credit: number;
  private lastSentTime = 0;
  private readonly burstPackets: number;

  constructor(
    private maxDatagramSize: number,
    burstPackets = 10,
  ) {
    this.burstPackets = Math.max(1, burstPackets);
    this.credit = this.minBurst;
  }

  private get minBurst(): number {
    return this.burstPackets * this.maxDatagramSize;
  }

  /** The most credit may hold at `rate` (bytes per ms): the packet burst, or BURST_INTERVAL_MS of sending at high rates. */
  private maxBurst(rate: number): number {
    const timed = rate * BURST_INTERVAL_MS;
    return timed > this.minBurst && timed !== Infinity ? timed : this.minBurst;
  }

  setMaxDatagramSize(size: number): void {
    this.maxDatagramSize = size;
  }

  /** Bytes per millisecond for this window and RTT. */
  static rate(congestionWindow: number, smoothedRtt: number, inSlowStart: boolean): number {
    const gain = inSlowStart ? PACING_GAIN_SLOW_START : PACING_GAIN_CONGESTION_AVOIDANCE;
    return smoothedRtt > 0 ? (gain * congestionWindow) / smoothedRtt : Infinity;
  }

  private creditAt(now: number, rate: number): number {
    const elapsed = now - this.lastSentTime;
    const credit = elapsed > 0 ? this.credit + elapsed * rate : this.credit;
    const max = this.maxBurst(rate);
    return credit > max ? max : credit;
  }

  /**
   * The earliest time (ms, >= now) a full-sized datagram may leave; `now`
   * when it may leave at once.
   */
  nextSendTime(now: number, congestionWindow: number, smoothedRtt: number, inSlowStart: boolean): number {
    const rate = Pacer.rate(congestionWindow, smoothedRtt, inSlowStart);
    const credit = this.creditAt(now, rate);
    if (credit >= this.maxDatagramSize || rate === Infinity) return now;
    return now + (this.maxDatagramSize - credit) / rate;
  }

  /** A datagram of `bytes` left at `now`. Credit may go negative (a datagram sent early by a PTO probe is paid back later). */
  onPacketSent(now: number, bytes: number, congestionWindow: number, smoothedRtt: number, inSlowStart: boolean): void {
    const rate = Pacer.rate(congestionWindow, smoothedRtt, inSlowStart);
    this.credit = (rate === Infinity ? this.minBurst : this.creditAt(now, rate)) - bytes;
    if (now > this.lastSentTime) this.lastSentTime = now;
  }
}
