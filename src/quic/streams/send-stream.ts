/**
 * The send half of a stream (RFC 9000 §3.1): Ready → Send → Data Sent →
 * Data Recvd, or → Reset Sent → Reset Recvd. Holds the SendBuffer and the
 * stream-level credit the peer gave; the connection-level credit is the
 * caller's, passed into `nextChunk`.
 */
import { SendFlowCredit } from './flow-control.js';
import { SendBuffer, type SendChunk } from './send-buffer.js';

export type SendStreamState = 'ready' | 'send' | 'data-sent' | 'data-recvd' | 'reset-sent' | 'reset-recvd';

export class SendStream {
  private current: SendStreamState = 'ready';
  private readonly buffer = new SendBuffer();
  readonly credit: SendFlowCredit;
  private resetErrorCode: number | undefined;
  private resetFinal = 0;
  private resetPending = false;
  private peerStopCode: number | undefined;
  /** A write was refused by back-pressure; 'writable' is due when the buffer drains below highWaterMark. */
  private needsDrain = false;

  constructor(
    readonly id: number,
    peerLimit: number,
    readonly highWaterMark: number,
  ) {
    this.credit = new SendFlowCredit(peerLimit);
  }

  get state(): SendStreamState {
    return this.current;
  }

  /** Bytes written and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  get sentOffset(): number {
    return this.buffer.sentOffset;
  }

  get isTerminal(): boolean {
    return this.current === 'data-recvd' || this.current === 'reset-recvd';
  }

  get isResetting(): boolean {
    return this.current === 'reset-sent' || this.current === 'reset-recvd';
  }

  /** The error code of the peer's STOP_SENDING, once received. */
  get stopSendingCode(): number | undefined {
    return this.peerStopCode;
  }

  /** The offset the next frame starts at (the lowest lost byte, else the first unsent one). */
  get nextOffset(): number {
    return this.buffer.nextOffset;
  }

  lostRanges(): [number, number][] {
    return this.buffer.lostRanges();
  }

  /**
   * Queues data. Returns false when the buffer is at or above highWaterMark:
   * the writer should wait for 'writable'. After a reset, data is dropped.
   */
  write(data: Buffer): boolean {
    if (this.isResetting) return false;
    if (this.buffer.ended) throw new Error(`stream ${this.id}: write after end`);
    this.buffer.write(data);
    if (this.buffer.bufferedBytes >= this.highWaterMark) this.needsDrain = true;
    return !this.needsDrain;
  }

  end(): void {
    if (!this.isResetting) this.buffer.end();
  }

  get ended(): boolean {
    return this.buffer.ended;
  }

  /** True once: the buffer drained below highWaterMark after a refused write. */
  takeWritable(): boolean {
    if (!this.needsDrain || this.buffer.bufferedBytes >= this.highWaterMark || this.isResetting) return false;
    this.needsDrain = false;
    return true;
  }

  /** Stream data (or a FIN) can go out now, given `connectionCredit` bytes of connection-level credit. */
  canSend(connectionCredit: number): boolean {
    if (this.isResetting || this.current === 'data-recvd') return false;
    if (this.buffer.hasPendingWithoutCredit) return true;
    return this.buffer.unsentBytes > 0 && this.credit.available > 0 && connectionCredit > 0;
  }

  /** Unsent data waits for stream-level credit. */
  get blockedByStreamCredit(): boolean {
    return !this.isResetting && this.buffer.unsentBytes > 0 && this.credit.available <= 0;
  }

  get hasUnsentData(): boolean {
    return !this.isResetting && this.buffer.unsentBytes > 0;
  }

  /** The next STREAM frame's content; consumes stream credit (the caller consumes the connection's by `newBytes`). */
  nextChunk(budget: number, connectionCredit: number): SendChunk | undefined {
    if (this.isResetting) return undefined;
    const chunk = this.buffer.nextChunk(budget, Math.min(this.credit.available, connectionCredit));
    if (chunk === undefined) return undefined;
    this.credit.consume(chunk.newBytes);
    if (this.current === 'ready') this.current = 'send';
    if (this.current === 'send' && this.buffer.finHasBeenSent) this.current = 'data-sent';
    if (this.buffer.unsentBytes > 0 && this.credit.available <= 0) this.credit.noteBlocked();
    return chunk;
  }

  /** The limit for a STREAM_DATA_BLOCKED going out now; sending one moves Ready to Send (§3.1). */
  takeBlocked(): number | undefined {
    if (this.isResetting) return undefined;
    const limit = this.credit.blocked.take();
    if (limit !== undefined && this.current === 'ready') this.current = 'send';
    return limit;
  }

  onAcked(offset: number, length: number, fin: boolean): void {
    if (this.isResetting) return;
    this.buffer.onAcked(offset, length, fin);
    if (this.current === 'data-sent' && this.buffer.allAcked) this.current = 'data-recvd';
  }

  onLost(offset: number, length: number, fin: boolean): void {
    if (this.isResetting || this.current === 'data-recvd') return;
    this.buffer.onLost(offset, length, fin);
  }

  /** Abandon sending (the application's abort, or the peer's STOP_SENDING): RESET_STREAM with our final size. */
  reset(errorCode: number): void {
    if (this.isResetting || this.current === 'data-recvd') return;
    this.current = 'reset-sent';
    this.resetErrorCode = errorCode;
    this.resetFinal = this.buffer.sentOffset;
    this.resetPending = true;
    this.needsDrain = false;
    this.buffer.discardAll();
  }

  /** The peer's STOP_SENDING (§3.5): answer with RESET_STREAM carrying its code. */
  onStopSending(errorCode: number): void {
    if (this.peerStopCode === undefined) this.peerStopCode = errorCode;
    this.reset(errorCode);
  }

  get hasPendingReset(): boolean {
    return this.resetPending;
  }

  /** The RESET_STREAM to send now (error code, final size), clearing the flag. */
  takeReset(): { errorCode: number; finalSize: number } | undefined {
    if (!this.resetPending) return undefined;
    this.resetPending = false;
    return { errorCode: this.resetErrorCode!, finalSize: this.resetFinal };
  }

  onResetAcked(): void {
    if (this.current === 'reset-sent') this.current = 'reset-recvd';
  }

  onResetLost(): void {
    if (this.current === 'reset-sent') this.resetPending = true;
  }
}
