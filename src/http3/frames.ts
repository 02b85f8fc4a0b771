/**
 * HTTP/3 frame and stream types (RFC 9114 §7, §6.2) and frame encoders.
 * Encoders return the frame header separately from large payloads where that
 * lets callers avoid copying a DATA body.
 */
import { varintSize, writeVarint } from '../quic/varint.js';

export const FRAME_DATA = 0x00;
export const FRAME_HEADERS = 0x01;
export const FRAME_CANCEL_PUSH = 0x03;
export const FRAME_SETTINGS = 0x04;
export const FRAME_PUSH_PROMISE = 0x05;
export const FRAME_GOAWAY = 0x07;
export const FRAME_MAX_PUSH_ID = 0x0d;

/** HTTP/2 frame types that have no HTTP/3 equivalent; receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8). */
export function isHttp2OnlyFrameType(type: number): boolean {
  return type === 0x02 || type === 0x06 || type === 0x08 || type === 0x09;
}

/** Reserved "grease" frame and stream types are 0x1f * N + 0x21 (RFC 9114 §7.2.8, §6.2.3). */
export function isReservedType(type: number | bigint): boolean {
  const t = BigInt(type);
  return t >= 0x21n && (t - 0x21n) % 0x1fn === 0n;
}

export const STREAM_CONTROL = 0x00;
export const STREAM_PUSH = 0x01;
export const STREAM_QPACK_ENCODER = 0x02;
export const STREAM_QPACK_DECODER = 0x03;

/** Type + length prefix of a frame whose payload is `length` bytes. */
export function encodeFrameHeader(type: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(varintSize(type) + varintSize(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A whole frame in one buffer (for small control frames and header blocks). */
export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  const hl = varintSize(type) + varintSize(payload.length);
  const out = Buffer.allocUnsafe(hl + payload.length);
  writeVarint(out, writeVarint(out, 0, type), payload.length);
  out.set(payload, hl);
  return out;
}

export function encodeDataFrame(payload: Uint8Array): Buffer {
  return encodeFrame(FRAME_DATA, payload);
}

export function encodeHeadersFrame(fieldSection: Uint8Array): Buffer {
  return encodeFrame(FRAME_HEADERS, fieldSection);
}

/** A frame whose payload is a single varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH). */
export function encodeVarintFrame(type: number, value: number | bigint): Buffer {
  const vs = varintSize(value);
  const out = Buffer.allocUnsafe(varintSize(type) + varintSize(vs) + vs);
  writeVarint(out, writeVarint(out, writeVarint(out, 0, type), vs), value);
  return out;
}

export function encodeGoawayFrame(id: number | bigint): Buffer {
  return encodeVarintFrame(FRAME_GOAWAY, id);
}
