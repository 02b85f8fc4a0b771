/**
 * ACME Renewal Information (ARI, RFC 9773): a CA that offers `renewalInfo` in
 * its directory says when each certificate should be renewed (earlier than
 * planned when it must revoke, for instance). The certificate is named by its
 * ARI identifier: base64url(Authority Key Identifier) "." base64url(serial).
 * A CA without ARI leaves the two-thirds rule in charge.
 */
import { X509Certificate } from 'node:crypto';
import { axios } from 'acme-client';
import { timeInWindow } from './renewal-schedule.js';

/** The DER encoding of OID 2.5.29.35 (authorityKeyIdentifier). */
const AKI_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x23]);

/** A DER length at `at`: [value, bytes used], or undefined when malformed. */
function derLength(der: Buffer, at: number): [number, number] | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  if (n === 0 || n > 3 || at + n >= der.length) return undefined;
  let len = 0;
  for (let i = 1; i <= n; i++) len = (len << 8) | der[at + i]!;
  return [len, 1 + n];
}

/** The keyIdentifier of the certificate's Authority Key Identifier extension. */
export function authorityKeyIdentifier(certPem: string): Buffer | undefined {
  const der = new X509Certificate(certPem).raw;
  let at = der.indexOf(AKI_OID);
  if (at < 0) return undefined;
  at += AKI_OID.length;
  if (der[at] === 0x01) at += 3; // critical BOOLEAN
  // extnValue OCTET STRING { SEQUENCE { [0] keyIdentifier … } }
  for (const tag of [0x04, 0x30]) {
    if (der[at] !== tag) return undefined;
    const l = derLength(der, at + 1);
    if (!l) return undefined;
    at += 1 + l[1];
  }
  if (der[at] !== 0x80) return undefined;
  const l = derLength(der, at + 1);
  if (!l || at + 1 + l[1] + l[0] > der.length) return undefined;
  return der.subarray(at + 1 + l[1], at + 1 + l[1] + l[0]);
}

/** RFC 9773 §4.1's CertID, or undefined when the certificate has no Authority Key Identifier. */
export function ariCertificateId(certPem: string): string | undefined {
  const aki = authorityKeyIdentifier(certPem);
  if (!aki) return undefined;
  const hex = new X509Certificate(certPem).serialNumber;
  let serial = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
  // The serial is a DER INTEGER's content: minimal, with a leading 0x00 when the high bit is set (a positive number).
  while (serial.length > 1 && serial[0] === 0 && serial[1]! < 0x80) serial = serial.subarray(1);
  if (serial[0]! >= 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${aki.toString('base64url')}.${serial.toString('base64url')}`;
}

const renewalInfoUrls = new Map<string, string | null>();

/** A time inside the CA's suggested window, or undefined when the CA offers no ARI. */
export async function fetchRenewalWindow(directoryUrl: string, certPem: string): Promise<Date | undefined> {
  let base = renewalInfoUrls.get(directoryUrl);
  if (base === undefined) {
    const dir = await axios.get<{ renewalInfo?: unknown }>(directoryUrl, { timeout: 10_000 });
    base = typeof dir.data?.renewalInfo === 'string' ? dir.data.renewalInfo : null;
    renewalInfoUrls.set(directoryUrl, base);
  }
  const id = ariCertificateId(certPem);
  if (!base || !id) return undefined;
  const res = await axios.get<{ suggestedWindow?: { start?: string; end?: string } }>(`${base.replace(/\/$/, '')}/${id}`, { timeout: 10_000 });
  if (res.status !== 200) throw new Error(`renewalInfo answered ${res.status}`);
  const start = new Date(res.data?.suggestedWindow?.start ?? '');
  const end = new Date(res.data?.suggestedWindow?.end ?? '');
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) throw new Error('renewalInfo holds no valid suggestedWindow');
  return timeInWindow(start, end);
}
