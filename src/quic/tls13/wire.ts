/**
 * Bounds-checked reading and writing of TLS presentation-language structures
 * (RFC 8446 §3). Every overrun raises a decode_error alert, so a parser built
 * on Reader can only fail with QuicTlsAlert on hostile bytes.
 */
import { Alert } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';

export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new QuicTlsAlert(Alert.decodeError, `${what} truncated`);
  }

  u8(what = 'uint8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'uint16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(what = 'uint24'): number {
    this.need(3, what);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(what = 'uint32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  vec8(what: string): Buffer {
    return this.bytes(this.u8(what), what);
  }

  vec16(what: string): Buffer {
    return this.bytes(this.u16(what), what);
  }

  vec24(what: string): Buffer {
    return this.bytes(this.u24(what), what);
  }

  /** A reader over the next length-prefixed (2-byte) block. */
  sub16(what: string): Reader {
    const len = this.u16(what);
    this.need(len, what);
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  sub8(what: string): Reader {
    const len = this.u8(what);
    this.need(len, what);
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  /** The structure must be consumed exactly (RFC 8446 §4: trailing bytes are a decode_error). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw new QuicTlsAlert(Alert.decodeError, `${what} has trailing bytes`);
  }
}

/** Appends to a growing buffer; length prefixes are patched when a block closes. */
export class Writer {
  private buf = Buffer.allocUnsafe(512);
  private len = 0;
  private readonly open: { at: number; size: number }[] = [];

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len] = v >>> 16;
    this.buf[this.len + 1] = (v >>> 8) & 0xff;
    this.buf[this.len + 2] = v & 0xff;
    this.len += 3;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  vec8(b: Uint8Array): this {
    return this.u8(b.length).bytes(b);
  }

  vec16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }

  vec24(b: Uint8Array): this {
    return this.u24(b.length).bytes(b);
  }

  /** Starts a block whose length (size bytes) is written by end(). */
  begin(size: 1 | 2 | 3): this {
    this.reserve(size);
    this.open.push({ at: this.len, size });
    this.len += size;
    return this;
  }

  end(): this {
    const block = this.open.pop();
    if (!block) throw new Error('Writer.end() without begin()');
    const n = this.len - block.at - block.size;
    if (n >= 2 ** (8 * block.size)) throw new RangeError('TLS vector too long');
    for (let i = block.size - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[block.at + i] = v & 0xff;
    return this;
  }

  get length(): number {
    return this.len;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    if (this.open.length) throw new Error('Writer.finish() with an open block');
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}
