/**
 * Flow control (RFC 9000 §4), one object per direction and level (the
 * connection, or one stream). Both levels count stream offsets: a stream by
 * its highest offset, the connection by the sum over its streams.
 */
import { AnnouncedLimit, BlockedReport } from './limit-frames.js';

/** Receive side: the limit we advertised and when to raise it. */
export class ReceiveFlowWindow {
  /** The highest offset (stream) or byte total (connection) the peer may send. */
  readonly announced: AnnouncedLimit;
  private size: number;
  private consumedTotal = 0;
  /** When the last window update (or the first read) happened; -1 before. */
  private epochStart = -1;

  /**
   * @param initialWindow the credit in our transport parameters
   * @param maxWindow how far auto-tuning may grow the window
   */
  constructor(
    initialWindow: number,
    readonly maxWindow: number,
  ) {
    this.announced = new AnnouncedLimit(initialWindow);
    this.size = initialWindow;
  }

  /** What the peer may send up to. */
  get limit(): number {
    return this.announced.value;
  }

  /** The current window (grows with auto-tuning). */
  get window(): number {
    return this.size;
  }

  /** Bytes the reader took (or that were dropped for it). */
  get consumed(): number {
    return this.consumedTotal;
  }

  /** Would receiving up to `highest` break our limit? */
  exceededBy(highest: number): boolean {
    return highest > this.announced.value;
  }

  /**
   * The reader took `bytes` more. When less than half the window is left
   * unadvertised, the limit moves to consumed + window and an update becomes
   * due. If that half window went in under two round trips, the window was
   * what held the sender back: double it, up to maxWindow.
   */
  onConsumed(bytes: number, now: number, smoothedRtt: number): void {
    if (bytes <= 0) return;
    if (this.epochStart < 0) this.epochStart = now;
    this.consumedTotal += bytes;
    if (this.announced.value - this.consumedTotal > this.size / 2) return;
    if (smoothedRtt > 0 && now - this.epochStart < 2 * smoothedRtt && this.size < this.maxWindow) {
      this.size = Math.min(this.maxWindow, this.size * 2);
    }
    this.epochStart = now;
    this.announced.announce(this.consumedTotal + this.size);
  }

  /** Grows the window to at least `size` (the connection follows its streams' windows), within maxWindow. */
  ensureWindow(size: number): void {
    if (size > this.size) this.size = Math.min(this.maxWindow, size);
  }
}

/** Send side: the peer's limit, what we used, and when to tell it we are blocked. */
export class SendFlowCredit {
  private peerLimit: number;
  private usedTotal = 0;
  readonly blocked = new BlockedReport();

  constructor(initialLimit: number) {
    this.peerLimit = initialLimit;
  }

  get limit(): number {
    return this.peerLimit;
  }

  get used(): number {
    return this.usedTotal;
  }

  get available(): number {
    return this.peerLimit - this.usedTotal;
  }

  /** A MAX_DATA / MAX_STREAM_DATA arrived; limits never shrink (RFC 9000 §4.1). Returns true if credit grew. */
  raise(limit: number): boolean {
    if (limit <= this.peerLimit) return false;
    this.peerLimit = limit;
    this.blocked.cancel();
    return true;
  }

  consume(bytes: number): void {
    this.usedTotal += bytes;
  }

  /** We have data to send and no credit: DATA_BLOCKED / STREAM_DATA_BLOCKED, once per limit. */
  noteBlocked(): void {
    if (this.available <= 0) this.blocked.note(this.peerLimit);
  }

  onBlockedLost(limit: number): void {
    this.blocked.onLost(limit, this.peerLimit, this.available <= 0);
  }
}
