import { describe, expect, it } from 'vitest';
import { encodeVarint, readVarint, readVarintBigInt, VARINT_MAX, varintSize, writeVarintFixed } from '../../src/quic/varint.js';

describe('QUIC varint', () => {
  it('decodes the RFC 9000 Appendix A.1 examples', () => {
    expect(readVarintBigInt(Buffer.from('c2197c5eff14e88c', 'hex'), 0)).toBe(151288809941952652n);
    expect(readVarint(Buffer.from('9d7f3e7d', 'hex'), 0)).toBe(494878333);
    expect(readVarint(Buffer.from('7bbd', 'hex'), 0)).toBe(15293);
    expect(readVarint(Buffer.from('25', 'hex'), 0)).toBe(37);
    expect(readVarint(Buffer.from('4025', 'hex'), 0)).toBe(37);
  });

  it('round-trips boundaries in shortest form, numbers and bigints', () => {
    for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 53 - 1]) {
      const b = encodeVarint(v);
      expect(b.length).toBe(varintSize(v));
      expect(readVarint(b, 0)).toBe(v);
    }
    expect(encodeVarint(VARINT_MAX).toString('hex')).toBe('ffffffffffffffff');
    expect(readVarintBigInt(encodeVarint(VARINT_MAX), 0)).toBe(VARINT_MAX);
    expect(readVarintBigInt(encodeVarint(5n), 0)).toBe(5n);
  });

  it('reports truncation instead of throwing and refuses out-of-range values', () => {
    expect(readVarint(Buffer.from('c2197c', 'hex'), 0)).toBe(-1);
    expect(readVarint(Buffer.alloc(0), 0)).toBe(-1);
    expect(readVarintBigInt(Buffer.from('40', 'hex'), 0)).toBe(-1n);
    expect(() => encodeVarint(VARINT_MAX + 1n)).toThrow(RangeError);
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(2 ** 60)).toThrow(RangeError);
  });

  it('writes a value in a fixed, longer-than-needed size (reserved Length fields)', () => {
    for (const size of [1, 2, 4, 8] as const) {
      const b = Buffer.alloc(8);
      expect(writeVarintFixed(b, 0, 37, size)).toBe(size);
      expect(readVarint(b, 0)).toBe(37);
      expect(b[0]! >> 6).toBe(Math.log2(size));
    }
    const b = Buffer.alloc(8);
    writeVarintFixed(b, 0, 2 ** 40 + 5, 8);
    expect(readVarint(b, 0)).toBe(2 ** 40 + 5);
    expect(() => writeVarintFixed(b, 0, 16384, 2)).toThrow(RangeError);
  });
});
