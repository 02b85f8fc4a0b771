/**
 * The listener's certificates in the form our TLS engine takes (DER chain,
 * KeyObject), converted from the TLS store's PEM once per certificate
 * fingerprint — the same store TCP uses, so a renewed certificate (new
 * fingerprint) is picked up by the next handshake.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { QuicCertificate } from '../transport.js';
import type { QuicTlsServerCertificate } from '../tls13/quic-tls.js';

/** Certificates kept at once; beyond it the oldest is converted again when next used. */
const MAX_CACHED = 256;

export class CertificateCache {
  private readonly byFingerprint = new Map<string, QuicTlsServerCertificate>();

  /** Throws when the PEM does not parse (the caller refuses the handshake and logs). */
  get(cert: QuicCertificate): QuicTlsServerCertificate {
    let entry = this.byFingerprint.get(cert.fingerprint);
    if (entry) return entry;
    entry = { chain: splitPemChain(cert.certPem).map((pem) => new X509Certificate(pem).raw), key: createPrivateKey(cert.keyPem) };
    if (!entry.chain.length) throw new Error('no certificate in the PEM');
    if (this.byFingerprint.size >= MAX_CACHED) this.byFingerprint.delete(this.byFingerprint.keys().next().value!);
    this.byFingerprint.set(cert.fingerprint, entry);
    return entry;
  }
}

function splitPemChain(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
