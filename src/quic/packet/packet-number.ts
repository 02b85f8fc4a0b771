/**
 * Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2/A.3).
 * Packet numbers are plain numbers: they go up by one per packet and a
 * connection never gets near 2^53, so doubles are exact and no BigInt is
 * needed on the per-packet path. Arithmetic avoids 32-bit bitwise operators,
 * which would wrap above 2^31.
 */

/** Largest packet number RFC 9000 allows (2^62 - 1); we stop far below, at 2^53. */
export const MAX_PACKET_NUMBER = Number.MAX_SAFE_INTEGER;

/**
 * Bytes (1–4) to send `packetNumber` in, given the largest packet number the
 * peer acknowledged in this space (-1 when none): enough to cover twice the
 * distance, so the peer decodes it even with reordering (Appendix A.2).
 */
export function packetNumberLength(packetNumber: number, largestAcked: number): 1 | 2 | 3 | 4 {
  const unacked = largestAcked < 0 ? packetNumber + 1 : packetNumber - largestAcked;
  const range = unacked * 2;
  if (range < 0x100) return 1;
  if (range < 0x10000) return 2;
  if (range < 0x1000000) return 3;
  return 4;
}

/** Writes the low `length` bytes of `packetNumber` at `offset`; returns the offset after. */
export function writeTruncatedPacketNumber(buf: Uint8Array, offset: number, packetNumber: number, length: number): number {
  let v = packetNumber % 0x100000000;
  for (let i = length - 1; i >= 0; i--) {
    buf[offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return offset + length;
}

/** Reads a `length`-byte truncated packet number at `offset`. */
export function readTruncatedPacketNumber(buf: Uint8Array, offset: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + buf[offset + i]!;
  return v;
}

/**
 * The full packet number closest to the next expected one (largest received
 * + 1) whose low `length` bytes are `truncated` (Appendix A.3). `largest` is
 * -1 before any packet was received in the space.
 */
export function decodePacketNumber(largest: number, truncated: number, length: number): number {
  const expected = largest + 1;
  const window = 2 ** (length * 8);
  const halfWindow = window / 2;
  // expected & ~(window - 1) | truncated, without 32-bit bitwise operators.
  const candidate = expected - (expected % window) + truncated;
  if (candidate <= expected - halfWindow && candidate < MAX_PACKET_NUMBER - window) return candidate + window;
  if (candidate > expected + halfWindow && candidate >= window) return candidate - window;
  return candidate;
}
