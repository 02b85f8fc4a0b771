/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) over HKDF on node:crypto HMAC.
 * HKDF-Extract and HKDF-Expand-Label are the ones QUIC's Initial keys use
 * (src/quic/initial/initial-keys.ts), with the suite's hash.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { hkdfExpandLabel, hkdfExtract } from '../initial/initial-keys.js';
import { TLS_CIPHER_SUITE_CODES, type TlsCipherSuiteName } from './quic-tls.js';

export type HashName = 'sha256' | 'sha384';

export interface CipherSuite {
  name: TlsCipherSuiteName;
  code: number;
  hash: HashName;
  hashLength: number;
}

export const CIPHER_SUITES: readonly CipherSuite[] = [
  { name: 'TLS_AES_128_GCM_SHA256', code: TLS_CIPHER_SUITE_CODES.TLS_AES_128_GCM_SHA256, hash: 'sha256', hashLength: 32 },
  { name: 'TLS_AES_256_GCM_SHA384', code: TLS_CIPHER_SUITE_CODES.TLS_AES_256_GCM_SHA384, hash: 'sha384', hashLength: 48 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', code: TLS_CIPHER_SUITE_CODES.TLS_CHACHA20_POLY1305_SHA256, hash: 'sha256', hashLength: 32 },
];

export const DEFAULT_CIPHER_SUITES: TlsCipherSuiteName[] = CIPHER_SUITES.map((s) => s.name);

export function cipherSuiteByName(name: TlsCipherSuiteName): CipherSuite {
  const s = CIPHER_SUITES.find((c) => c.name === name);
  if (!s) throw new RangeError(`unknown cipher suite ${name as string}`);
  return s;
}

export function cipherSuiteByCode(code: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((c) => c.code === code);
}

/** Derive-Secret(secret, label, messages) with the transcript hash already computed. */
export function deriveSecret(suite: CipherSuite, secret: Buffer, label: string, transcriptHash: Buffer): Buffer {
  return hkdfExpandLabel(secret, label, suite.hashLength, transcriptHash, suite.hash);
}

const emptyHashes = new Map<HashName, Buffer>();
export function emptyHash(hash: HashName): Buffer {
  let h = emptyHashes.get(hash);
  if (!h) emptyHashes.set(hash, (h = createHash(hash).digest()));
  return h;
}

/** verify_data of a Finished message, or a PSK binder (RFC 8446 §4.4.4, §4.2.11.2). */
export function finishedVerifyData(suite: CipherSuite, baseKey: Buffer, transcriptHash: Buffer): Buffer {
  const finishedKey = hkdfExpandLabel(baseKey, 'finished', suite.hashLength, undefined, suite.hash);
  return createHmac(suite.hash, finishedKey).update(transcriptHash).digest();
}

export function equalSecrets(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The secrets of one handshake, in the order they come into being. Each stage
 * takes the transcript hash at its point of the handshake.
 */
export class KeySchedule {
  readonly earlySecret: Buffer;
  /** Derive-Secret(early secret, "derived", ""): a constant in a full handshake. */
  private readonly derivedFromEarly: Buffer;
  private handshakeSecret: Buffer | undefined;
  private masterSecret: Buffer | undefined;

  /** `psk` absent: the all-zero PSK of a full handshake. */
  constructor(
    readonly suite: CipherSuite,
    psk?: Buffer,
  ) {
    if (psk) {
      this.earlySecret = hkdfExtract(Buffer.alloc(suite.hashLength), psk, suite.hash);
      this.derivedFromEarly = deriveSecret(suite, this.earlySecret, 'derived', emptyHash(suite.hash));
    } else {
      const fixed = fullHandshakeEarlySecrets(suite);
      this.earlySecret = fixed.early;
      this.derivedFromEarly = fixed.derived;
    }
  }

  /** binder_key for a resumption PSK ("res binder"). */
  resumptionBinderKey(): Buffer {
    return deriveSecret(this.suite, this.earlySecret, 'res binder', emptyHash(this.suite.hash));
  }

  clientEarlyTrafficSecret(clientHelloHash: Buffer): Buffer {
    return deriveSecret(this.suite, this.earlySecret, 'c e traffic', clientHelloHash);
  }

  /** Mixes in the (EC)DHE shared secret; returns the handshake traffic secrets. */
  handshake(sharedSecret: Buffer, helloHash: Buffer): { client: Buffer; server: Buffer } {
    const hs = hkdfExtract(this.derivedFromEarly, sharedSecret, this.suite.hash);
    this.handshakeSecret = hs;
    return {
      client: deriveSecret(this.suite, hs, 'c hs traffic', helloHash),
      server: deriveSecret(this.suite, hs, 's hs traffic', helloHash),
    };
  }

  /** Application traffic secrets, from the transcript through the server's Finished. */
  application(serverFinishedHash: Buffer): { client: Buffer; server: Buffer } {
    if (!this.handshakeSecret) throw new Error('KeySchedule.application() before handshake()');
    const derived = deriveSecret(this.suite, this.handshakeSecret, 'derived', emptyHash(this.suite.hash));
    const ms = hkdfExtract(derived, Buffer.alloc(this.suite.hashLength), this.suite.hash);
    this.masterSecret = ms;
    return {
      client: deriveSecret(this.suite, ms, 'c ap traffic', serverFinishedHash),
      server: deriveSecret(this.suite, ms, 's ap traffic', serverFinishedHash),
    };
  }

  /** resumption_master_secret, from the transcript through the client's Finished. */
  resumptionMasterSecret(clientFinishedHash: Buffer): Buffer {
    if (!this.masterSecret) throw new Error('KeySchedule.resumptionMasterSecret() before application()');
    return deriveSecret(this.suite, this.masterSecret, 'res master', clientFinishedHash);
  }
}

const fullHandshakeEarly = new Map<HashName, { early: Buffer; derived: Buffer }>();

function fullHandshakeEarlySecrets(suite: CipherSuite): { early: Buffer; derived: Buffer } {
  let fixed = fullHandshakeEarly.get(suite.hash);
  if (!fixed) {
    const zeros = Buffer.alloc(suite.hashLength);
    const early = hkdfExtract(zeros, zeros, suite.hash);
    fixed = { early, derived: deriveSecret(suite, early, 'derived', emptyHash(suite.hash)) };
    fullHandshakeEarly.set(suite.hash, fixed);
  }
  return fixed;
}

/** The PSK a NewSessionTicket names (RFC 8446 §4.6.1). */
export function ticketPsk(suite: CipherSuite, resumptionMasterSecret: Buffer, nonce: Buffer): Buffer {
  return hkdfExpandLabel(resumptionMasterSecret, 'resumption', suite.hashLength, nonce, suite.hash);
}
