/**
 * `passTLSClientCert`: hand the client certificate of a mutual-TLS connection
 * to the backend, as Traefik does: `pem` puts it in `X-Forwarded-Tls-Client-Cert`
 * (base64 DER, the PEM without its armour and line breaks), `info` puts the
 * selected fields in `X-Forwarded-Tls-Client-Cert-Info` (URL-escaped). Without
 * a client certificate both headers are removed, so a client cannot supply them.
 *
 * The entrypoint keeps the verified leaf certificate only; Traefik sends every
 * certificate the client presented, separated by commas.
 */
import { X509Certificate } from 'node:crypto';
import type { MiddlewareType } from '../middleware-type.js';
import { certificateInfo, queryEscape, type CertificateInfoSelection } from './certificate-info.js';

interface Options {
  pem?: boolean;
  info?: CertificateInfoSelection;
}

const flags = (names: string[]) => ({
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(names.map((n) => [n, { type: 'boolean' }])),
});

const CERT_HEADER = 'x-forwarded-tls-client-cert';
const INFO_HEADER = 'x-forwarded-tls-client-cert-info';

export const passTLSClientCert: MiddlewareType<Options> = {
  type: 'passTLSClientCert',
  optionsSchema: {
    properties: {
      pem: { type: 'boolean' },
      info: {
        type: 'object',
        additionalProperties: false,
        properties: {
          notAfter: { type: 'boolean' },
          notBefore: { type: 'boolean' },
          sans: { type: 'boolean' },
          serialNumber: { type: 'boolean' },
          subject: flags(['country', 'province', 'locality', 'organization', 'organizationalUnit', 'commonName', 'serialNumber', 'domainComponent']),
          issuer: flags(['country', 'province', 'locality', 'organization', 'commonName', 'serialNumber', 'domainComponent']),
        },
      },
    },
  },
  build: (o) => {
    // Parsing a certificate costs more than the rest of the request's middlewares: keep the last few.
    const parsed = new Map<string, { pem: string; info: string }>();
    const describe = (der: Buffer) => {
      const key = der.toString('base64');
      let entry = parsed.get(key);
      if (!entry) {
        const info = o.info ? queryEscape(certificateInfo(new X509Certificate(der), o.info)) : '';
        entry = { pem: key, info };
        if (parsed.size >= 256) parsed.clear();
        parsed.set(key, entry);
      }
      return entry;
    };
    return (next) => (ex) => {
      ex.requestHeaders[CERT_HEADER] = undefined;
      ex.requestHeaders[INFO_HEADER] = undefined;
      const der = ex.tls?.peerCertificate;
      if (der?.length) {
        const d = describe(der);
        if (o.pem) ex.requestHeaders[CERT_HEADER] = d.pem;
        if (o.info) ex.requestHeaders[INFO_HEADER] = d.info;
      }
      return next(ex);
    };
  },
};
