/**
 * CUBIC, RFC 9438, in bytes rather than segments (one segment = the maximum
 * datagram size). After a reduction the window follows
 * W_cubic(t) = C·(t − K)³ + W_max, concave up to the window where the last
 * loss happened and convex beyond it, unless the Reno-friendly estimate W_est
 * is larger (short RTTs, small windows), so CUBIC is never slower than Reno.
 * Slow start and the recovery period are those of RFC 9002 (CongestionWindow).
 */
import { CongestionWindow } from './congestion-controller.js';
import type { RttEstimator } from './rtt-estimator.js';

/** RFC 9438 §5.1 C, in segments per second cubed. */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6 β_cubic: the window after a congestion event is 0.7 of what it was. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3 α_cubic = 3(1 − β)/(1 + β): W_est grows like Reno with β_cubic. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

export interface CubicOptions {
  /** RFC 9438 §4.7: release bandwidth faster when the window where losses happen keeps shrinking (default on). */
  fastConvergence?: boolean;
}

export class Cubic extends CongestionWindow {
  /** W_max in bytes: the window just before the last reduction (after fast convergence). */
  windowMax = 0;
  /** Start of the current congestion-avoidance epoch (ms); -1 = none yet. */
  private epochStart = -1;
  /** K in seconds: when W_cubic reaches W_max again. */
  private k = 0;
  /** W_est in bytes (§4.3). */
  private renoEstimate = 0;
  /** When the sender became application-limited (ms); -1 = it is using its window. */
  private appLimitedSince = -1;
  private readonly fastConvergence: boolean;

  constructor(maxDatagramSize: number, options: CubicOptions = {}) {
    super(maxDatagramSize);
    this.fastConvergence = options.fastConvergence ?? true;
  }

  /** W_cubic(t) in bytes for t seconds into the epoch. */
  windowAt(t: number): number {
    const d = t - this.k;
    return CUBIC_C * d * d * d * this.maxDatagramSize + this.windowMax;
  }

  /** K in seconds for the current epoch. */
  get kSeconds(): number {
    return this.k;
  }

  protected reduce(): void {
    const cwnd = this.congestionWindow;
    this.windowMax = this.fastConvergence && cwnd < this.windowMax ? (cwnd * (1 + CUBIC_BETA)) / 2 : cwnd;
    this.slowStartThreshold = Math.max(cwnd * CUBIC_BETA, this.minimumWindow);
    this.congestionWindow = this.slowStartThreshold;
    this.epochStart = -1;
    this.appLimitedSince = -1;
  }

  override reset(): void {
    super.reset();
    this.windowMax = 0;
  }

  protected override onWindowCollapsed(): void {
    this.epochStart = -1;
    this.appLimitedSince = -1;
  }

  protected override onApplicationLimited(now: number): void {
    if (this.epochStart >= 0 && this.appLimitedSince < 0) this.appLimitedSince = now;
  }

  protected growInCongestionAvoidance(ackedBytes: number, now: number, rtt: RttEstimator): void {
    const mss = this.maxDatagramSize;
    let cwnd = this.congestionWindow;
    if (this.epochStart < 0) {
      this.epochStart = now;
      if (this.windowMax <= cwnd) {
        // No loss above this window yet (e.g. a slow-start threshold set without one): the curve starts at its plateau.
        this.windowMax = cwnd;
        this.k = 0;
      } else {
        this.k = Math.cbrt((this.windowMax - cwnd) / (CUBIC_C * mss));
      }
      this.renoEstimate = cwnd;
    } else if (this.appLimitedSince >= 0) {
      // §5.8: t must not include the time the application left the window unused.
      this.epochStart += now - this.appLimitedSince;
      this.appLimitedSince = -1;
    }
    const t = (now - this.epochStart) / 1000;
    const alpha = this.renoEstimate >= this.windowMax ? 1 : CUBIC_ALPHA;
    this.renoEstimate += (alpha * mss * ackedBytes) / cwnd;
    if (this.windowAt(t) < this.renoEstimate) {
      // Reno-friendly region. Never shrink on an ACK, though: the cubic step may already have taken cwnd above W_est.
      if (this.renoEstimate > cwnd) this.congestionWindow = this.renoEstimate;
      return;
    }
    let target = this.windowAt(t + rtt.smoothedRtt / 1000);
    if (target < cwnd) target = cwnd;
    else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    cwnd += ((target - cwnd) * ackedBytes) / cwnd;
    this.congestionWindow = cwnd;
  }
}
