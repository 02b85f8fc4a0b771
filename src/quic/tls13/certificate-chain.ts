/**
 * Verifying a peer's certificate chain against configured CAs with
 * node:crypto X509Certificate: each certificate must be issued and signed by
 * the next one (or a trusted CA), within its validity when the clock is
 * known, and the leaf must carry the expected name.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { Alert } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';

/** Chains longer than this are refused (a peer cannot make us walk without end). */
const MAX_CHAIN = 10;

export function parseCertificates(ders: Buffer[]): X509Certificate[] {
  return ders.map((der) => {
    try {
      const cert = new X509Certificate(der);
      void cert.publicKey; // decoded lazily: a broken key would throw later, outside this try
      return cert;
    } catch {
      throw new QuicTlsAlert(Alert.badCertificate, 'certificate does not parse');
    }
  });
}

const bundles = new WeakMap<readonly string[], X509Certificate[]>();

/**
 * Parses PEM bundles (several certificates each allowed); the result is kept
 * per array, so a configuration's CA list is parsed once, not per handshake
 * (~200 µs per certificate here).
 */
export function parseCaBundle(pems: readonly string[]): X509Certificate[] {
  const cached = bundles.get(pems);
  if (cached) return cached;
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    for (const b of blocks) out.push(new X509Certificate(b));
  }
  bundles.set(pems, out);
  return out;
}

function within(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
}

/**
 * Throws unknown_ca when no path leads to a trusted CA, certificate_expired
 * outside a validity period (only when `nowMs` is given), bad_certificate
 * when the leaf does not match `hostName`.
 */
export function verifyCertificateChain(chain: X509Certificate[], cas: X509Certificate[], options: { nowMs?: number; hostName?: string }): void {
  if (!chain.length) throw new QuicTlsAlert(Alert.badCertificate, 'empty certificate chain');
  if (chain.length > MAX_CHAIN) throw new QuicTlsAlert(Alert.badCertificate, `certificate chain longer than ${MAX_CHAIN}`);
  const { nowMs, hostName } = options;
  let current = chain[0]!;
  const used = new Set<X509Certificate>([current]);
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (nowMs !== undefined && !within(current, nowMs))
      throw new QuicTlsAlert(Alert.certificateExpired, `certificate ${current.subject} is outside its validity period`);
    const ca = cas.find((c) => current.checkIssued(c) && current.verify(c.publicKey));
    if (ca) {
      if (nowMs !== undefined && !within(ca, nowMs)) throw new QuicTlsAlert(Alert.certificateExpired, `CA ${ca.subject} is outside its validity period`);
      break;
    }
    // A trusted certificate presented as-is (self-signed leaf pinned as CA).
    if (cas.some((c) => c.raw.equals(current.raw))) break;
    const issuer = chain.find((c) => !used.has(c) && current.checkIssued(c) && c.ca && current.verify(c.publicKey));
    if (!issuer) throw new QuicTlsAlert(Alert.unknownCa, `no trusted issuer for ${current.subject}`);
    used.add(issuer);
    current = issuer;
  }
  if (hostName !== undefined) {
    const leaf = chain[0]!;
    const ok = isIP(hostName) ? leaf.checkIP(hostName) !== undefined : leaf.checkHost(hostName) !== undefined;
    if (!ok) throw new QuicTlsAlert(Alert.badCertificate, `certificate does not match ${hostName}`);
  }
}
