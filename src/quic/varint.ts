/**
 * QUIC variable-length integers (RFC 9000 §16), shared by QUIC packet
 * parsing and HTTP/3 framing. The two high bits of the first byte give the
 * encoded length (1, 2, 4 or 8 bytes); the rest is the value, big-endian.
 *
 * The number API is exact up to Number.MAX_SAFE_INTEGER (2^53-1); values
 * above that (only possible with 8-byte encodings) come back rounded. Use the
 * bigint functions where the full 62-bit range matters (stream IDs, reserved
 * frame types); lengths above 2^53 are refused by every size limit anyway.
 */

/** Largest value a varint can carry: 2^62 - 1. */
export const VARINT_MAX = (1n << 62n) - 1n;

/** Encoded length of the varint whose first byte is `firstByte`. */
export function varintLengthFromFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Reads the varint at `offset`. Returns -1 if `buf` ends before the varint
 * does, so callers can buffer and retry without catching exceptions.
 */
export function readVarint(buf: Uint8Array, offset: number): number {
  if (offset >= buf.length) return -1;
  const first = buf[offset]!;
  switch (first >> 6) {
    case 0:
      return first;
    case 1:
      if (offset + 2 > buf.length) return -1;
      return ((first & 0x3f) << 8) | buf[offset + 1]!;
    case 2:
      if (offset + 4 > buf.length) return -1;
      return (first & 0x3f) * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!);
    default: {
      if (offset + 8 > buf.length) return -1;
      const hi = (first & 0x3f) * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!);
      const lo = buf[offset + 4]! * 0x1000000 + ((buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!);
      return hi * 0x100000000 + lo;
    }
  }
}

/** Exact bigint read of the varint at `offset`; -1n if `buf` ends first. */
export function readVarintBigInt(buf: Uint8Array, offset: number): bigint {
  if (offset >= buf.length) return -1n;
  const len = varintLengthFromFirstByte(buf[offset]!);
  if (offset + len > buf.length) return -1n;
  if (len < 8) return BigInt(readVarint(buf, offset));
  const hi = (buf[offset]! & 0x3f) * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!);
  const lo = buf[offset + 4]! * 0x1000000 + ((buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Bytes needed to encode `value`. Throws RangeError outside 0..2^62-1. */
export function varintSize(value: number | bigint): 1 | 2 | 4 | 8 {
  if (typeof value === 'bigint') {
    if (value < 0n || value > VARINT_MAX) throw new RangeError(`varint out of range: ${value} (allowed 0..2^62-1)`);
    if (value < 0x40n) return 1;
    if (value < 0x4000n) return 2;
    if (value < 0x40000000n) return 4;
    return 8;
  }
  if (!(value >= 0) || !Number.isInteger(value)) throw new RangeError(`varint must be a non-negative integer, got ${value}`);
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  if (value > Number.MAX_SAFE_INTEGER) throw new RangeError(`varint ${value} is not exact as a number; pass a bigint`);
  return 8;
}

/** Writes `value` at `offset` in its shortest encoding; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, value: number | bigint): number {
  const size = varintSize(value);
  if (typeof value === 'bigint') {
    if (size < 8) return writeVarint(buf, offset, Number(value));
    const hi = Number(value >> 32n);
    const lo = Number(value & 0xffffffffn);
    writeU32(buf, offset, hi | 0xc0000000);
    writeU32(buf, offset + 4, lo);
    return offset + 8;
  }
  switch (size) {
    case 1:
      buf[offset] = value;
      return offset + 1;
    case 2:
      buf[offset] = 0x40 | (value >> 8);
      buf[offset + 1] = value & 0xff;
      return offset + 2;
    case 4:
      writeU32(buf, offset, (value | 0x80000000) >>> 0);
      return offset + 4;
    default: {
      const hi = Math.floor(value / 0x100000000);
      writeU32(buf, offset, (hi | 0xc0000000) >>> 0);
      writeU32(buf, offset + 4, value >>> 0);
      return offset + 8;
    }
  }
}

/**
 * Writes `value` (a number) in exactly `size` bytes, for fields written before
 * their value is known (a long header's Length, reserved ahead of the
 * payload). Throws RangeError when `value` does not fit in `size` bytes.
 */
export function writeVarintFixed(buf: Uint8Array, offset: number, value: number, size: 1 | 2 | 4 | 8): number {
  if (varintSize(value) > size) throw new RangeError(`varint ${value} does not fit in ${size} bytes`);
  switch (size) {
    case 1:
      buf[offset] = value;
      break;
    case 2:
      buf[offset] = 0x40 | (value >> 8);
      buf[offset + 1] = value & 0xff;
      break;
    case 4:
      writeU32(buf, offset, (value | 0x80000000) >>> 0);
      break;
    default:
      writeU32(buf, offset, (Math.floor(value / 0x100000000) | 0xc0000000) >>> 0);
      writeU32(buf, offset + 4, value >>> 0);
  }
  return offset + size;
}

/** A fresh buffer holding `value` as a varint. */
export function encodeVarint(value: number | bigint): Buffer {
  const out = Buffer.allocUnsafe(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}

function writeU32(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = (v >>> 24) & 0xff;
  buf[offset + 1] = (v >>> 16) & 0xff;
  buf[offset + 2] = (v >>> 8) & 0xff;
  buf[offset + 3] = v & 0xff;
}
