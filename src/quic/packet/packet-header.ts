/**
 * QUIC packet headers (RFC 9000 §17, RFC 8999 invariants, RFC 9369 for v2).
 *
 * Parsing fills a reusable PacketHeader with offsets into the datagram, so the
 * per-packet path allocates nothing until a caller asks for a connection ID as
 * a Buffer. The fields behind header protection (packet number length, key
 * phase, reserved bits) are read only after PacketProtection removed it.
 * Coalesced packets (§12.2): `end` is where the next packet of the datagram
 * starts; a short-header packet always runs to the end of the datagram.
 */
import { QUIC_V1, QUIC_V2 } from '../initial/initial-keys.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { readVarint, varintLengthFromFirstByte, writeVarint, writeVarintFixed } from '../varint.js';
import { writeTruncatedPacketNumber } from './packet-number.js';

export { QUIC_V1, QUIC_V2 };

export const PacketType = {
  Initial: 0,
  ZeroRtt: 1,
  Handshake: 2,
  Retry: 3,
  OneRtt: 4,
  VersionNegotiation: 5,
  /** A long header of a version we do not speak: answer with Version Negotiation. */
  UnsupportedVersion: 6,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Longest connection ID QUIC v1/v2 allow (RFC 9000 §17.2); the invariants allow 255 for other versions. */
export const MAX_CID_LENGTH = 20;
/** Bytes of AEAD tag on every protected packet (all three QUIC cipher suites). */
export const AEAD_TAG_LENGTH = 16;
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

const HEADER_FORM_BIT = 0x80;
const FIXED_BIT = 0x40;

/** True for the versions whose packets we can parse past the invariants. */
export function isKnownVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}

/** Long-header type bits → PacketType (RFC 9000 §17.2 table 5; RFC 9369 §3.2 rotates them by one). */
export function longPacketTypeFromBits(version: number, bits: number): PacketType {
  return (version === QUIC_V2 ? (bits + 3) & 3 : bits) as PacketType;
}

/** PacketType (Initial..Retry) → long-header type bits in `version`. */
export function longPacketTypeBits(version: number, type: PacketType): number {
  return version === QUIC_V2 ? (type + 1) & 3 : type;
}

/** What a parse found; one instance is reused for every packet. */
export class PacketHeader {
  buf: Buffer = Buffer.alloc(0);
  type: PacketType = PacketType.OneRtt;
  version = 0;
  packetStart = 0;
  dcidOffset = 0;
  dcidLength = 0;
  scidOffset = 0;
  scidLength = 0;
  /** Initial: the token; Retry: the Retry token (without the integrity tag). */
  tokenOffset = 0;
  tokenLength = 0;
  /** Offset of the (protected) packet number; for Retry/VN/unsupported versions, `end`. */
  pnOffset = 0;
  /** Offset just past this packet. */
  end = 0;

  get isLong(): boolean {
    return this.type !== PacketType.OneRtt;
  }
  get dcid(): Buffer {
    return this.buf.subarray(this.dcidOffset, this.dcidOffset + this.dcidLength);
  }
  get scid(): Buffer {
    return this.buf.subarray(this.scidOffset, this.scidOffset + this.scidLength);
  }
  get token(): Buffer {
    return this.buf.subarray(this.tokenOffset, this.tokenOffset + this.tokenLength);
  }
}

function malformed(reason: string): QuicError {
  return new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, reason);
}

/**
 * The destination connection ID of the packet at `offset`, by the invariants
 * alone (RFC 8999) — what a listener routes on before any parsing. Short
 * headers carry no length, so the caller says how long its IDs are. Returns
 * undefined when the datagram is too short to hold one.
 */
