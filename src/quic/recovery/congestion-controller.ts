/**
 * What loss recovery asks of a congestion controller (RFC 9002 §7), and the
 * window logic NewReno and CUBIC share: slow start, one reduction per
 * recovery period, the minimum window, no growth while the sender is not
 * using its window, persistent congestion.
 */
import type { RttEstimator } from './rtt-estimator.js';

/** RFC 9002 §7.2: initial window, min(10 × max_datagram_size, max(14720, 2 × max_datagram_size)). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** RFC 9002 §7.2 kMinimumWindow: 2 × max_datagram_size. */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

export interface CongestionController {
  /** Bytes allowed in flight. */
  readonly congestionWindow: number;
  /** Infinity until the first congestion event. */
  readonly slowStartThreshold: number;
  readonly inSlowStart: boolean;
  readonly maxDatagramSize: number;
  /** True for a packet sent before the current recovery period began (§7.3.2): its ACK or loss changes nothing. */
  isInRecovery(timeSent: number): boolean;
  /**
   * Bytes of in-flight packets newly acknowledged by one ACK frame, only those
   * sent after the recovery period began. `cwndLimited`: whether the sender was
   * using its window when these were sent (§7.8: no growth when it was not).
   */
  onAcked(ackedBytes: number, now: number, rtt: RttEstimator, cwndLimited: boolean): void;
  /** Loss or ECN-CE of a packet sent at `timeSent` (§7.3.2): at most one reduction per recovery period. */
  onCongestionEvent(timeSent: number, now: number): void;
  /** §7.6.2: back to the minimum window. */
  onPersistentCongestion(now: number): void;
  /** The path MTU changed (DPLPMTUD); the window keeps its size in bytes but never under the new minimum. */
  setMaxDatagramSize(size: number): void;
  /** Back to the initial window and slow start (a new path, RFC 9000 §9.4). */
  reset(): void;
}

/** The shared part of NewReno and CUBIC; subclasses say how to reduce and how to grow in congestion avoidance. */
export abstract class CongestionWindow implements CongestionController {
  congestionWindow: number;
  slowStartThreshold = Infinity;
  maxDatagramSize: number;
  /** When the current recovery period began; packets sent at or before it are in recovery. */
  protected recoveryStartTime = -Infinity;

  constructor(maxDatagramSize: number) {
    this.maxDatagramSize = maxDatagramSize;
    this.congestionWindow = initialWindow(maxDatagramSize);
  }

  get inSlowStart(): boolean {
    return this.congestionWindow < this.slowStartThreshold;
  }

  get minimumWindow(): number {
    return minimumWindow(this.maxDatagramSize);
  }

  isInRecovery(timeSent: number): boolean {
    return timeSent <= this.recoveryStartTime;
  }

  onAcked(ackedBytes: number, now: number, rtt: RttEstimator, cwndLimited: boolean): void {
    if (!(ackedBytes > 0)) return;
    if (!cwndLimited) {
      this.onApplicationLimited(now);
      return;
    }
    if (this.congestionWindow < this.slowStartThreshold) {
      this.congestionWindow += ackedBytes;
      return;
    }
    this.growInCongestionAvoidance(ackedBytes, now, rtt);
  }

  onCongestionEvent(timeSent: number, now: number): void {
    if (this.isInRecovery(timeSent)) return;
    this.recoveryStartTime = now;
    this.reduce(now);
    if (this.congestionWindow < this.minimumWindow) this.congestionWindow = this.minimumWindow;
  }

  onPersistentCongestion(now: number): void {
    this.congestionWindow = this.minimumWindow;
    this.recoveryStartTime = -Infinity;
    this.onWindowCollapsed(now);
  }

  setMaxDatagramSize(size: number): void {
    this.maxDatagramSize = size;
    if (this.congestionWindow < this.minimumWindow) this.congestionWindow = this.minimumWindow;
  }

  reset(): void {
    this.congestionWindow = initialWindow(this.maxDatagramSize);
    this.slowStartThreshold = Infinity;
    this.recoveryStartTime = -Infinity;
    this.onWindowCollapsed(0);
  }

  /** Set slowStartThreshold and congestionWindow after a congestion event. */
  protected abstract reduce(now: number): void;
  protected abstract growInCongestionAvoidance(ackedBytes: number, now: number, rtt: RttEstimator): void;
  /** An ACK arrived while the sender was not using its window. */
  protected onApplicationLimited(_now: number): void {}
  protected onWindowCollapsed(_now: number): void {}
}

/**
 * Whether the sender is using its window, judged from the bytes that were in
 * flight when an ACK arrived: within three datagrams of the window, or over
 * half of it in slow start (where the window doubles each round trip, so a
 * sender keeping half of it busy is still what limits growth). The same test
 * quic-go and Linux use; a paced sender never fills the window exactly.
 */
export function isCongestionLimited(cc: CongestionController, bytesInFlight: number): boolean {
  const cwnd = cc.congestionWindow;
  if (bytesInFlight + 3 * cc.maxDatagramSize >= cwnd) return true;
  return cc.inSlowStart && bytesInFlight > cwnd / 2;
}
