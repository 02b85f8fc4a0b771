/**
 * Incremental HTTP/3 frame parser for one stream. Feed it chunks as QUIC
 * delivers them; pull frames with next(). DATA payloads are handed out in
 * pieces as they arrive (no buffering of bodies); other frames are delivered
 * whole, up to `maxFramePayload` bytes. Reserved and unknown frame types are
 * skipped without buffering (RFC 9114 §9); HTTP/2-only types are refused.
 */
import { Http3Error, H3_EXCESSIVE_LOAD, H3_FRAME_ERROR, H3_FRAME_UNEXPECTED } from './error-codes.js';
import {
  FRAME_CANCEL_PUSH,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_MAX_PUSH_ID,
  FRAME_PUSH_PROMISE,
  FRAME_SETTINGS,
  isHttp2OnlyFrameType,
} from './frames.js';
import { readVarint, varintLengthFromFirstByte } from '../quic/varint.js';

export interface FrameEvent {
  type: number;
  /** Whole payload, or for DATA the next piece of it. */
  payload: Buffer;
  /** For DATA: true when this piece completes the frame. Always true otherwise. */
  complete: boolean;
}

const EMPTY = Buffer.alloc(0);
const KNOWN = new Set([FRAME_DATA, FRAME_HEADERS, FRAME_CANCEL_PUSH, FRAME_SETTINGS, FRAME_PUSH_PROMISE, FRAME_GOAWAY, FRAME_MAX_PUSH_ID]);

export class FrameReader {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Type of the frame whose payload we are in, or -1 between frames. */
  private type = -1;
  private remaining = 0;
  private skipping = false;

  constructor(readonly maxFramePayload = 64 * 1024) {}

  /** Queues bytes received on the stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /** True when no partial frame is pending: the stream may end here. */
  get atFrameBoundary(): boolean {
    return this.type === -1 && this.pos >= this.buf.length;
  }

  /**
   * The next frame (or DATA piece), or undefined when more bytes are needed.
   * Throws Http3Error for frames that break the framing layer.
   */
  next(): FrameEvent | undefined {
    for (;;) {
      const buf = this.buf;
      if (this.type === -1) {
        const type = readVarint(buf, this.pos);
        if (type < 0) return undefined;
        const tl = varintLengthFromFirstByte(buf[this.pos]!);
        const length = readVarint(buf, this.pos + tl);
        if (length < 0) return undefined;
        this.pos += tl + varintLengthFromFirstByte(buf[this.pos + tl]!);
        if (isHttp2OnlyFrameType(type)) throw new Http3Error(H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)} is not allowed in HTTP/3`);
        this.type = type;
        this.remaining = length;
        this.skipping = !KNOWN.has(type);
        if (!this.skipping && type !== FRAME_DATA && length > this.maxFramePayload) {
          throw new Http3Error(H3_EXCESSIVE_LOAD, `frame 0x${type.toString(16)} of ${length} bytes exceeds the ${this.maxFramePayload}-byte limit`);
        }
        if (length === 0) {
          this.type = -1;
          if (this.skipping) continue;
          return { type, payload: EMPTY, complete: true };
        }
      }
      const available = buf.length - this.pos;
      if (this.skipping) {
        const n = Math.min(available, this.remaining);
        this.pos += n;
        this.remaining -= n;
        if (this.remaining > 0) return undefined;
        this.type = -1;
        continue;
      }
      if (this.type === FRAME_DATA) {
        if (available === 0) return undefined;
        const n = Math.min(available, this.remaining);
        const payload = buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        this.remaining -= n;
        const complete = this.remaining === 0;
        if (complete) this.type = -1;
        return { type: FRAME_DATA, payload, complete };
      }
      if (available < this.remaining) return undefined;
      const payload = buf.subarray(this.pos, this.pos + this.remaining);
      this.pos += this.remaining;
      const type = this.type;
      this.type = -1;
      return { type, payload, complete: true };
    }
  }

  /** Call when the stream ends (FIN): a frame cut short is H3_FRAME_ERROR (RFC 9114 §7.1). */
  finish(): void {
    if (!this.atFrameBoundary) throw new Http3Error(H3_FRAME_ERROR, 'stream ended in the middle of a frame');
  }
}