export function readDestinationCid(datagram: Buffer, shortDcidLength: number, offset = 0): Buffer | undefined {
  if (offset >= datagram.length) return undefined;
  if ((datagram[offset]! & HEADER_FORM_BIT) === 0) {
    const end = offset + 1 + shortDcidLength;
    return end <= datagram.length ? datagram.subarray(offset + 1, end) : undefined;
  }
  if (offset + 6 > datagram.length) return undefined;
  const len = datagram[offset + 5]!;
  const end = offset + 6 + len;
  return end <= datagram.length ? datagram.subarray(offset + 6, end) : undefined;
}

/**
 * Parses the header of the packet at `offset` into `out`. Throws QuicError
 * (PROTOCOL_VIOLATION) when the bytes are not a packet; a datagram that fails
 * here is dropped, not answered (RFC 9000 §12.2, §17).
 */
export function parsePacketHeader(datagram: Buffer, offset: number, shortDcidLength: number, out: PacketHeader): void {
  const n = datagram.length;
  if (offset >= n) throw malformed('empty packet');
  const first = datagram[offset]!;
  out.buf = datagram;
  out.packetStart = offset;
  out.tokenOffset = 0;
  out.tokenLength = 0;
  out.scidOffset = 0;
  out.scidLength = 0;
  if ((first & HEADER_FORM_BIT) === 0) {
    if ((first & FIXED_BIT) === 0) throw malformed('short header with the fixed bit clear');
    const pnOffset = offset + 1 + shortDcidLength;
    // At least one packet-number byte and a sample's worth after it.
    if (pnOffset + 4 + 16 > n) throw malformed('short header packet too short');
    out.type = PacketType.OneRtt;
    out.version = 0;
    out.dcidOffset = offset + 1;
    out.dcidLength = shortDcidLength;
    out.pnOffset = pnOffset;
    out.end = n;
    return;
  }
  if (offset + 7 > n) throw malformed('long header truncated');
  const version = datagram.readUInt32BE(offset + 1);
  out.version = version;
  let p = offset + 5;
  const dcidLength = datagram[p++]!;
  const known = isKnownVersion(version);
  if (dcidLength > (known ? MAX_CID_LENGTH : 255) || p + dcidLength + 1 > n) {
    throw malformed('bad destination connection ID length');
  }
  out.dcidOffset = p;
  out.dcidLength = dcidLength;
  p += dcidLength;
  const scidLength = datagram[p++]!;
  if (scidLength > (known ? MAX_CID_LENGTH : 255) || p + scidLength > n) throw malformed('bad source connection ID length');
  out.scidOffset = p;
  out.scidLength = scidLength;
  p += scidLength;
  if (version === 0) {
    out.type = PacketType.VersionNegotiation;
    out.pnOffset = n;
    out.end = n;
    return;
  }
  if (!known) {
    out.type = PacketType.UnsupportedVersion;
    out.pnOffset = n;
    out.end = n;
    return;
  }
  if ((first & FIXED_BIT) === 0) throw malformed('long header with the fixed bit clear');
  const type = longPacketTypeFromBits(version, (first >> 4) & 3);
  out.type = type;
  if (type === PacketType.Retry) {
    if (p + RETRY_INTEGRITY_TAG_LENGTH > n) throw malformed('Retry packet shorter than its integrity tag');
    out.tokenOffset = p;
    out.tokenLength = n - RETRY_INTEGRITY_TAG_LENGTH - p;
    out.pnOffset = n;
    out.end = n;
    return;
  }
  if (type === PacketType.Initial) {
    const tokenLength = readVarint(datagram, p);
    if (tokenLength < 0) throw malformed('Initial token length truncated');
    p += varintLengthFromFirstByte(datagram[p]!);
    if (p + tokenLength > n) throw malformed('Initial token truncated');
    out.tokenOffset = p;
    out.tokenLength = tokenLength;
    p += tokenLength;
  }
  const length = readVarint(datagram, p);
  if (length < 0) throw malformed('packet Length truncated');
  p += varintLengthFromFirstByte(datagram[p]!);
  if (p + length > n) throw malformed(`packet Length ${length} runs past the datagram`);
  if (length < 4 + 16) throw malformed(`packet Length ${length} too short to protect`);
  out.pnOffset = p;
  out.end = p + length;
}

