/**
 * The receive half of a stream (RFC 9000 §3.2): Recv → Size Known → Data
 * Recvd → Data Read, or → Reset Recvd → Reset Read. It enforces the final
 * size rules (§4.5) and its own flow-control limit (§4.1); the connection
 * level is the caller's (ConnectionStreams), which learns from the return
 * values how far the peer's offsets moved.
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { MAX_STREAM_OFFSET } from './crypto-stream.js';
import { FrameType } from '../frames/frame.js';
import { ReceiveFlowWindow } from './flow-control.js';
import { ReassemblyBuffer } from './reassembly-buffer.js';

export type ReceiveStreamState = 'recv' | 'size-known' | 'data-recvd' | 'data-read' | 'reset-recvd' | 'reset-read';

export class ReceiveStream {
  private current: ReceiveStreamState = 'recv';
  private readonly buffer: ReassemblyBuffer;
  readonly flow: ReceiveFlowWindow;
  private highest = 0;
  private final: number | undefined;
  private resetErrorCode: number | undefined;
  private stopCode: number | undefined;
  private stopPending = false;

  constructor(
    readonly id: number,
    initialWindow: number,
    maxWindow: number,
    maxFragments: number,
  ) {
    this.flow = new ReceiveFlowWindow(initialWindow, maxWindow);
    this.buffer = new ReassemblyBuffer(maxFragments);
  }

  get state(): ReceiveStreamState {
    return this.current;
  }

  /** Highest offset the peer sent (what this stream counts against the connection's limit). */
  get highestReceived(): number {
    return this.highest;
  }

  get finalSize(): number | undefined {
    return this.final;
  }

  get readOffset(): number {
    return this.buffer.readOffset;
  }

  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  get fragmentCount(): number {
    return this.buffer.fragmentCount;
  }

  /** The next byte is here: `read` returns data. */
  get hasReadable(): boolean {
    return this.isDelivering && this.buffer.hasReadable;
  }

  /** In-order bytes ready for `read` (walks the fragments: for stats and tests). */
  get readableBytes(): number {
    return this.isDelivering ? this.buffer.readableBytes : 0;
  }

  /** The application code of the peer's RESET_STREAM, once received. */
  get resetCode(): number | undefined {
    return this.resetErrorCode;
  }

  /** We told the peer to stop (STOP_SENDING); incoming data is counted and dropped. */
  get readingStopped(): boolean {
    return this.stopCode !== undefined;
  }

  /** Nothing more will ever be delivered or asked for: the half can be forgotten. */
  get isTerminal(): boolean {
    if (this.current === 'data-read' || this.current === 'reset-read') return true;
    return this.stopCode !== undefined && this.final !== undefined;
  }

  /** The application still gets data from this half. */
  private get isDelivering(): boolean {
    return (this.current === 'recv' || this.current === 'size-known' || this.current === 'data-recvd') && this.stopCode === undefined;
  }

  /** A MAX_STREAM_DATA is worth sending: the peer may still need credit. */
  get wantsCredit(): boolean {
    return this.current === 'recv' && this.stopCode === undefined;
  }

  /**
   * A STREAM frame for this half. Returns how far the highest received
   * offset moved (the connection adds it to its own count). Data we no
   * longer deliver (after a reset or STOP_SENDING) is checked and dropped.
   */
  onStreamFrame(offset: number, data: Uint8Array, fin: boolean): number {
    const end = offset + data.length;
    if (end > MAX_STREAM_OFFSET) {
      throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `stream ${this.id}: data ends at ${end}, past 2^62-1`, FrameType.STREAM);
    }
    this.checkFinalSize(end, fin, FrameType.STREAM);
    if (this.flow.exceededBy(end)) {
      throw new QuicError(
        QuicErrorCode.FLOW_CONTROL_ERROR,
        `stream ${this.id}: data up to offset ${end} past the ${this.flow.limit}-byte limit we advertised`,
        FrameType.STREAM,
      );
    }
    // Store first: a refused frame leaves the stream as it was.
    const delivering = this.isDelivering;
    if (delivering && !this.buffer.insert(offset, data)) {
      throw new QuicError(
        QuicErrorCode.INTERNAL_ERROR,
        `stream ${this.id}: more than ${this.buffer.maxFragments} separate out-of-order fragments held`,
        FrameType.STREAM,
      );
    }
    const moved = Math.max(0, end - this.highest);
    if (moved > 0) this.highest = end;
    if (fin) this.final = end;
    if (!delivering) return moved;
    if (this.final !== undefined) {
      if (this.current === 'recv') this.current = 'size-known';
      if (this.current === 'size-known' && this.buffer.holdsAllUpTo(this.final)) this.current = 'data-recvd';
    }
    return moved;
  }

  /**
   * The peer's RESET_STREAM. Returns how far the highest received offset
   * moved. Unread data is dropped; the caller gives its connection credit
   * back (`finalSize - readOffset` before the call).
   */
  onResetStream(errorCode: number, finalSize: number): number {
    this.checkFinalSize(finalSize, true, FrameType.RESET_STREAM);
    if (this.flow.exceededBy(finalSize)) {
      throw new QuicError(
        QuicErrorCode.FLOW_CONTROL_ERROR,
        `stream ${this.id}: final size ${finalSize} past the ${this.flow.limit}-byte limit we advertised`,
        FrameType.RESET_STREAM,
      );
    }
    const moved = finalSize - this.highest;
    this.highest = finalSize;
    this.final = finalSize;
    // All data already here (or read): the reset changes nothing for the reader (§3.2 allows either).
    if (this.current !== 'recv' && this.current !== 'size-known') return moved;
    this.current = 'reset-recvd';
    this.resetErrorCode = errorCode;
    this.stopPending = false;
    this.buffer.discardAll();
    return moved;
  }

  /** §4.5: a final size never changes, and no data goes past it. */
  private checkFinalSize(end: number, fin: boolean, frameType: number): void {
    if (this.final !== undefined) {
      if (end > this.final || (fin && end !== this.final)) {
        throw new QuicError(
          QuicErrorCode.FINAL_SIZE_ERROR,
          `stream ${this.id}: ${fin ? 'final size' : 'data up to'} ${end} after final size ${this.final}`,
          frameType,
        );
      }
    } else if (fin && end < this.highest) {
      throw new QuicError(QuicErrorCode.FINAL_SIZE_ERROR, `stream ${this.id}: final size ${end} below data already received up to ${this.highest}`, frameType);
    }
  }

  /** The next in-order bytes (a view), at most `max`; undefined when none are ready. */
  read(max?: number): Buffer | undefined {
    if (!this.isDelivering) return undefined;
    const data = this.buffer.read(max);
    if (this.current === 'data-recvd' && this.buffer.readOffset === this.final) this.current = 'data-read';
    return data;
  }

  /** Everything up to the final size was read: the application saw the end of the stream. */
  get ended(): boolean {
    return this.current === 'data-read';
  }

  /** The application learnt of the reset (Reset Recvd → Reset Read). */
  resetDelivered(): void {
    if (this.current === 'reset-recvd') this.current = 'reset-read';
  }

  /**
   * The application will read no more: drop what is held and, unless the
   * whole stream is already here, ask the peer to stop (STOP_SENDING, §3.5).
   * Returns the bytes given up (unread, below the highest offset received).
   */
  stopReading(errorCode: number): number {
    if (!this.isDelivering) return 0;
    const givenUp = this.highest - this.buffer.readOffset;
    this.buffer.discardAll();
    this.stopCode = errorCode;
    if (this.current === 'data-recvd') this.current = 'data-read';
    else this.stopPending = true;
    return givenUp;
  }

  get stopSendingCode(): number | undefined {
    return this.stopCode;
  }

  get hasPendingStopSending(): boolean {
    return this.stopPending;
  }

  takeStopSending(): number | undefined {
    if (!this.stopPending) return undefined;
    this.stopPending = false;
    return this.stopCode;
  }

  /** A STOP_SENDING we sent was lost: send it again while the peer may still be sending. */
  onStopSendingLost(): void {
    if (this.stopCode !== undefined && (this.current === 'recv' || this.current === 'size-known') && this.final === undefined) {
      this.stopPending = true;
    }
  }
}
