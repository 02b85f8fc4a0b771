/**
 * Retry packets and their integrity tag (RFC 9000 §17.2.5, RFC 9001 §5.8,
 * RFC 9369 §3.3.3). The tag is AES-128-GCM under a key and nonce fixed per
 * version over the Retry pseudo-packet: the client's original DCID (length-
 * prefixed) followed by the Retry packet without its tag. It proves the Retry
 * came from someone who saw the client's Initial, not integrity in any
 * stronger sense.
 */
import { createCipheriv } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { QUIC_V2 } from '../initial/initial-keys.js';
import { longPacketTypeBits, PacketType, RETRY_INTEGRITY_TAG_LENGTH } from './packet-header.js';

const V1_KEY = Buffer.from('be0c690b9f66575a1d766b54e368c84e', 'hex');
const V1_NONCE = Buffer.from('461599d35d632bf2239825bb', 'hex');
const V2_KEY = Buffer.from('8fb4b01b56ac48e260fbcbcead7ccc92', 'hex');
const V2_NONCE = Buffer.from('d86969bc2d7c6d9990efb04a', 'hex');

/** The integrity tag of `retryWithoutTag` (a whole Retry packet minus its last 16 bytes). */
export function retryIntegrityTag(retryWithoutTag: Buffer, originalDcid: Buffer, version: number): Buffer {
  const v2 = version === QUIC_V2;
  const gcm = createCipheriv('aes-128-gcm', v2 ? V2_KEY : V1_KEY, v2 ? V2_NONCE : V1_NONCE);
  gcm.setAAD(Buffer.concat([Buffer.of(originalDcid.length), originalDcid, retryWithoutTag]));
  gcm.final();
  return gcm.getAuthTag();
}

/** True when the Retry packet `retry` carries the right tag for the client's `originalDcid`. */
export function verifyRetryIntegrity(retry: Buffer, originalDcid: Buffer, version: number): boolean {
  if (retry.length < RETRY_INTEGRITY_TAG_LENGTH + 7) return false;
  const split = retry.length - RETRY_INTEGRITY_TAG_LENGTH;
  return timingSafeEqual(retryIntegrityTag(retry.subarray(0, split), originalDcid, version), retry.subarray(split));
}

export interface RetrySpec {
  version: number;
  /** The client's SCID. */
  dcid: Buffer;
  /** Our new connection ID: the client's DCID from now on. */
  scid: Buffer;
  token: Buffer;
  /** The DCID of the client's first Initial (enters the tag). */
  originalDcid: Buffer;
  /** The four unused low bits of the first byte (arbitrary per §17.2.5; default 0). */
  unusedBits?: number;
}

/** A complete Retry packet with its integrity tag. */
export function buildRetryPacket(spec: RetrySpec): Buffer {
  const { version, dcid, scid, token } = spec;
  const out = Buffer.allocUnsafe(7 + dcid.length + scid.length + token.length + RETRY_INTEGRITY_TAG_LENGTH);
  let p = 0;
  out[p++] = 0xc0 | (longPacketTypeBits(version, PacketType.Retry) << 4) | ((spec.unusedBits ?? 0) & 0x0f);
  out.writeUInt32BE(version, p);
  p += 4;
  out[p++] = dcid.length;
  p += dcid.copy(out, p);
  out[p++] = scid.length;
  p += scid.copy(out, p);
  p += token.copy(out, p);
  retryIntegrityTag(out.subarray(0, p), spec.originalDcid, version).copy(out, p);
  return out;
}
