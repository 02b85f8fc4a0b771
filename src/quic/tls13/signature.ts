/**
 * CertificateVerify signatures (RFC 8446 §4.4.3): which scheme a key signs
 * with, and signing/verifying the "TLS 1.3, server/client CertificateVerify"
 * content over the transcript hash.
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { Alert, SignatureScheme } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';

/** What we offer and accept, strongest habits first. */
export const SUPPORTED_SIGNATURE_SCHEMES = [
  SignatureScheme.ecdsaSecp256r1Sha256,
  SignatureScheme.rsaPssRsaeSha256,
  SignatureScheme.ed25519,
  SignatureScheme.ecdsaSecp384r1Sha384,
  SignatureScheme.rsaPssRsaeSha384,
  SignatureScheme.rsaPssRsaeSha512,
];

interface SchemeParams {
  keyType: string;
  curve?: string;
  hash: string | null;
  pss: boolean;
}

const SCHEMES = new Map<number, SchemeParams>([
  [SignatureScheme.ecdsaSecp256r1Sha256, { keyType: 'ec', curve: 'prime256v1', hash: 'sha256', pss: false }],
  [SignatureScheme.ecdsaSecp384r1Sha384, { keyType: 'ec', curve: 'secp384r1', hash: 'sha384', pss: false }],
  [SignatureScheme.rsaPssRsaeSha256, { keyType: 'rsa', hash: 'sha256', pss: true }],
  [SignatureScheme.rsaPssRsaeSha384, { keyType: 'rsa', hash: 'sha384', pss: true }],
  [SignatureScheme.rsaPssRsaeSha512, { keyType: 'rsa', hash: 'sha512', pss: true }],
  [SignatureScheme.ed25519, { keyType: 'ed25519', hash: null, pss: false }],
]);

function fits(key: KeyObject, p: SchemeParams): boolean {
  if (key.asymmetricKeyType !== p.keyType) return false;
  return p.curve === undefined || key.asymmetricKeyDetails?.namedCurve === p.curve;
}

/** The first scheme of the peer's list that our key can sign with, or undefined. */
export function chooseSignatureScheme(key: KeyObject, peerSchemes: readonly number[]): number | undefined {
  for (const s of peerSchemes) {
    const p = SCHEMES.get(s);
    if (p && fits(key, p)) return s;
  }
  return undefined;
}

/** Whether `key` (a private or public key) can be used with some scheme at all. */
export function isSigningKeySupported(key: KeyObject): boolean {
  return [...SCHEMES.values()].some((p) => fits(key, p));
}

const PAD = Buffer.alloc(64, 0x20);
const SERVER_CONTEXT = Buffer.from('TLS 1.3, server CertificateVerify\0', 'latin1');
const CLIENT_CONTEXT = Buffer.from('TLS 1.3, client CertificateVerify\0', 'latin1');

function content(side: 'server' | 'client', transcriptHash: Buffer): Buffer {
  return Buffer.concat([PAD, side === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT, transcriptHash]);
}

export function signCertificateVerify(side: 'server' | 'client', scheme: number, key: KeyObject, transcriptHash: Buffer): Buffer {
  const p = SCHEMES.get(scheme)!;
  const data = content(side, transcriptHash);
  if (p.pss) return sign(p.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  return sign(p.hash, data, key);
}

/**
 * Verifies the peer's CertificateVerify with its leaf public key. A scheme we
 * did not offer or that does not fit the key is illegal_parameter; a bad
 * signature is decrypt_error (RFC 8446 §4.4.3).
 */
export function verifyCertificateVerify(side: 'server' | 'client', scheme: number, key: KeyObject, transcriptHash: Buffer, signature: Buffer): void {
  const p = SCHEMES.get(scheme);
  if (!p || !SUPPORTED_SIGNATURE_SCHEMES.includes(scheme as never))
    throw new QuicTlsAlert(Alert.illegalParameter, `signature scheme 0x${scheme.toString(16)} was not offered`);
  if (!fits(key, p)) throw new QuicTlsAlert(Alert.illegalParameter, `signature scheme 0x${scheme.toString(16)} does not fit the certificate key`);
  const data = content(side, transcriptHash);
  let ok: boolean;
  try {
    ok = p.pss
      ? verify(p.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature)
      : verify(p.hash, data, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new QuicTlsAlert(Alert.decryptError, `${side} CertificateVerify signature does not verify`);
}
