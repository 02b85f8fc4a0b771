/**
 * `/api/certificates`, Portico's own endpoint (Traefik's API has none): the
 * certificates the TLS store of the running configuration serves, the default
 * one included, with what an operator checks — names, issuer, validity and
 * how long is left, where each came from. Never the key.
 *
 * `status` is `valid`, `expiring` (less than 30 days left, or less than a third
 * of its lifetime for short-lived certificates, whichever is nearer: when an
 * ACME client renews) or `expired` (also: not valid yet), so the API's
 * `status` filter finds the ones to act on.
 */
import { X509Certificate } from 'node:crypto';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import type { StoredCertificate } from '../tls/sni-certificate-store.js';
import { matchesQuery, type ListQuery } from './api-list-query.js';

export type CertificateStatus = 'valid' | 'expiring' | 'expired';

export interface CertificateObject {
  /** The first name it covers (its CN when it has no subjectAltName): what lists sort and link by. */
  name: string;
  /** Every DNS name and IP address it covers. */
  sans: string[];
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  status: CertificateStatus;
  /** The file (or `namespace/Kind/name`, or `generated default certificate`) it came from. */
  source: string;
  /** Answers handshakes whose SNI matches no other certificate. */
  default: boolean;
  keyType: string;
  fingerprintSha256: string;
}

const DAY_MS = 86_400_000;
const EXPIRING_MS = 30 * DAY_MS;

/** What parsing adds, once per stored certificate (a configuration keeps its objects until the next version). */
const parsed = new WeakMap<StoredCertificate, { subject: string; issuer: string; notBefore: Date }>();

function details(c: StoredCertificate) {
  let d = parsed.get(c);
  if (!d) {
    const x = new X509Certificate(c.certPem);
    // Node prints distinguished names one attribute per line.
    d = { subject: x.subject.split('\n').join(', '), issuer: x.issuer.split('\n').join(', '), notBefore: new Date(x.validFrom) };
    parsed.set(c, d);
  }
  return d;
}

export function certificateStatus(notBefore: Date, notAfter: Date, now: number): CertificateStatus {
  if (now >= notAfter.getTime() || now < notBefore.getTime()) return 'expired';
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return notAfter.getTime() - now < Math.min(EXPIRING_MS, lifetime / 3) ? 'expiring' : 'valid';
}

function certificateObject(c: StoredCertificate, isDefault: boolean, now: number): CertificateObject {
  const { subject, issuer, notBefore } = details(c);
  return {
    name: c.names[0] ?? c.fingerprintSha256,
    sans: c.names,
    subject,
    issuer,
    notBefore: notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    status: certificateStatus(notBefore, c.notAfter, now),
    source: c.origin,
    default: isDefault,
    keyType: c.keyType,
    fingerprintSha256: c.fingerprintSha256,
  };
}

/** The served certificates that pass `search` (any name, the issuer or the source) and `status`. */
export function certificateObjects(rt: RuntimeConfig, q: ListQuery, now = Date.now()): CertificateObject[] {
  const store = rt.tls.store;
  const all = [store.defaultCertificate, ...store.list().filter((c) => c !== store.defaultCertificate)];
  return all.map((c) => certificateObject(c, c === store.defaultCertificate, now)).filter((o) => matchesQuery(q, o, [...o.sans, o.name, o.issuer, o.source]));
}

/** Sort keys for `sortBy`; the list sorts by `notAfter` (soonest first) unless asked otherwise. */
export const CERTIFICATE_SORT_KEYS: Record<string, (c: CertificateObject) => string | number> = {
  notAfter: (c) => c.notAfter,
  notBefore: (c) => c.notBefore,
  issuer: (c) => c.issuer,
  source: (c) => c.source,
  status: (c) => c.status,
};
