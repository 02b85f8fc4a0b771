/**
 * Packet and header protection (RFC 9001 §5, RFC 9369 §3.3).
 *
 * A traffic secret from TLS becomes an AEAD key and IV ("quic key"/"quic iv")
 * and a header-protection key ("quic hp"); QUIC v2 uses "quicv2 …" labels.
 * PacketCipher seals and opens payloads in place in the datagram buffer;
 * HeaderProtection masks the first byte and the packet number.
 *
 * Costs (this machine): a createCipheriv AES-GCM is ≈ 3–4 µs and cannot be
 * reused across nonces in node:crypto, so each packet creates one; header
 * protection reuses ONE AES-ECB cipher per key (≈ 0.4 µs a mask against
 * ≈ 1.7 µs for a fresh one) — correct because ECB encrypts each 16-byte block
 * alone and the cipher is never finalised. ChaCha20 header protection takes
 * the sample as counter+nonce (RFC 9001 §5.4.4), so it needs a cipher per mask.
 */
import { createCipheriv, createDecipheriv, type Cipher, type CipherGCMTypes } from 'node:crypto';
import { hkdfExpandLabel, packetProtectionLabels } from '../initial/initial-keys.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';
import type { TlsCipherSuiteName } from '../tls13/quic-tls.js';
import { AEAD_TAG_LENGTH } from './packet-header.js';
import { decodePacketNumber, readTruncatedPacketNumber } from './packet-number.js';

interface SuiteParameters {
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  keyLength: number;
  hash: 'sha256' | 'sha384';
  hashLength: number;
  headerProtection: 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';
  /** RFC 9001 §6.6: packets one key may protect before a key update. */
  confidentialityLimit: number;
  /** RFC 9001 §6.6: failed decryptions across all keys before the connection must close. */
  integrityLimit: number;
}

const SUITES: Readonly<Record<TlsCipherSuiteName, SuiteParameters>> = {
  TLS_AES_128_GCM_SHA256: {
    aead: 'aes-128-gcm',
    keyLength: 16,
    hash: 'sha256',
    hashLength: 32,
    headerProtection: 'aes-128-ecb',
    confidentialityLimit: 2 ** 23,
    integrityLimit: 2 ** 52,
  },
  TLS_AES_256_GCM_SHA384: {
    aead: 'aes-256-gcm',
    keyLength: 32,
    hash: 'sha384',
    hashLength: 48,
    headerProtection: 'aes-256-ecb',
    confidentialityLimit: 2 ** 23,
    integrityLimit: 2 ** 52,
  },
  TLS_CHACHA20_POLY1305_SHA256: {
    aead: 'chacha20-poly1305',
    keyLength: 32,
    hash: 'sha256',
    hashLength: 32,
    headerProtection: 'chacha20',
    // RFC 9001 §6.6: ChaCha20's confidentiality limit exceeds 2^62 packets.
    confidentialityLimit: Number.MAX_SAFE_INTEGER,
    integrityLimit: 2 ** 36,
  },
};

export function cipherSuiteParameters(suite: TlsCipherSuiteName): SuiteParameters {
  const p = SUITES[suite];
  if (!p) throw new RangeError(`unknown QUIC cipher suite ${suite}`);
  return p;
}

export interface PacketKeyMaterial {
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

function labelsFor(version: number) {
  const labels = packetProtectionLabels(version);
  if (!labels) throw new RangeError(`QUIC version 0x${version.toString(16)} has no packet protection labels`);
  return labels;
}

/** Key, IV and header-protection key from a traffic secret (RFC 9001 §5.1). */
export function derivePacketKeys(suite: TlsCipherSuiteName, secret: Buffer, version: number): PacketKeyMaterial {
  const p = cipherSuiteParameters(suite);
  const labels = labelsFor(version);
  return {
    key: hkdfExpandLabel(secret, labels.key, p.keyLength, undefined, p.hash),
    iv: hkdfExpandLabel(secret, labels.iv, 12, undefined, p.hash),
    hp: hkdfExpandLabel(secret, labels.hp, p.keyLength, undefined, p.hash),
  };
}

/** The next generation's secret for a key update (RFC 9001 §6.1: "quic ku"). */
export function nextTrafficSecret(suite: TlsCipherSuiteName, secret: Buffer, version: number): Buffer {
  const p = cipherSuiteParameters(suite);
  return hkdfExpandLabel(secret, labelsFor(version).ku, p.hashLength, undefined, p.hash);
}

/** The AEAD of one key generation in one direction. */
export class PacketCipher {
  private readonly algorithm: SuiteParameters['aead'];
  private readonly nonce: Buffer;
  /** Packets sealed with this key (for the confidentiality limit). */
  sealed = 0;

