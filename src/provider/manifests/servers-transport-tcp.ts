/** ServersTransportTCP → `tcp.serversTransports.<ns>-<name>`: how Portico dials TCP servers (timeouts, keep-alive, TLS). */
import type { TcpServersTransport } from '../../dynamic/tcp-model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  optBoolean,
  optString,
  pemFromSecret,
  reqString,
  type ConversionContext,
} from './conversion-context.js';
import { CA_KEYS } from './servers-transport.js';

export function convertServersTransportTcp(o: KubeObject, ctx: ConversionContext): TcpServersTransport {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['dialTimeout', 'dialKeepAlive', 'terminationDelay', 'tls'], 'spec');
  const out: TcpServersTransport = {};
  for (const k of ['dialTimeout', 'dialKeepAlive', 'terminationDelay'] as const) {
    const v = spec[k];
    if (v === undefined) continue;
    // Int-or-string as in Traefik's CRD: a number is seconds; dialKeepAlive and terminationDelay may be negative (off).
    if (typeof v === 'number' && Number.isFinite(v) && (v >= 0 || k !== 'dialTimeout')) out[k] = v;
    else if (typeof v === 'string' && /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h)?)+$/.test(v.trim()) && (k !== 'dialTimeout' || !v.trim().startsWith('-'))) out[k] = v;
    else throw new Problem(`spec.${k}`, `must be a duration (seconds, or e.g. 30s, 1m30s), got ${JSON.stringify(v)}`);
  }
  if (spec.tls === undefined) return out;
  const t = asObject(spec.tls ?? {}, 'spec.tls');
  checkKeys(t, ['serverName', 'insecureSkipVerify', 'rootCAsSecrets', 'certificatesSecrets', 'peerCertURI', 'spiffe'], 'spec.tls');
  if (t.spiffe !== undefined) throw new Problem('spec.tls.spiffe', 'SPIFFE is not supported by Portico; remove it (peerCertURI checks a URI SAN)');
  const tls: NonNullable<TcpServersTransport['tls']> = {};
  const serverName = optString(t.serverName, 'spec.tls.serverName');
  if (serverName) tls.serverName = serverName;
  const insecure = optBoolean(t.insecureSkipVerify, 'spec.tls.insecureSkipVerify');
  if (insecure !== undefined) tls.insecureSkipVerify = insecure;
  const rootCAs = asArray(t.rootCAsSecrets, 'spec.tls.rootCAsSecrets').map((n, i) =>
    pemFromSecret(ctx.ns, reqString(n, `spec.tls.rootCAsSecrets[${i}]`), CA_KEYS, ctx, `spec.tls.rootCAsSecrets[${i}]`),
  );
  if (rootCAs.length) tls.rootCAs = rootCAs;
  const certificates = asArray(t.certificatesSecrets, 'spec.tls.certificatesSecrets').map((n, i) =>
    certificateFromSecret(ctx.ns, reqString(n, `spec.tls.certificatesSecrets[${i}]`), ctx, `spec.tls.certificatesSecrets[${i}]`),
  );
  if (certificates.length) tls.certificates = certificates;
  const peerCertURI = optString(t.peerCertURI, 'spec.tls.peerCertURI');
  if (peerCertURI) tls.peerCertURI = peerCertURI;
  out.tls = tls;
  return out;
}
