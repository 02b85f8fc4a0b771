/**
 * Certificates indexed by the names they cover, for SNI selection on TCP and
 * QUIC alike: exact names first, then a wildcard for the first label, then
 * the default certificate (TLSStore `default.defaultCertificate`, or the
 * generated one). Built once per configuration version; immutable.
 */
import { X509Certificate, createHash } from 'node:crypto';

export interface StoredCertificate {
  certPem: string;
  keyPem: string;
  /** DNS names and IP addresses the certificate covers (lower-case). */
  names: string[];
  /** Where it came from, for logs and errors. */
  origin: string;
  fingerprintSha256: string;
  notAfter: Date;
}

export function describeCertificate(certPem: string, keyPem: string, origin: string): StoredCertificate {
  const cert = new X509Certificate(certPem);
  const names = new Set<string>();
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (m) names.add(m[2]!.toLowerCase());
  }
  if (names.size === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
    if (cn) names.add(cn[1]!.toLowerCase());
  }
  if (!cert.checkPrivateKey(createPrivateKeyLoose(keyPem)))
    throw new Error(`${origin}: the private key does not match the certificate`);
  return { certPem, keyPem, names: [...names], origin, fingerprintSha256: cert.fingerprint256, notAfter: new Date(cert.validTo) };
}

import { createPrivateKey, type KeyObject } from 'node:crypto';
function createPrivateKeyLoose(pem: string): KeyObject {
  return createPrivateKey(pem);
}

export class SniCertificateStore {
  private readonly exact = new Map<string, StoredCertificate>();
  private readonly wildcard = new Map<string, StoredCertificate>();

  constructor(
    certificates: StoredCertificate[],
    /** Answers unmatched SNI (and clients that send none). */
    readonly defaultCertificate: StoredCertificate,
  ) {
    // Later certificates never replace earlier ones for the same name: first configured wins, deterministically.
    for (const c of certificates) {
      for (const name of c.names) {
        if (name.startsWith('*.')) {
          if (!this.wildcard.has(name.slice(2))) this.wildcard.set(name.slice(2), c);
        } else if (!this.exact.has(name)) this.exact.set(name, c);
      }
    }
  }

  /** The certificate for `serverName`, or undefined when only the default would answer. */
  match(serverName: string | undefined): StoredCertificate | undefined {
    if (!serverName) return undefined;
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    return dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined;
  }

  select(serverName: string | undefined): StoredCertificate {
    return this.match(serverName) ?? this.defaultCertificate;
  }

  get size(): number {
    return new Set([...this.exact.values(), ...this.wildcard.values()]).size;
  }
}

export function spkiSha256Base64(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
