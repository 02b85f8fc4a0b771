/**
 * TLSOption → `tls.options` (`<ns>-<name>`, or `default` for the one named
 * default), TLSStore → the `default` store (the only one there is), with
 * certificates and CAs read from Secrets.
 */
import type { CertificateRef, TlsOptions, TlsStore } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import { isInlinePem } from '../../tls/pem-source.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  objectReference,
  optBoolean,
  optString,
  pemFromSecret,
  reqString,
  stringList,
  type ConversionContext,
} from './conversion-context.js';

const TLS_VERSIONS = ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'];
const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

export function convertTlsOption(o: KubeObject, ctx: ConversionContext): TlsOptions {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(
    spec,
    [
      'minVersion',
      'maxVersion',
      'cipherSuites',
      'curvePreferences',
      'alpnProtocols',
      'sniStrict',
      'clientAuth',
      'preferServerCipherSuites',
      'disableSessionTickets',
    ],
    'spec',
  );
  const out: TlsOptions = {};
  for (const field of ['minVersion', 'maxVersion'] as const) {
    const v = optString(spec[field], `spec.${field}`);
    if (v === undefined) continue;
    if (!TLS_VERSIONS.includes(v)) throw new Problem(`spec.${field}`, `must be one of ${TLS_VERSIONS.join(', ')}, got "${v}"`);
    out[field] = v as TlsOptions['minVersion'];
  }
  for (const field of ['cipherSuites', 'curvePreferences', 'alpnProtocols'] as const)
    if (spec[field] !== undefined) out[field] = stringList(spec[field], `spec.${field}`);
  const sniStrict = optBoolean(spec.sniStrict, 'spec.sniStrict');
  if (sniStrict !== undefined) out.sniStrict = sniStrict;
  // Go-specific switches with no Node equivalent: accepted for Traefik compatibility, without effect.
  optBoolean(spec.preferServerCipherSuites, 'spec.preferServerCipherSuites');
  optBoolean(spec.disableSessionTickets, 'spec.disableSessionTickets');
  if (spec.clientAuth !== undefined) {
    const ca = asObject(spec.clientAuth, 'spec.clientAuth');
    checkKeys(ca, ['secretNames', 'clientAuthType'], 'spec.clientAuth');
    const type = optString(ca.clientAuthType, 'spec.clientAuth.clientAuthType');
    if (type !== undefined && !CLIENT_AUTH_TYPES.includes(type))
      throw new Problem('spec.clientAuth.clientAuthType', `must be one of ${CLIENT_AUTH_TYPES.join(', ')}, got "${type}"`);
    const caFiles = stringList(ca.secretNames, 'spec.clientAuth.secretNames').map((n, i) => {
      const pem = pemFromSecret(ctx.ns, n, ['tls.ca', 'ca.crt', 'tls.crt'], ctx, `spec.clientAuth.secretNames[${i}]`);
      // Anything but PEM would be read as a file path; the runtime checks the certificates themselves.
      if (!isInlinePem(pem)) throw new Problem(`spec.clientAuth.secretNames[${i}]`, `Secret ${ctx.ns}/${n} holds no PEM CA certificate`);
      return pem;
    });
    out.clientAuth = { caFiles };
    if (type) out.clientAuth.clientAuthType = type as NonNullable<TlsOptions['clientAuth']>['clientAuthType'];
  }
  return out;
}

/** The default store; a store of another name is ignored with a warning, as Traefik does (there is only the default one). */
export function convertTlsStore(o: KubeObject, ctx: ConversionContext, certificates: CertificateRef[]): TlsStore | undefined {
  if (o.metadata.name !== 'default') {
    ctx.opts.log?.('warn', `TLSStore ${ctx.ns}/${o.metadata.name}: only the TLS store named "default" is used; this one is ignored`);
    return undefined;
  }
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['defaultCertificate', 'certificates', 'defaultGeneratedCert'], 'spec');
  if (spec.defaultGeneratedCert !== undefined)
    throw new Problem('spec.defaultGeneratedCert', 'generated default certificates (ACME) are not supported; use defaultCertificate');
  asArray(spec.certificates, 'spec.certificates').forEach((c, i) => {
    const at = `spec.certificates[${i}]`;
    const cert = asObject(c, at);
    checkKeys(cert, ['secretName'], at);
    certificates.push(certificateFromSecret(ctx.ns, reqString(cert.secretName, `${at}.secretName`), ctx, `${at}.secretName`));
  });
  if (spec.defaultCertificate === undefined) return {};
  const d = asObject(spec.defaultCertificate, 'spec.defaultCertificate');
  checkKeys(d, ['secretName'], 'spec.defaultCertificate');
  const secretName = reqString(d.secretName, 'spec.defaultCertificate.secretName');
  return { defaultCertificate: certificateFromSecret(ctx.ns, secretName, ctx, 'spec.defaultCertificate.secretName') };
}

/**
 * A route's `tls.options` and `tls.store` references (IngressRoute, IngressRouteTCP):
 * the TLS option set's name, if any. A store other than `default` is ignored with a
 * warning, as Traefik does.
 */
export function routeTlsOptions(t: Record<string, unknown>, ctx: ConversionContext, kind: string): string | undefined {
  if (t.store !== undefined) {
    const store = asObject(t.store, 'spec.tls.store');
    checkKeys(store, ['name', 'namespace'], 'spec.tls.store');
    if (store.name !== 'default')
      ctx.opts.log?.('warn', `${kind} ${ctx.ns}/${ctx.name}: spec.tls.store "${String(store.name)}" is ignored; only the TLS store named "default" is used`);
  }
  if (t.options === undefined) return undefined;
  const opt = asObject(t.options, 'spec.tls.options');
  checkKeys(opt, ['name', 'namespace'], 'spec.tls.options');
  // The global default set is named `default` in every provider.
  if (opt.name === 'default') return 'default';
  return objectReference(opt as { name: unknown; namespace?: unknown }, ctx, 'spec.tls.options', 'TLSOption', ctx.index.tlsOptions);
}
