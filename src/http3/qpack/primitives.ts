/**
 * QPACK primitives (RFC 9204 §4.1): prefixed integers (RFC 7541 §5.1) and
 * string literals with an H (Huffman) flag. The reader returns INCOMPLETE
 * when the input stops early — encoder/decoder streams are parsed
 * incrementally — and throws QpackError (with the caller's error code) for
 * input that can never become valid.
 */
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js';
import { QpackError } from './qpack-error.js';

export const INCOMPLETE = -1;

/** Integers above this are refused: no QPACK quantity we accept comes close, and it keeps math exact. */
const MAX_INT = 2 ** 53 - 1;

export class QpackReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    /** Error code for malformed input on this stream. */
    readonly errorCode: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reads an integer whose first byte keeps `prefixBits` low bits; INCOMPLETE if input ends. */
  int(prefixBits: number): number {
    if (this.pos >= this.end) return INCOMPLETE;
    const mask = (1 << prefixBits) - 1;
    let value = this.buf[this.pos]! & mask;
    let p = this.pos + 1;
    if (value === mask) {
      let multiplier = 1;
      for (;;) {
        if (p >= this.end) return INCOMPLETE;
        const b = this.buf[p++]!;
        value += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) break;
        if (multiplier > 2 ** 56) throw new QpackError(this.errorCode, 'prefixed integer longer than 62 bits');
      }
      if (value > MAX_INT) throw new QpackError(this.errorCode, `prefixed integer ${value} is too large`);
    }
    this.pos = p;
    return value;
  }

  /**
   * Reads a string literal whose length has `prefixBits` bits and whose H flag
   * is the bit just above them. Returns undefined if input ends first.
   * Strings longer than `maxLength` (encoded) are refused before buffering.
   */
  string(prefixBits: number, maxLength: number): string | undefined {
    if (this.pos >= this.end) return undefined;
    const huffman = (this.buf[this.pos]! >> prefixBits) & 1;
    const start = this.pos;
    const len = this.int(prefixBits);
    if (len === INCOMPLETE) return undefined;
    if (len > maxLength) throw new QpackError(this.errorCode, `string literal of ${len} bytes exceeds the ${maxLength}-byte limit`);
    if (this.pos + len > this.end) {
      this.pos = start;
      return undefined;
    }
    const from = this.pos;
    this.pos += len;
    if (!huffman) return this.buf.toString('latin1', from, from + len);
    const s = huffmanDecode(this.buf, from, from + len);
    if (s === undefined) throw new QpackError(this.errorCode, 'invalid Huffman-coded string');
    return s;
  }
}

/** Growable output buffer for encoded field sections and instructions. */
export class QpackWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes `value` with `prefixBits` low bits in the first byte, whose high bits are `flags`. */
  int(flags: number, prefixBits: number, value: number): void {
    this.ensure(10);
    const mask = (1 << prefixBits) - 1;
    if (value < mask) {
      this.buf[this.pos++] = flags | value;
      return;
    }
    this.buf[this.pos++] = flags | mask;
    value -= mask;
    while (value >= 128) {
      this.buf[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.pos++] = value;
  }

  /** Writes a string literal; Huffman-codes it when allowed and shorter. `flags` are the bits above the H flag. */
  string(flags: number, prefixBits: number, s: string, huffman = true): void {
    const hlen = huffman ? huffmanEncodedLength(s) : s.length;
    if (hlen < s.length) {
      this.int(flags | (1 << prefixBits), prefixBits, hlen);
      this.ensure(hlen);
      this.pos = huffmanEncode(s, this.buf, this.pos);
    } else {
      this.int(flags, prefixBits, s.length);
      this.ensure(s.length);
      this.pos += this.buf.write(s, this.pos, 'latin1');
    }
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** The bytes written so far (a copy-free view; the writer must not be reused after). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
