/**
 * NewReno as RFC 9002 §7.3 and Appendix B describe it: halve the window once
 * per recovery period, then grow by one datagram per window acknowledged.
 */
import { CongestionWindow } from './congestion-controller.js';

/** RFC 9002 §7.3.2 kLossReductionFactor. */
export const NEW_RENO_LOSS_REDUCTION_FACTOR = 0.5;

export class NewReno extends CongestionWindow {
  protected reduce(): void {
    this.slowStartThreshold = Math.max(this.congestionWindow * NEW_RENO_LOSS_REDUCTION_FACTOR, this.minimumWindow);
    this.congestionWindow = this.slowStartThreshold;
  }

  protected growInCongestionAvoidance(ackedBytes: number): void {
    this.congestionWindow += (this.maxDatagramSize * ackedBytes) / this.congestionWindow;
  }
}
