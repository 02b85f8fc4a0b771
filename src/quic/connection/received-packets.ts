/**
 * What we received in one packet-number space, for duplicate detection and
 * ACK generation (RFC 9000 §12.3, §13.2; RFC 9002 §6.2 for the ack delay).
 *
 * Received packet numbers are kept as at most `maxRanges` ranges. When a new
 * gap would exceed that, the oldest range is dropped and everything below
 * the lowest range kept counts as a duplicate (§13.2.3 allows exactly this),
 * so a peer that leaves a gap in every packet cannot grow our state.
 *
 * When to acknowledge (§13.2.1, §13.2.2): Initial and Handshake packets at
 * once; 1-RTT after every second ack-eliciting packet, at once when one
 * arrives out of order or reveals a gap, otherwise within max_ack_delay.
 */
import { ackFrameLength, writeAckFrame } from '../frames/frame-writer.js';

export const DEFAULT_MAX_ACK_RANGES = 32;

export class ReceivedPackets {
  /** Inclusive ranges, largest first, flattened: [largest0, smallest0, largest1, smallest1, …]. */
  private readonly ranges: number[] = [];
  /** Packets below this count as already received (state dropped or discarded). */
  private floor = 0;
  private largestAt = 0;
  private ackElicitingUnacked = 0;
  private immediate = false;
  private deadline = Infinity;

  constructor(
    /** Initial and Handshake spaces acknowledge every ack-eliciting packet at once. */
    private readonly acknowledgeImmediately: boolean,
    private readonly maxRanges = DEFAULT_MAX_ACK_RANGES,
    /** Ack-eliciting packets that make an ACK due now (§13.2.2 recommends 2). */
    private readonly ackElicitingThreshold = 2,
  ) {}

  /** Largest packet number received, -1 before any (the base for decodePacketNumber). */
  get largest(): number {
    return this.ranges.length > 0 ? this.ranges[0]! : -1;
  }

  /** True when `packetNumber` was received already (or is below what we track): drop the packet. */
  isDuplicate(packetNumber: number): boolean {
    if (packetNumber < this.floor) return true;
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (packetNumber > r[i]!) return false;
      if (packetNumber >= r[i + 1]!) return true;
    }
    return false;
  }

  /**
   * Records a packet that decrypted and was processed. `maxAckDelay` is our
   * own max_ack_delay (ms), the longest an ACK may wait.
   */
  onPacketReceived(packetNumber: number, ackEliciting: boolean, now: number, maxAckDelay: number): void {
    const previousLargest = this.largest;
    this.insert(packetNumber);
    if (packetNumber > previousLargest) this.largestAt = now;
    if (!ackEliciting) return;
    this.ackElicitingUnacked++;
    const outOfOrder = previousLargest >= 0 && packetNumber !== previousLargest + 1;
    if (this.acknowledgeImmediately || outOfOrder || this.ackElicitingUnacked >= this.ackElicitingThreshold) {
      this.immediate = true;
    } else if (this.deadline === Infinity) {
      this.deadline = now + maxAckDelay;
    }
  }

  private insert(pn: number): void {
    const r = this.ranges;
    if (r.length === 0 || pn > r[0]! + 1) {
      r.unshift(pn, pn);
    } else if (pn === r[0]! + 1) {
      r[0] = pn;
    } else {
      for (let i = 0; i < r.length; i += 2) {
        const hi = r[i]!;
        const lo = r[i + 1]!;
        if (pn >= lo && pn <= hi) return;
        if (pn === lo - 1) {
          // Extends this range down; merge with the next if that closes the gap.
          if (i + 2 < r.length && r[i + 2] === pn - 1) {
            r[i + 1] = r[i + 3]!;
            r.splice(i + 2, 2);
          } else r[i + 1] = pn;
          break;
        }
        const nextHi = i + 2 < r.length ? r[i + 2]! : -1;
        if (pn < lo && pn > nextHi) {
          if (pn === nextHi + 1) r[i + 2] = pn;
          else r.splice(i + 2, 0, pn, pn);
          break;
        }
      }
    }
    while (r.length > this.maxRanges * 2) {
      r.length -= 2;
      this.floor = r[r.length - 1]!;
    }
  }

  /** An ACK should go out now. */
  ackDueNow(now: number): boolean {
    return this.immediate || now >= this.deadline;
  }

  /** Some ack-eliciting packet waits for an ACK (send one with any packet we send anyway). */
  get hasUnacknowledged(): boolean {
    return this.ackElicitingUnacked > 0;
  }

  /** When the delayed ACK is due (Infinity: nothing to acknowledge, or due now). */
  get ackDeadline(): number {
    return this.immediate ? -Infinity : this.deadline;
  }

  /** Bytes the ACK frame would take now. 0 when nothing was received. */
  ackFrameLength(now: number, ackDelayExponent: number): number {
    if (this.ranges.length === 0) return 0;
    return ackFrameLength(this.ranges, this.encodedAckDelay(now, ackDelayExponent));
  }

  private encodedAckDelay(now: number, ackDelayExponent: number): number {
    if (!this.ackDelayApplies) return 0;
    return Math.floor((Math.max(0, now - this.largestAt) * 1000) / 2 ** ackDelayExponent);
  }

  /** RFC 9000 §19.3: Initial and Handshake ACKs carry an ack delay of 0. */
  private get ackDelayApplies(): boolean {
    return !this.acknowledgeImmediately;
  }

  /**
   * Writes an ACK frame for everything tracked and resets the ACK timer.
   * Returns the offset after the frame (unchanged when nothing was received).
   */
  writeAck(buf: Buffer, offset: number, now: number, ackDelayExponent: number): number {
    if (this.ranges.length === 0) return offset;
    const end = writeAckFrame(buf, offset, this.ranges, this.encodedAckDelay(now, ackDelayExponent));
    this.ackElicitingUnacked = 0;
    this.immediate = false;
    this.deadline = Infinity;
    return end;
  }

  /**
   * The peer acknowledged a packet of ours that carried an ACK whose largest
   * was `largestAcknowledged`: it knows about those packets, so ranges at and
   * below it need not be sent again (RFC 9000 §13.2.4).
   */
  onAckAcknowledged(largestAcknowledged: number): void {
    const r = this.ranges;
    while (r.length > 2 && r[r.length - 2]! <= largestAcknowledged) r.length -= 2;
    if (r.length >= 2 && r[r.length - 1]! <= largestAcknowledged && r[0]! > largestAcknowledged) {
      r[r.length - 1] = largestAcknowledged + 1;
    }
    this.floor = Math.max(this.floor, Math.min(largestAcknowledged + 1, r.length > 0 ? r[r.length - 1]! : 0));
  }

  /** Copy of the tracked ranges (tests and qlog). */
  trackedRanges(): number[] {
    return this.ranges.slice();
  }
}
