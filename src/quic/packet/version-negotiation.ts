/**
 * Version Negotiation packets (RFC 9000 §6, §17.2.1; RFC 8999 §6): a server's
 * answer to a long header of a version it does not speak. The connection IDs
 * are echoed swapped; the first byte's low seven bits are arbitrary.
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { QUIC_V1, QUIC_V2 } from '../initial/initial-keys.js';
import type { PacketHeader } from './packet-header.js';

/** What we offer, in preference order. */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_V1, QUIC_V2];

/**
 * A Version Negotiation packet answering a packet whose DCID/SCID were
 * `clientDcid`/`clientScid`. `firstByteBits` fills the unused bits (RFC 9000
 * §17.2.1 asks for them to be unpredictable; the caller passes random bits).
 */
export function buildVersionNegotiation(clientDcid: Buffer, clientScid: Buffer, versions: readonly number[] = SUPPORTED_VERSIONS, firstByteBits = 0): Buffer {
  const out = Buffer.allocUnsafe(7 + clientDcid.length + clientScid.length + 4 * versions.length);
  let p = 0;
  out[p++] = 0x80 | (firstByteBits & 0x7f);
  out.writeUInt32BE(0, p);
  p += 4;
  out[p++] = clientScid.length;
  p += clientScid.copy(out, p);
  out[p++] = clientDcid.length;
  p += clientDcid.copy(out, p);
  for (const v of versions) {
    out.writeUInt32BE(v >>> 0, p);
    p += 4;
  }
  return out;
}

/**
 * The versions a Version Negotiation packet (already parsed into `header`)
 * lists. Throws PROTOCOL_VIOLATION when the list is empty or not whole
 * 32-bit values; a client then drops the packet.
 */
export function readNegotiatedVersions(header: PacketHeader): number[] {
  const start = header.scidOffset + header.scidLength;
  const length = header.end - start;
  if (length === 0 || length % 4 !== 0) {
    throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `Version Negotiation with ${length} bytes of versions`);
  }
  const versions: number[] = [];
  for (let p = start; p < header.end; p += 4) versions.push(header.buf.readUInt32BE(p));
  return versions;
}
