/** ServersTransport → `http.serversTransports.<ns>-<name>`: how Portico talks to backends (TLS, timeouts, HTTP/2). */
import type { ServersTransport } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  optBoolean,
  optInteger,
  optString,
  pemFromSecret,
  reqString,
  type ConversionContext,
} from './conversion-context.js';

/** Where a CA Secret may keep its PEM (Traefik reads tls.ca and ca.crt). */
export const CA_KEYS = ['tls.ca', 'ca.crt', 'tls.crt'];

export function convertServersTransport(o: KubeObject, ctx: ConversionContext): ServersTransport {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(
    spec,
    [
      'serverName',
      'insecureSkipVerify',
      'rootCAsSecrets',
      'rootCAs',
      'certificatesSecrets',
      'maxIdleConnsPerHost',
      'forwardingTimeouts',
      'disableHTTP2',
      'peerCertURI',
      'spiffe',
    ],
    'spec',
  );
  for (const k of ['peerCertURI', 'spiffe']) if (spec[k] !== undefined) throw new Problem(`spec.${k}`, `"${k}" is not supported by Portico; remove it`);
  const out: ServersTransport = {};
  const serverName = optString(spec.serverName, 'spec.serverName');
  if (serverName !== undefined) out.serverName = serverName;
  const insecure = optBoolean(spec.insecureSkipVerify, 'spec.insecureSkipVerify');
  if (insecure !== undefined) out.insecureSkipVerify = insecure;
  const rootCAs = [
    ...asArray(spec.rootCAsSecrets, 'spec.rootCAsSecrets').map((n, i) =>
      pemFromSecret(ctx.ns, reqString(n, `spec.rootCAsSecrets[${i}]`), CA_KEYS, ctx, `spec.rootCAsSecrets[${i}]`),
    ),
    ...asArray(spec.rootCAs, 'spec.rootCAs').map((r, i) => {
      const at = `spec.rootCAs[${i}]`;
      const ref = asObject(r, at);
      checkKeys(ref, ['secret', 'configMap'], at);
      if (ref.configMap !== undefined)
        throw new Problem(`${at}.configMap`, 'CAs from ConfigMaps are not read (Portico watches no ConfigMaps); put the CA in a Secret');
      return pemFromSecret(ctx.ns, reqString(ref.secret, `${at}.secret`), CA_KEYS, ctx, `${at}.secret`);
    }),
  ];
  if (rootCAs.length) out.rootCAs = rootCAs;
  const certificates = asArray(spec.certificatesSecrets, 'spec.certificatesSecrets').map((n, i) =>
    certificateFromSecret(ctx.ns, reqString(n, `spec.certificatesSecrets[${i}]`), ctx, `spec.certificatesSecrets[${i}]`),
  );
  if (certificates.length) out.certificates = certificates;
  const maxIdle = optInteger(spec.maxIdleConnsPerHost, 'spec.maxIdleConnsPerHost', 0);
  if (maxIdle !== undefined) out.maxIdleConnsPerHost = maxIdle;
  if (spec.forwardingTimeouts !== undefined) {
    const ft = asObject(spec.forwardingTimeouts, 'spec.forwardingTimeouts');
    checkKeys(ft, ['dialTimeout', 'responseHeaderTimeout', 'idleConnTimeout', 'readIdleTimeout', 'pingTimeout'], 'spec.forwardingTimeouts');
    const timeouts: NonNullable<ServersTransport['forwardingTimeouts']> = {};
    for (const k of ['dialTimeout', 'responseHeaderTimeout', 'idleConnTimeout'] as const) {
      const v = ft[k];
      // Traefik's CRD lets a timeout be a number of seconds.
      if (v !== undefined) timeouts[k] = typeof v === 'number' ? `${v}s` : optString(v, `spec.forwardingTimeouts.${k}`)!;
    }
    out.forwardingTimeouts = timeouts;
  }
  const disableHTTP2 = optBoolean(spec.disableHTTP2, 'spec.disableHTTP2');
  // Traefik negotiates HTTP/2 with https backends unless disableHTTP2.
  if (disableHTTP2 !== undefined) out.http2 = !disableHTTP2;
  return out;
}