/** Packet number length (1–4) from an unprotected first byte. */
export function packetNumberLengthFromFirstByte(firstByte: number): 1 | 2 | 3 | 4 {
  return ((firstByte & 0x03) + 1) as 1 | 2 | 3 | 4;
}

/** True when the reserved bits of an unprotected first byte are set: PROTOCOL_VIOLATION (RFC 9000 §17.2, §17.3.1). */
export function reservedBitsSet(firstByte: number): boolean {
  return (firstByte & HEADER_FORM_BIT) !== 0 ? (firstByte & 0x0c) !== 0 : (firstByte & 0x18) !== 0;
}

/** Key phase bit of an unprotected short-header first byte (RFC 9001 §6). */
export function keyPhaseOf(firstByte: number): 0 | 1 {
  return ((firstByte >> 2) & 1) as 0 | 1;
}

/** Spin bit of a short-header first byte (RFC 9000 §17.4). */
export function spinBitOf(firstByte: number): 0 | 1 {
  return ((firstByte >> 5) & 1) as 0 | 1;
}

/** Bytes a long header takes before its packet number, with a 2-byte Length. */
export function longHeaderLength(dcid: Uint8Array, scid: Uint8Array, token: Uint8Array | undefined): number {
  const tokenField = token === undefined ? 0 : varintSizeOf(token.length) + token.length;
  return 1 + 4 + 1 + dcid.length + 1 + scid.length + tokenField + 2;
}

function varintSizeOf(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : n < 0x40000000 ? 4 : 8;
}

/**
 * Writes an unprotected Initial/0-RTT/Handshake header and its truncated
 * packet number at `offset`. The Length field is reserved as 2 bytes: call
 * setLongHeaderLength once the payload is written. `token` is for Initial
 * only (an empty Buffer for none). Returns the packet number's offset.
 */
export function writeLongHeader(
  buf: Buffer,
  offset: number,
  type: PacketType,
  version: number,
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array | undefined,
  pnLength: number,
  packetNumber: number,
): number {
  if (type > PacketType.Handshake || type === PacketType.Retry) throw new RangeError('writeLongHeader writes Initial, 0-RTT and Handshake headers');
  let p = offset;
  buf[p++] = HEADER_FORM_BIT | FIXED_BIT | (longPacketTypeBits(version, type) << 4) | (pnLength - 1);
  buf.writeUInt32BE(version, p);
  p += 4;
  buf[p++] = dcid.length;
  buf.set(dcid, p);
  p += dcid.length;
  buf[p++] = scid.length;
  buf.set(scid, p);
  p += scid.length;
  if (type === PacketType.Initial) {
    const t = token ?? EMPTY;
    p = writeVarint(buf, p, t.length);
    buf.set(t, p);
    p += t.length;
  }
  p = writeVarintFixed(buf, p, 0, 2);
  writeTruncatedPacketNumber(buf, p, packetNumber, pnLength);
  return p;
}

const EMPTY = Buffer.alloc(0);

/** Fills the Length field reserved by writeLongHeader: bytes from the packet number to the end of the AEAD tag. */
export function setLongHeaderLength(buf: Buffer, pnOffset: number, length: number): void {
  writeVarintFixed(buf, pnOffset - 2, length, 2);
}

/** Writes an unprotected short header and truncated packet number; returns the packet number's offset. */
export function writeShortHeader(
  buf: Buffer,
  offset: number,
  dcid: Uint8Array,
  spinBit: 0 | 1,
  keyPhase: 0 | 1,
  pnLength: number,
  packetNumber: number,
): number {
  buf[offset] = FIXED_BIT | (spinBit << 5) | (keyPhase << 2) | (pnLength - 1);
  buf.set(dcid, offset + 1);
  const pnOffset = offset + 1 + dcid.length;
  writeTruncatedPacketNumber(buf, pnOffset, packetNumber, pnLength);
  return pnOffset;
}
