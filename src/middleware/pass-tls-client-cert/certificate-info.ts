/**
 * The `X-Forwarded-Tls-Client-Cert-Info` value in Traefik's format, before URL
 * escaping: `Subject="…";Issuer="…";SerialNumber="…";NB="…";NA="…";SAN="…"`,
 * each field only when selected and not empty, a distinguished name as
 * `DC=…,C=…,ST=…,L=…,O=…,OU=…,SN=…,CN=…` in that order whatever the
 * certificate's own order.
 */
import type { X509Certificate } from 'node:crypto';

export interface DistinguishedNameSelection {
  country?: boolean;
  province?: boolean;
  locality?: boolean;
  organization?: boolean;
  organizationalUnit?: boolean;
  commonName?: boolean;
  serialNumber?: boolean;
  domainComponent?: boolean;
}

export interface CertificateInfoSelection {
  notAfter?: boolean;
  notBefore?: boolean;
  sans?: boolean;
  serialNumber?: boolean;
  subject?: DistinguishedNameSelection;
  issuer?: DistinguishedNameSelection;
}

/** Attribute short names as OpenSSL prints them, in Traefik's output order, with the option that selects each. */
const DN_PARTS: Array<[openssl: string, label: string, option: keyof DistinguishedNameSelection, single: boolean]> = [
  ['DC', 'DC', 'domainComponent', false],
  ['C', 'C', 'country', false],
  ['ST', 'ST', 'province', false],
  ['L', 'L', 'locality', false],
  ['O', 'O', 'organization', false],
  ['OU', 'OU', 'organizationalUnit', false],
  ['serialNumber', 'SN', 'serialNumber', true],
  ['CN', 'CN', 'commonName', true],
];

/** `C=FR\nO=Cheese\nCN=x` (Node's rendering) into attribute → values, in certificate order. */
function parseDn(dn: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const values = out.get(key) ?? [];
    values.push(line.slice(eq + 1));
    out.set(key, values);
  }
  return out;
}

function distinguishedName(dn: string, selection: DistinguishedNameSelection | undefined): string {
  if (!selection) return '';
  const attributes = parseDn(dn);
  const parts: string[] = [];
  for (const [key, label, option, single] of DN_PARTS) {
    if (!selection[option]) continue;
    const values = (attributes.get(key) ?? []).filter((v) => v.length > 0);
    // Go keeps one value of the single-valued attributes: the last one parsed.
    for (const v of single ? values.slice(-1) : values) parts.push(`${label}=${v}`);
  }
  return parts.join(',');
}

/** DNS names, then e-mail addresses, then IPs, then URIs, as Go lists them. */
function subjectAltNames(cert: X509Certificate): string[] {
  const byKind: Record<string, string[]> = { DNS: [], email: [], 'IP Address': [], URI: [] };
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const colon = entry.indexOf(':');
    if (colon > 0) byKind[entry.slice(0, colon)]?.push(entry.slice(colon + 1));
  }
  return [...byKind.DNS!, ...byKind.email!, ...byKind['IP Address']!, ...byKind.URI!];
}

const unixSeconds = (date: string) => Math.floor(Date.parse(date) / 1000);

export function certificateInfo(cert: X509Certificate, selection: CertificateInfoSelection): string {
  const fields: string[] = [];
  const subject = distinguishedName(cert.subject, selection.subject);
  if (subject) fields.push(`Subject="${subject}"`);
  const issuer = distinguishedName(cert.issuer, { ...selection.issuer, organizationalUnit: false });
  if (selection.issuer && issuer) fields.push(`Issuer="${issuer}"`);
  if (selection.serialNumber) fields.push(`SerialNumber="${BigInt('0x' + cert.serialNumber).toString()}"`);
  if (selection.notBefore) fields.push(`NB="${unixSeconds(cert.validFrom)}"`);
  if (selection.notAfter) fields.push(`NA="${unixSeconds(cert.validTo)}"`);
  if (selection.sans) {
    const sans = subjectAltNames(cert);
    if (sans.length) fields.push(`SAN="${sans.join(',')}"`);
  }
  return fields.join(';');
}

/** Go's url.QueryEscape: everything but letters, digits and `-_.~` escaped, space as `+`. */
export function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}
