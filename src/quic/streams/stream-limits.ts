/**
 * Stream count limits (RFC 9000 §4.6), one object per direction (bidi, uni)
 * and side. PeerStreamLimit bounds the streams the peer opens and hands out
 * more (MAX_STREAMS) as they close; LocalStreamLimit tracks the peer's
 * allowance for the streams we open and says when we are blocked
 * (STREAMS_BLOCKED).
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { AnnouncedLimit, BlockedReport } from './limit-frames.js';

/** No stream count may exceed 2^60 (§4.6): the IDs would not fit a varint. */
export const MAX_STREAM_COUNT = 2 ** 60;

export class PeerStreamLimit {
  /** Streams the peer may open in total (the last MAX_STREAMS value). */
  readonly announced: AnnouncedLimit;
  private openedCount = 0;
  private closedCount = 0;

  /** @param initial the max_streams we advertise in our transport parameters: how many may be open at once */
  constructor(readonly initial: number) {
    this.announced = new AnnouncedLimit(initial);
  }

  get limit(): number {
    return this.announced.value;
  }

  /** Streams opened so far (explicitly or implicitly): indices below this exist or existed. */
  get opened(): number {
    return this.openedCount;
  }

  get closed(): number {
    return this.closedCount;
  }

  /**
   * The peer used the stream of `index`. Returns how many streams this opens
   * (that one and every lower-numbered one not yet opened, §3.2), 0 if it
   * was already open or closed. Throws STREAM_LIMIT_ERROR past our limit.
   */
  open(index: number, frameType: number): number {
    if (index >= this.announced.value) {
      throw new QuicError(QuicErrorCode.STREAM_LIMIT_ERROR, `peer used stream number ${index} of a type limited to ${this.announced.value} streams`, frameType);
    }
    if (index < this.openedCount) return 0;
    const count = index + 1 - this.openedCount;
    this.openedCount = index + 1;
    return count;
  }

  /**
   * A peer-opened stream finished. More streams are granted in batches of
   * half the initial allowance, so the peer can keep `initial` open without
   * a MAX_STREAMS per stream.
   */
  onClosed(): void {
    this.closedCount++;
    const target = Math.min(MAX_STREAM_COUNT, this.closedCount + this.initial);
    if (target - this.announced.value >= Math.max(1, Math.ceil(this.initial / 2))) this.announced.announce(target);
  }

  /** The peer says it is blocked: grant whatever closed streams allow at once. */
  onStreamsBlocked(): void {
    const target = Math.min(MAX_STREAM_COUNT, this.closedCount + this.initial);
    if (target > this.announced.value) this.announced.announce(target);
  }
}

export class LocalStreamLimit {
  private peerLimit: number;
  private openedCount = 0;
  readonly blocked = new BlockedReport();

  constructor(initialPeerLimit = 0) {
    this.peerLimit = initialPeerLimit;
  }

  get limit(): number {
    return this.peerLimit;
  }

  get opened(): number {
    return this.openedCount;
  }

  get canOpen(): boolean {
    return this.openedCount < this.peerLimit;
  }

  /** Takes the next stream index, or returns undefined (and schedules STREAMS_BLOCKED) at the limit. */
  open(): number | undefined {
    if (this.openedCount < this.peerLimit) return this.openedCount++;
    this.blocked.note(this.peerLimit);
    return undefined;
  }

  /** MAX_STREAMS from the peer (or its transport parameter); limits never shrink. Returns true if it grew. */
  raise(limit: number, frameType: number): boolean {
    if (limit > MAX_STREAM_COUNT) {
      throw new QuicError(
        frameType === 0 ? QuicErrorCode.TRANSPORT_PARAMETER_ERROR : QuicErrorCode.FRAME_ENCODING_ERROR,
        `stream limit ${limit} above 2^60`,
        frameType,
      );
    }
    if (limit <= this.peerLimit) return false;
    this.peerLimit = limit;
    this.blocked.cancel();
    return true;
  }

  onBlockedLost(limit: number): void {
    this.blocked.onLost(limit, this.peerLimit, !this.canOpen);
  }
}
