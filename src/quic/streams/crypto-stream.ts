/**
 * The CRYPTO stream of one packet-number space (RFC 9000 §19.6, RFC 9001
 * §4): the same reassembly and send bookkeeping as a STREAM, without flow
 * control. What bounds the receive side instead is a fixed cap: data more
 * than `bufferLimit` bytes past what TLS has consumed is refused with
 * CRYPTO_BUFFER_EXCEEDED (§7.5 asks for at least 4096 bytes), and so is a
 * flood of tiny out-of-order fragments (CVE-2024-1765).
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { FrameType } from '../frames/frame.js';
import { ReassemblyBuffer } from './reassembly-buffer.js';
import { SendBuffer, type SendChunk } from './send-buffer.js';

/** 2^62 - 1: no stream offset goes past it (RFC 9000 §19.6). */
export const MAX_STREAM_OFFSET = 2 ** 62 - 1;

export interface CryptoStreamOptions {
  /** Bytes past the read offset we hold at most (default 64 KiB). */
  bufferLimit?: number;
  /** Separate out-of-order fragments held at most (default 256). */
  maxFragments?: number;
}

export class CryptoStream {
  readonly bufferLimit: number;
  private readonly received: ReassemblyBuffer;
  private readonly sending = new SendBuffer();

  constructor(options: CryptoStreamOptions = {}) {
    this.bufferLimit = options.bufferLimit ?? 64 * 1024;
    this.received = new ReassemblyBuffer(options.maxFragments ?? 256);
  }

  /** A CRYPTO frame arrived. Throws QuicError when it breaks a bound. */
  onCryptoFrame(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (end > MAX_STREAM_OFFSET) {
      throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `CRYPTO data ends at ${end}, past 2^62-1`, FrameType.CRYPTO);
    }
    if (end > this.received.readOffset + this.bufferLimit) {
      throw new QuicError(
        QuicErrorCode.CRYPTO_BUFFER_EXCEEDED,
        `CRYPTO data up to offset ${end} while only ${this.received.readOffset} bytes were consumed (buffer ${this.bufferLimit} bytes)`,
        FrameType.CRYPTO,
      );
    }
    if (!this.received.insert(offset, data)) {
      throw new QuicError(QuicErrorCode.CRYPTO_BUFFER_EXCEEDED, `more than ${this.received.maxFragments} separate CRYPTO fragments held`, FrameType.CRYPTO);
    }
  }

  /** The next in-order handshake bytes for TLS (a view), or undefined when there is a gap. */
  read(): Buffer | undefined {
    return this.received.read();
  }

  /** Bytes held for reassembly (never above bufferLimit). */
  get bufferedBytes(): number {
    return this.received.bufferedBytes;
  }

  get fragmentCount(): number {
    return this.received.fragmentCount;
  }

  get readOffset(): number {
    return this.received.readOffset;
  }

  /** Handshake bytes TLS wants sent at this level. */
  write(data: Buffer): void {
    this.sending.write(data);
  }

  get hasDataToSend(): boolean {
    return this.sending.hasPending;
  }

  /** The next CRYPTO frame's content within `budget` data bytes (lost ranges first). */
  nextChunk(budget: number): SendChunk | undefined {
    return this.sending.nextChunk(budget, Number.MAX_SAFE_INTEGER);
  }

  onAcked(offset: number, length: number): void {
    this.sending.onAcked(offset, length, false);
  }

  onLost(offset: number, length: number): void {
    this.sending.onLost(offset, length, false);
  }

  /** Everything sent so far goes out again (a client after a Retry, before anything was acknowledged). */
  resendAll(): void {
    this.sending.onLost(0, this.sending.sentOffset, false);
  }

  /** Handshake bytes sent and not yet acknowledged. */
  get unackedBytes(): number {
    return this.sending.bufferedBytes;
  }
}
