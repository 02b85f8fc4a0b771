/**
 * (EC)DHE key shares (RFC 8446 §4.2.8): X25519, P-256, P-384 and P-521 on
 * node:crypto (the last two only when a TLS option's curvePreferences asks).
 * The NIST curves use createECDH (raw points in and out, ~40% cheaper per handshake
 * than KeyObjects here); X25519 needs KeyObjects, moved in and out as JWK:
 * measured here, exporting a raw key through JWK costs ~2 µs against ~80 µs
 * through DER/SPKI, importing ~25 µs against ~100 µs (PKCS#8 DER: ~700 µs).
 *
 * X25519MLKEM768 (the hybrid post-quantum group Chromium and Firefox share
 * first) is answered where Node's crypto has ML-KEM (`crypto.encapsulate`,
 * Node 24): the server side of a KEM cannot pick its share before it sees the
 * client's, so it goes through `answerKeyShare`. On Node 20 it is not offered
 * and a client that shares only that gets a HelloRetryRequest for a classical
 * group.
 */
import * as nodeCrypto from 'node:crypto';
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { Alert } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';

export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x25519MlKem768: 0x11ec,
} as const;

/** ML-KEM in node:crypto (Node ≥ 24.7: encapsulate, ml-kem-768 keys), tried once. */
type KemFunctions = { encapsulate(key: KeyObject): { sharedKey: Buffer; ciphertext: Buffer } };
const kem: KemFunctions | undefined = (() => {
  const c = nodeCrypto as unknown as Partial<KemFunctions>;
  if (typeof c.encapsulate !== 'function') return undefined;
  try {
    const { publicKey } = nodeCrypto.generateKeyPairSync('ml-kem-768' as 'x25519');
    c.encapsulate(publicKey);
    return c as KemFunctions;
  } catch {
    return undefined;
  }
})();

/** Whether this Node can answer X25519MLKEM768. */
export const hybridKeyExchangeAvailable = kem !== undefined;

/** ML-KEM-768 sizes (FIPS 203): encapsulation key, ciphertext. */
const MLKEM768_EK_BYTES = 1184;
const MLKEM768_CT_BYTES = 1088;

const GROUP_CODES: Readonly<Record<string, number>> = {
  ...(kem ? { X25519MLKEM768: NamedGroup.x25519MlKem768, x25519mlkem768: NamedGroup.x25519MlKem768 } : {}),
  x25519: NamedGroup.x25519,
  secp256r1: NamedGroup.secp256r1,
  'P-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
  'P-384': NamedGroup.secp384r1,
  secp521r1: NamedGroup.secp521r1,
  'P-521': NamedGroup.secp521r1,
};
const GROUP_NAMES = new Map<number, string>([
  [NamedGroup.x25519, 'x25519'],
  [NamedGroup.secp256r1, 'secp256r1'],
  [NamedGroup.secp384r1, 'secp384r1'],
  [NamedGroup.secp521r1, 'secp521r1'],
  ...(kem ? [[NamedGroup.x25519MlKem768, 'X25519MLKEM768'] as [number, string]] : []),
]);

/** node:crypto curve name and uncompressed point length (1 + 2 × field bytes) of each NIST group. */
const NIST_CURVES = new Map<number, { curve: string; label: string; pointLength: number }>([
  [NamedGroup.secp256r1, { curve: 'prime256v1', label: 'P-256', pointLength: 65 }],
  [NamedGroup.secp384r1, { curve: 'secp384r1', label: 'P-384', pointLength: 97 }],
  [NamedGroup.secp521r1, { curve: 'secp521r1', label: 'P-521', pointLength: 133 }],
]);

export const DEFAULT_GROUPS = ['x25519', 'secp256r1'];
/** What a server prefers: the hybrid group first where Node can answer it (browsers send its share first). */
export const DEFAULT_SERVER_GROUPS = kem ? ['X25519MLKEM768', ...DEFAULT_GROUPS] : DEFAULT_GROUPS;

/** Group code for a configured name; throws RangeError for unsupported names (a configuration error). */
export function groupCode(name: string): number {
  const code = GROUP_CODES[name];
  if (code === undefined)
    throw new RangeError(`unsupported key exchange group ${name} (supported: ${kem ? 'X25519MLKEM768, ' : ''}x25519, secp256r1, secp384r1, secp521r1)`);
  return code;
}

export function groupName(code: number): string {
  return GROUP_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

export function isSupportedGroup(code: number): boolean {
  return GROUP_NAMES.has(code);
}

export interface KeyShare {
  readonly group: number;
  readonly publicKey: Buffer;
  /** Shared secret with the peer's key_exchange; illegal_parameter if that is not a valid point. */
  sharedSecret(peer: Buffer): Buffer;
}

/** JWK needs an "x"; Node builds an X25519 private key from "d" alone and derives the real public key. */
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

/** PKCS#8 PrivateKeyInfo for X25519 up to the 32 key bytes (RFC 8410 §7). */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
let jwkPlaceholderAccepted: boolean | undefined;

/**
 * An X25519 private key from 32 bytes. Node 20 takes a JWK with a
 * placeholder "x" (≈ 25 µs; its PKCS#8 import costs ≈ 1.3 ms); Node 24
 * checks "x" against "d" and refuses it ("Invalid JWK OKP key"), and imports
 * PKCS#8 in ≈ 70 µs — so the form is chosen once, by trying.
 */
function importX25519Private(d: Buffer): KeyObject {
  if (jwkPlaceholderAccepted !== false) {
    try {
      const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: PLACEHOLDER_X }, format: 'jwk' });
      jwkPlaceholderAccepted = true;
      return key;
    } catch (err) {
      if (jwkPlaceholderAccepted) throw err;
      jwkPlaceholderAccepted = false;
    }
  }
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
}

