/**
 * Round-trip time estimation, RFC 9002 §5. Times are milliseconds (fractions
 * allowed); the connection passes the peer's ACK delay already decoded with
 * its ack_delay_exponent.
 */

/** RFC 9002 §6.2.2: the RTT assumed before any sample (333 ms). */
export const INITIAL_RTT_MS = 333;
/** RFC 9002 §6.1.2 kGranularity: the timer granularity the recovery assumes (1 ms). */
export const TIMER_GRANULARITY_MS = 1;

export class RttEstimator {
  /** The most recent sample, before any ACK-delay adjustment (0 before the first). */
  latestRtt = 0;
  /** Lowest sample seen, without ACK-delay adjustment (§5.2); 0 before the first. */
  minRtt = 0;
  smoothedRtt: number;
  rttVar: number;
  /** Time of the first sample (§A.3 first_rtt_sample); 0 = none yet. Persistent congestion only counts packets sent after it. */
  firstSampleTime = 0;
  private hasSample = false;
  private resetMinRttOnNextSample = false;

  constructor(private readonly initialRtt = INITIAL_RTT_MS) {
    this.smoothedRtt = initialRtt;
    this.rttVar = initialRtt / 2;
  }

  get hasRttSample(): boolean {
    return this.hasSample;
  }

  /**
   * Take a sample (§5.3). `ackDelay` is what the peer reported; it is capped by
   * `maxAckDelay` only once the handshake is confirmed (before that the peer's
   * max_ack_delay may not be known or honoured), and never subtracted below
   * min_rtt. Initial-space ACKs should pass 0: they are not delayed on purpose.
   */
  update(latestRtt: number, ackDelay: number, now: number, handshakeConfirmed: boolean, maxAckDelay: number): void {
    // A clock that goes backwards must not poison the estimate.
    if (!(latestRtt >= 0)) latestRtt = 0;
    this.latestRtt = latestRtt;
    if (!this.hasSample) {
      this.hasSample = true;
      this.firstSampleTime = now;
      this.minRtt = latestRtt;
      this.smoothedRtt = latestRtt;
      this.rttVar = latestRtt / 2;
      return;
    }
    if (this.resetMinRttOnNextSample) {
      this.resetMinRttOnNextSample = false;
      this.minRtt = latestRtt;
    } else if (latestRtt < this.minRtt) {
      this.minRtt = latestRtt;
    }
    if (!(ackDelay > 0)) ackDelay = 0;
    if (handshakeConfirmed && ackDelay > maxAckDelay) ackDelay = maxAckDelay;
    const adjustedRtt = latestRtt >= this.minRtt + ackDelay ? latestRtt - ackDelay : latestRtt;
    this.rttVar = 0.75 * this.rttVar + 0.25 * Math.abs(this.smoothedRtt - adjustedRtt);
    this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * adjustedRtt;
  }

  /**
   * After persistent congestion the path may have changed, so min_rtt restarts
   * from the next sample (§5.2: SHOULD set min_rtt to the newest sample).
   */
  onPersistentCongestion(): void {
    this.resetMinRttOnNextSample = true;
  }

  /** The PTO period without backoff and without max_ack_delay (§6.2.1). */
  get ptoBase(): number {
    return this.smoothedRtt + Math.max(4 * this.rttVar, TIMER_GRANULARITY_MS);
  }

  /** §6.1.2: how long after a later packet was acknowledged an earlier one is declared lost: 9/8 × max(smoothed, latest), at least kGranularity. */
  get lossDelay(): number {
    return Math.max((9 / 8) * Math.max(this.latestRtt, this.smoothedRtt), TIMER_GRANULARITY_MS);
  }

  /** Back to the state before any sample (a new path, RFC 9000 §9.4). */
  reset(): void {
    this.latestRtt = 0;
    this.minRtt = 0;
    this.smoothedRtt = this.initialRtt;
    this.rttVar = this.initialRtt / 2;
    this.firstSampleTime = 0;
    this.hasSample = false;
    this.resetMinRttOnNextSample = false;
  }
}
