/**
 * Long-header parsing and Initial packet unprotection (RFC 9000 §17.2,
 * RFC 9001 §5.3–5.4). Pure functions over a datagram: nothing here keeps
 * state, allocates per byte, or throws on malformed input — problems come
 * back as a `reason` string.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readVarint, varintLengthFromFirstByte } from '../varint.js';
import { initialPacketType, isSupportedVersion, type PacketProtectionKeys } from './initial-keys.js';

const MAX_CID_LENGTH = 20;
const SAMPLE_LENGTH = 16;
const TAG_LENGTH = 16;

export interface LongHeader {
  version: number;
  /** Long packet type bits (meaning depends on the version). */
  typeBits: number;
  dcid: Buffer;
  scid: Buffer;
  /** Initial packets only; empty otherwise. */
  token: Buffer;
  /** True when this is an Initial packet of a version we know. */
  isInitial: boolean;
  /** Offset of the (protected) packet number field within the datagram. */
  pnOffset: number;
  /** Offset just past this packet (start of the next coalesced packet). */
  end: number;
}

export type LongHeaderParse = { ok: true; header: LongHeader } | { ok: false; reason: string };

/** DCID of the long-header packet at the start of `datagram`, or undefined if there is none. */
export function readLongHeaderDcid(datagram: Buffer): Buffer | undefined {
  if (datagram.length < 7 || (datagram[0]! & 0x80) === 0) return undefined;
  const len = datagram[5]!;
  if (len > MAX_CID_LENGTH || 6 + len > datagram.length) return undefined;
  return datagram.subarray(6, 6 + len);
}

/** Parses the long header at `offset` (which the caller checked has the 0x80 bit). */
export function parseLongHeader(datagram: Buffer, offset: number): LongHeaderParse {
  const n = datagram.length;
  let p = offset;
  if (p + 7 > n) return { ok: false, reason: 'long header truncated before the connection IDs' };
  const first = datagram[p]!;
  if ((first & 0x40) === 0) return { ok: false, reason: 'fixed bit is zero' };
  const version = datagram.readUInt32BE(p + 1);
  if (version === 0) return { ok: false, reason: 'version negotiation packet from a client' };
  if (!isSupportedVersion(version)) return { ok: false, reason: `unsupported QUIC version 0x${version.toString(16)}` };
  p += 5;
  const dcidLen = datagram[p++]!;
  if (dcidLen > MAX_CID_LENGTH || p + dcidLen + 1 > n) return { ok: false, reason: 'bad destination connection ID length' };
  const dcid = datagram.subarray(p, p + dcidLen);
  p += dcidLen;
  const scidLen = datagram[p++]!;
  if (scidLen > MAX_CID_LENGTH || p + scidLen > n) return { ok: false, reason: 'bad source connection ID length' };
  const scid = datagram.subarray(p, p + scidLen);
  p += scidLen;
  const typeBits = (first >> 4) & 0x03;
  const isInitial = typeBits === initialPacketType(version);
  let token = datagram.subarray(0, 0);
  if (isInitial) {
    const tokenLen = readVarint(datagram, p);
    if (tokenLen < 0) return { ok: false, reason: 'token length truncated' };
    p += varintLengthFromFirstByte(datagram[p]!);
    if (p + tokenLen > n) return { ok: false, reason: 'token truncated' };
    token = datagram.subarray(p, p + tokenLen);
    p += tokenLen;
  } else if (typeBits === (initialPacketType(version) + 3) % 4) {
    // Retry (v1 type 3, v2 type 0) has no Length field: it fills the datagram.
    return { ok: true, header: { version, typeBits, dcid, scid, token, isInitial, pnOffset: n, end: n } };
  }
  const length = readVarint(datagram, p);
  if (length < 0) return { ok: false, reason: 'packet length truncated' };
  p += varintLengthFromFirstByte(datagram[p]!);
  if (p + length > n) return { ok: false, reason: `packet length ${length} exceeds the datagram` };
  return { ok: true, header: { version, typeBits, dcid, scid, token, isInitial, pnOffset: p, end: p + length } };
}

export type UnprotectResult = { ok: true; packetNumber: number; payload: Buffer } | { ok: false; reason: string };

/**
 * Removes header protection and decrypts the Initial packet described by
 * `header`. The datagram is not modified. The packet number is the
 * truncated value: exact for the first 2^7..2^31 packets of a connection,
 * which is all a ClientHello ever needs.
 */
export function unprotectInitialPacket(datagram: Buffer, header: LongHeader, keys: PacketProtectionKeys, packetStart: number): UnprotectResult {
  const { pnOffset, end } = header;
  if (pnOffset + 4 + SAMPLE_LENGTH > end) return { ok: false, reason: 'packet too short to sample for header protection' };
  const sample = datagram.subarray(pnOffset + 4, pnOffset + 4 + SAMPLE_LENGTH);
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  const mask = ecb.update(sample);
  const first = datagram[packetStart]! ^ (mask[0]! & 0x0f);
  const pnLength = (first & 0x03) + 1;
  if (pnOffset + pnLength + TAG_LENGTH > end) return { ok: false, reason: 'packet too short for its AEAD tag' };
  // The unprotected header is the AEAD associated data.
  const aad = Buffer.allocUnsafe(pnOffset + pnLength - packetStart);
  datagram.copy(aad, 0, packetStart, pnOffset + pnLength);
  aad[0] = first;
  let packetNumber = 0;
  const pnAt = pnOffset - packetStart;
  for (let i = 0; i < pnLength; i++) {
    const b = aad[pnAt + i]! ^ mask[1 + i]!;
    aad[pnAt + i] = b;
    packetNumber = packetNumber * 256 + b;
  }
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4; i++) nonce[11 - i] = nonce[11 - i]! ^ ((packetNumber / 2 ** (8 * i)) & 0xff);
  const ciphertext = datagram.subarray(pnOffset + pnLength, end - TAG_LENGTH);
  const tag = datagram.subarray(end - TAG_LENGTH, end);
  try {
    const gcm = createDecipheriv('aes-128-gcm', keys.key, nonce);
    gcm.setAAD(aad);
    gcm.setAuthTag(tag);
    const head = gcm.update(ciphertext);
    const tail = gcm.final();
    return { ok: true, packetNumber, payload: tail.length === 0 ? head : Buffer.concat([head, tail]) };
  } catch {
    return { ok: false, reason: 'Initial packet failed AEAD authentication (wrong keys or corrupted)' };
  }
}
