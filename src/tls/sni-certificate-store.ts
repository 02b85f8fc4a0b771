/**
 * Certificates indexed by the names they cover, for SNI selection on TCP and
 * QUIC alike: exact names first, then a wildcard for the first label, then
 * the default certificate (TLSStore `default.defaultCertificate`, or the
 * generated one). Built once per configuration version; immutable.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';

export interface StoredCertificate {
  certPem: string;
  keyPem: string;
  /** DNS names and IP addresses the certificate covers (lower-case). */
  names: string[];
  /** Where it came from, for logs and errors. */
  origin: string;
  fingerprintSha256: string;
  notAfter: Date;
  /** `rsa`, `ec`, `ed25519`, …: a name may have one certificate of each type, and the client's signature algorithms choose. */
  keyType: string;
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
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error(`${origin}: the private key does not match the certificate`);
  const keyType = cert.publicKey.asymmetricKeyType ?? 'unknown';
  return { certPem, keyPem, names: [...names], origin, fingerprintSha256: cert.fingerprint256, notAfter: new Date(cert.validTo), keyType };
}

/** Certificates for one name: the first configured of each key type, in configuration order. */
type NameCertificates = StoredCertificate[];

function addTo(map: Map<string, NameCertificates>, name: string, c: StoredCertificate): void {
  const list = map.get(name);
  if (!list) map.set(name, [c]);
  else if (!list.some((x) => x.keyType === c.keyType)) list.push(c);
}

export class SniCertificateStore {
  private readonly exact = new Map<string, NameCertificates>();
  private readonly wildcard = new Map<string, NameCertificates>();

  constructor(
    /** Every configured certificate (the TLS metrics list them with their expiry). */
    readonly certificates: readonly StoredCertificate[],
    /** Answers unmatched SNI (and clients that send none). */
    readonly defaultCertificate: StoredCertificate,
  ) {
    // Later certificates never replace earlier ones of the same key type for a name: first configured wins, deterministically.
    for (const c of certificates) {
      for (const name of c.names) {
        if (name.startsWith('*.')) addTo(this.wildcard, name.slice(2), c);
        else addTo(this.exact, name, c);
      }
    }
  }

  /** Every certificate for `serverName` (one per key type, the first configured first), or undefined when only the default would answer. */
  matchAll(serverName: string | undefined): readonly StoredCertificate[] | undefined {
    if (!serverName) return undefined;
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    return dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined;
  }

  /** The first configured certificate for `serverName`, or undefined when only the default would answer. */
  match(serverName: string | undefined): StoredCertificate | undefined {
    return this.matchAll(serverName)?.[0];
  }

  select(serverName: string | undefined): StoredCertificate {
    return this.match(serverName) ?? this.defaultCertificate;
  }

  /** Every certificate once (the default aside): what `/api/certificates` lists. */
  list(): StoredCertificate[] {
    return [...new Set([...this.exact.values(), ...this.wildcard.values()].flat())];
  }

  get size(): number {
    return this.list().length;
  }
}

export function spkiSha256Base64(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