  constructor(
    readonly suite: TlsCipherSuiteName,
    private readonly key: Buffer,
    private readonly iv: Buffer,
  ) {
    this.algorithm = cipherSuiteParameters(suite).aead;
    this.nonce = Buffer.allocUnsafe(12);
  }

  static fromSecret(suite: TlsCipherSuiteName, secret: Buffer, version: number): PacketCipher {
    const k = derivePacketKeys(suite, secret, version);
    return new PacketCipher(suite, k.key, k.iv);
  }

  /** RFC 9001 §5.3: the IV XOR the packet number, left-padded to 12 bytes. */
  private nonceFor(packetNumber: number): Buffer {
    const nonce = this.nonce;
    this.iv.copy(nonce);
    let v = packetNumber;
    for (let i = 11; i >= 4 && v > 0; i--) {
      nonce[i] = nonce[i]! ^ (v % 256);
      v = Math.floor(v / 256);
    }
    return nonce;
  }

  /**
   * Encrypts buf[payloadStart, payloadEnd) in place with buf[headerStart,
   * payloadStart) as associated data and writes the tag after it. The buffer
   * needs AEAD_TAG_LENGTH spare bytes at payloadEnd. Returns the packet's end.
   */
  seal(buf: Buffer, headerStart: number, payloadStart: number, payloadEnd: number, packetNumber: number): number {
    this.sealed++;
    // Typed as GCM: node's ChaCha20-Poly1305 cipher has the same AAD/tag API.
    const cipher = createCipheriv(this.algorithm as CipherGCMTypes, this.key, this.nonceFor(packetNumber), { authTagLength: AEAD_TAG_LENGTH });
    cipher.setAAD(buf.subarray(headerStart, payloadStart));
    const encrypted = cipher.update(buf.subarray(payloadStart, payloadEnd));
    encrypted.copy(buf, payloadStart);
    // GCM and ChaCha20-Poly1305 are stream modes: final() adds no bytes.
    cipher.final();
    cipher.getAuthTag().copy(buf, payloadEnd);
    return payloadEnd + AEAD_TAG_LENGTH;
  }

  /**
   * Decrypts buf[payloadStart, packetEnd) (ciphertext then tag) with
   * buf[headerStart, payloadStart) — the unprotected header — as associated
   * data. Returns the plaintext, or undefined when authentication fails (the
   * packet is dropped, RFC 9001 §5.5). The datagram is not modified.
   */
  open(buf: Buffer, headerStart: number, payloadStart: number, packetEnd: number, packetNumber: number): Buffer | undefined {
    const tagStart = packetEnd - AEAD_TAG_LENGTH;
    if (tagStart < payloadStart) return undefined;
    try {
      const decipher = createDecipheriv(this.algorithm as CipherGCMTypes, this.key, this.nonceFor(packetNumber), { authTagLength: AEAD_TAG_LENGTH });
      decipher.setAAD(buf.subarray(headerStart, payloadStart));
      decipher.setAuthTag(buf.subarray(tagStart, packetEnd));
      const plain = decipher.update(buf.subarray(payloadStart, tagStart));
      decipher.final();
      return plain;
    } catch {
      return undefined;
    }
  }
}

const ZERO5 = Buffer.alloc(5);
export const HEADER_PROTECTION_SAMPLE_LENGTH = 16;

/** Header protection of one direction (RFC 9001 §5.4); the same for every key generation. */
export class HeaderProtection {
  private readonly ecb: Cipher | undefined;

  constructor(
    suite: TlsCipherSuiteName,
    private readonly hpKey: Buffer,
  ) {
    const algorithm = cipherSuiteParameters(suite).headerProtection;
    if (algorithm !== 'chacha20') {
      this.ecb = createCipheriv(algorithm, hpKey, null);
      this.ecb.setAutoPadding(false);
    }
  }

  /** The 5-byte mask (at least) for the 16-byte sample at `sampleOffset`. */
  private mask(buf: Buffer, sampleOffset: number): Buffer {
    const sample = buf.subarray(sampleOffset, sampleOffset + HEADER_PROTECTION_SAMPLE_LENGTH);
    if (this.ecb) return this.ecb.update(sample);
    return createCipheriv('chacha20', this.hpKey, sample).update(ZERO5);
  }

