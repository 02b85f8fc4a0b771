/**
 * HTTP/3 SETTINGS (RFC 9114 §7.2.4, RFC 9204 §5, RFC 9220 §3, RFC 9297 §2.1.1).
 */
import { Http3Error, H3_SETTINGS_ERROR } from './error-codes.js';
import { FRAME_SETTINGS, encodeFrame } from './frames.js';
import { readVarint, varintLengthFromFirstByte, varintSize, writeVarint } from '../quic/varint.js';

export const SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0x01;
export const SETTINGS_MAX_FIELD_SECTION_SIZE = 0x06;
export const SETTINGS_QPACK_BLOCKED_STREAMS = 0x07;
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x08;
export const SETTINGS_H3_DATAGRAM = 0x33;

export interface Http3Settings {
  qpackMaxTableCapacity: number;
  qpackBlockedStreams: number;
  /** Unlimited (Infinity) unless the peer says otherwise. */
  maxFieldSectionSize: number;
  enableConnectProtocol: boolean;
  h3Datagram: boolean;
}

/** What a peer that sent an empty SETTINGS frame (or none yet) allows (RFC 9114 §7.2.4.1). */
export const DEFAULT_SETTINGS: Readonly<Http3Settings> = Object.freeze({
  qpackMaxTableCapacity: 0,
  qpackBlockedStreams: 0,
  maxFieldSectionSize: Infinity,
  enableConnectProtocol: false,
  h3Datagram: false,
});

/** Identifiers reserved because they were HTTP/2 settings; receiving one is H3_SETTINGS_ERROR. */
const HTTP2_ONLY = new Set([0x00, 0x02, 0x03, 0x04, 0x05]);

/** Decodes a SETTINGS payload; throws Http3Error(H3_SETTINGS_ERROR) on violations. */
export function parseSettings(payload: Buffer): Http3Settings {
  const s: Http3Settings = { ...DEFAULT_SETTINGS };
  const seen = new Set<number>();
  let p = 0;
  while (p < payload.length) {
    const id = readVarint(payload, p);
    if (id < 0) throw new Http3Error(H3_SETTINGS_ERROR, 'SETTINGS frame ends inside an identifier');
    p += varintLengthFromFirstByte(payload[p]!);
    const value = readVarint(payload, p);
    if (value < 0) throw new Http3Error(H3_SETTINGS_ERROR, `SETTINGS frame ends inside the value of 0x${id.toString(16)}`);
    p += varintLengthFromFirstByte(payload[p]!);
    if (seen.has(id)) throw new Http3Error(H3_SETTINGS_ERROR, `setting 0x${id.toString(16)} appears twice`);
    seen.add(id);
    if (HTTP2_ONLY.has(id)) throw new Http3Error(H3_SETTINGS_ERROR, `setting 0x${id.toString(16)} is HTTP/2-only`);
    switch (id) {
      case SETTINGS_QPACK_MAX_TABLE_CAPACITY:
        s.qpackMaxTableCapacity = value;
        break;
      case SETTINGS_QPACK_BLOCKED_STREAMS:
        s.qpackBlockedStreams = value;
        break;
      case SETTINGS_MAX_FIELD_SECTION_SIZE:
        s.maxFieldSectionSize = value;
        break;
      case SETTINGS_ENABLE_CONNECT_PROTOCOL:
        if (value > 1) throw new Http3Error(H3_SETTINGS_ERROR, `SETTINGS_ENABLE_CONNECT_PROTOCOL must be 0 or 1, got ${value}`);
        s.enableConnectProtocol = value === 1;
        break;
      case SETTINGS_H3_DATAGRAM:
        if (value > 1) throw new Http3Error(H3_SETTINGS_ERROR, `SETTINGS_H3_DATAGRAM must be 0 or 1, got ${value}`);
        s.h3Datagram = value === 1;
        break;
      default:
      // Unknown and reserved (grease) identifiers are ignored (RFC 9114 §7.2.4).
    }
  }
  return s;
}

/** A complete SETTINGS frame listing the non-default values of `s` plus extra raw pairs (e.g. grease). */
export function encodeSettingsFrame(s: Partial<Http3Settings>, extra: [number, number][] = []): Buffer {
  const pairs: [number, number][] = [];
  if (s.qpackMaxTableCapacity) pairs.push([SETTINGS_QPACK_MAX_TABLE_CAPACITY, s.qpackMaxTableCapacity]);
  if (s.qpackBlockedStreams) pairs.push([SETTINGS_QPACK_BLOCKED_STREAMS, s.qpackBlockedStreams]);
  if (s.maxFieldSectionSize !== undefined && Number.isFinite(s.maxFieldSectionSize)) {
    pairs.push([SETTINGS_MAX_FIELD_SECTION_SIZE, s.maxFieldSectionSize]);
  }
  if (s.enableConnectProtocol) pairs.push([SETTINGS_ENABLE_CONNECT_PROTOCOL, 1]);
  if (s.h3Datagram) pairs.push([SETTINGS_H3_DATAGRAM, 1]);
  pairs.push(...extra);
  let size = 0;
  for (const [id, v] of pairs) size += varintSize(id) + varintSize(v);
  const payload = Buffer.allocUnsafe(size);
  let p = 0;
  for (const [id, v] of pairs) p = writeVarint(payload, writeVarint(payload, p, id), v);
  return encodeFrame(FRAME_SETTINGS, payload);
}