/**
 * An X25519 key pair without generateKeyPairSync: exporting a key that
 * generateKeyPairSync made deadlocked Node 20 (seen twice here, in a test run
 * and a benchmark, gdb: ExportJWKEdKey holds the key's mutex, allocates, the
 * GC finalizes that key's KeyGenJob, whose destructor waits for the same
 * mutex). A private key imported from 32 random bytes has no KeyGenJob.
 */
function x25519KeyPair(): { privateKey: KeyObject; publicKey: Buffer } {
  const privateKey = importX25519Private(randomBytes(32));
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  return { privateKey, publicKey };
}

export function generateKeyShare(group: number): KeyShare {
  const nist = NIST_CURVES.get(group);
  if (nist) {
    const ecdh = createECDH(nist.curve);
    const publicKey = ecdh.generateKeys();
    return {
      group,
      publicKey,
      sharedSecret(peer) {
        // Only the uncompressed form is allowed in TLS 1.3 (RFC 8446 §4.2.8.2).
        if (peer.length !== nist.pointLength || peer[0] !== 4)
          throw new QuicTlsAlert(Alert.illegalParameter, `${nist.label} key share is not an uncompressed point`);
        try {
          return ecdh.computeSecret(peer);
        } catch {
          throw new QuicTlsAlert(Alert.illegalParameter, `${nist.label} key share is not on the curve`);
        }
      },
    };
  }
  if (group === NamedGroup.x25519) {
    const { privateKey, publicKey } = x25519KeyPair();
    return {
      group,
      publicKey,
      sharedSecret(peer) {
        if (peer.length !== 32) throw new QuicTlsAlert(Alert.illegalParameter, 'X25519 key share is not 32 bytes');
        let secret: Buffer;
        try {
          const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') }, format: 'jwk' });
          secret = diffieHellman({ privateKey, publicKey: key });
        } catch {
          throw new QuicTlsAlert(Alert.illegalParameter, 'X25519 key share rejected');
        }
        // A low-order point gives the all-zero secret (RFC 7748 §6.1).
        if (secret.every((b) => b === 0)) throw new QuicTlsAlert(Alert.illegalParameter, 'X25519 key share is a low-order point');
        return secret;
      },
    };
  }
  throw new RangeError(`no key exchange for group 0x${group.toString(16)}`);
}

/**
 * The server's side of a key exchange: its key_share for the client's `peer`
 * share of `group`, and the shared secret. For the DH groups that is a fresh
 * key pair; for X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) the client's share
 * is an ML-KEM-768 encapsulation key followed by an X25519 public key, ours the
 * ML-KEM ciphertext followed by our X25519 public key, and the secret the ML-KEM
 * shared secret followed by the X25519 one. A malformed share is illegal_parameter.
 */
export function answerKeyShare(group: number, peer: Buffer): { publicKey: Buffer; secret: Buffer } {
  if (group !== NamedGroup.x25519MlKem768) {
    const share = generateKeyShare(group);
    return { secret: share.sharedSecret(peer), publicKey: share.publicKey };
  }
  if (!kem) throw new RangeError('no ML-KEM in this Node');
  if (peer.length !== MLKEM768_EK_BYTES + 32) throw new QuicTlsAlert(Alert.illegalParameter, 'X25519MLKEM768 key share has the wrong length');
  let encapsulated: { sharedKey: Buffer; ciphertext: Buffer };
  try {
    // Importing checks the encapsulation key (FIPS 203 §7.2's modulus check) where OpenSSL does.
    const ek = createPublicKey({
      key: { kty: 'AKP', alg: 'ML-KEM-768', pub: peer.subarray(0, MLKEM768_EK_BYTES).toString('base64url') } as nodeCrypto.JsonWebKey,
      format: 'jwk',
    });
    encapsulated = kem.encapsulate(ek);
  } catch {
    throw new QuicTlsAlert(Alert.illegalParameter, 'X25519MLKEM768 key share has an invalid ML-KEM-768 encapsulation key');
  }
  const classical = generateKeyShare(NamedGroup.x25519);
  const x25519Secret = classical.sharedSecret(peer.subarray(MLKEM768_EK_BYTES));
  if (encapsulated.ciphertext.length !== MLKEM768_CT_BYTES) throw new RangeError('unexpected ML-KEM-768 ciphertext length');
  return {
    publicKey: Buffer.concat([encapsulated.ciphertext, classical.publicKey]),
    secret: Buffer.concat([encapsulated.sharedKey, x25519Secret]),
  };
}