  /**
   * Applies protection to a sealed packet whose unprotected header starts at
   * `packetStart` with a `pnLength`-byte packet number at `pnOffset`. The
   * sample starts 4 bytes after the packet number's start (§5.4.2), so the
   * packet must extend 20 bytes past pnOffset (pad the payload if needed).
   */
  protect(buf: Buffer, packetStart: number, pnOffset: number, pnLength: number): void {
    const mask = this.mask(buf, pnOffset + 4);
    const first = buf[packetStart]!;
    buf[packetStart] = first ^ (mask[0]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
    for (let i = 0; i < pnLength; i++) buf[pnOffset + i] = buf[pnOffset + i]! ^ mask[1 + i]!;
  }

  /**
   * Removes protection in place. Returns the packet number length (1–4), or
   * 0 when the packet is too short to sample (drop it).
   */
  unprotect(buf: Buffer, packetStart: number, pnOffset: number, packetEnd: number): number {
    if (pnOffset + 4 + HEADER_PROTECTION_SAMPLE_LENGTH > packetEnd) return 0;
    const mask = this.mask(buf, pnOffset + 4);
    let first = buf[packetStart]!;
    first ^= mask[0]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f);
    buf[packetStart] = first;
    const pnLength = (first & 0x03) + 1;
    for (let i = 0; i < pnLength; i++) buf[pnOffset + i] = buf[pnOffset + i]! ^ mask[1 + i]!;
    return pnLength;
  }
}

/** Keys of one direction at one encryption level without key updates (Initial, 0-RTT, Handshake). */
export class DirectionalKeys {
  constructor(
    readonly cipher: PacketCipher,
    readonly headerProtection: HeaderProtection,
  ) {}

  static fromSecret(suite: TlsCipherSuiteName, secret: Buffer, version: number): DirectionalKeys {
    const k = derivePacketKeys(suite, secret, version);
    return new DirectionalKeys(new PacketCipher(suite, k.key, k.iv), new HeaderProtection(suite, k.hp));
  }

  /**
   * Seals the packet written at `packetStart` (header, packet number at
   * `pnOffset`, plaintext up to `payloadEnd`; a long header's Length already
   * set) and applies header protection. Returns the packet's end.
   */
  sealPacket(buf: Buffer, packetStart: number, pnOffset: number, pnLength: number, payloadEnd: number, packetNumber: number): number {
    const end = this.cipher.seal(buf, packetStart, pnOffset + pnLength, payloadEnd, packetNumber);
    this.headerProtection.protect(buf, packetStart, pnOffset, pnLength);
    return end;
  }

  /**
   * Removes header protection in place, decodes the packet number against
   * `largestReceived` (-1: none yet) and decrypts. Fills `out` and returns
   * true, or returns false when the packet must be dropped.
   */
  openPacket(buf: Buffer, packetStart: number, pnOffset: number, packetEnd: number, largestReceived: number, out: OpenedPacket): boolean {
    const pnLength = this.headerProtection.unprotect(buf, packetStart, pnOffset, packetEnd);
    if (pnLength === 0) return false;
    const packetNumber = decodePacketNumber(largestReceived, readTruncatedPacketNumber(buf, pnOffset, pnLength), pnLength);
    const payload = this.cipher.open(buf, packetStart, pnOffset + pnLength, packetEnd, packetNumber);
    if (!payload) return false;
    out.firstByte = buf[packetStart]!;
    out.packetNumber = packetNumber;
    out.payload = payload;
    return true;
  }
}

/** What openPacket found; reuse one per connection. */
export class OpenedPacket {
  /** The unprotected first byte (reserved bits, key phase, spin). */
  firstByte = 0;
  packetNumber = 0;
  /** Decrypted frames (a fresh buffer: frame views into it stay valid). */
  payload: Buffer = Buffer.alloc(0);
}

/** Counts failed decryptions against the suite's integrity limit (RFC 9001 §6.6). */
export class IntegrityLimit {
  private failures = 0;
  private readonly limit: number;
  constructor(suite: TlsCipherSuiteName) {
    this.limit = cipherSuiteParameters(suite).integrityLimit;
  }
  /** Call for every packet that failed authentication; throws AEAD_LIMIT_REACHED past the limit. */
  recordFailure(): void {
    if (++this.failures >= this.limit) {
      throw new QuicError(QuicErrorCode.AEAD_LIMIT_REACHED, `${this.failures} packets failed authentication`);
    }
  }
  get failedPackets(): number {
    return this.failures;
  }
}
