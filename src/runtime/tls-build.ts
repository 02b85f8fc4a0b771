/**
 * The TLS side of one configuration version: the option sets (with `default`
 * always present), the certificate store with its default certificate, and
 * which option set each host's handshakes use (from the routers that serve it).
 */
import { X509Certificate } from 'node:crypto';
import type { DynamicConfig, TlsOptions } from '../dynamic/model.js';
import { compileTlsOptions, type CompiledTlsOptions } from '../tls/compiled-tls-options.js';
import { isInlinePem, readPem } from '../tls/pem-source.js';
import { describeCertificate, SniCertificateStore, type StoredCertificate } from '../tls/sni-certificate-store.js';
import { TlsRuntime } from '../tls/tls-runtime.js';
import type { TlsAlpnChallenges } from '../tls/alpn-challenge.js';
import type { ConfigErrors } from './config-errors.js';

/** Option set name → compiled options; a broken set is reported and left out, `default` is always there. */
export function compileTlsOptionSets(tls: DynamicConfig['tls'], baseDir: string, errors: ConfigErrors): Map<string, CompiledTlsOptions> {
  const sets = new Map<string, CompiledTlsOptions>();
  for (const [name, o] of Object.entries({ default: {}, ...tls.options })) {
    const caProblems = clientCaProblems(o, baseDir);
    for (const [field, message] of caProblems) errors.report('tls.options', name, field, message);
    // Traefik fails the routers of an option set whose client CA is unusable; leaving the set out does that.
    if (caProblems.length) continue;
    const c = compileTlsOptions(name, o, baseDir);
    if (c.compiled) sets.set(name, c.compiled);
    for (const [field, message] of c.problems) errors.report('tls.options', name, field, message);
  }
  if (!sets.has('default')) sets.set('default', compileTlsOptions('default', {}, baseDir).compiled!);
  return sets;
}

/**
 * Client CAs that are empty or hold no parseable certificate. Node would accept
 * them and then verify no client certificate, or fail every handshake later.
 * Unreadable files are left to compileTlsOptions, which reports them.
 */
function clientCaProblems(options: TlsOptions, baseDir: string): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  options.clientAuth?.caFiles?.forEach((f, i) => {
    let pem: string;
    try {
      pem = readPem(f, baseDir);
    } catch {
      return;
    }
    const field = `clientAuth.caFiles[${i}]`;
    const source = isInlinePem(f) ? 'the inline CA' : `"${f}"`;
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (!pem.trim()) problems.push([field, `${source} is empty; it must hold PEM CA certificates`]);
    else if (blocks.length === 0) problems.push([field, `${source} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`]);
    else
      for (const b of blocks) {
        try {
          new X509Certificate(b);
        } catch (err) {
          problems.push([field, `${source} holds a certificate that does not parse: ${(err as Error).message}`]);
          break;
        }
      }
  });
  return problems;
}

/** Host → the one option set its routers ask for; a host asked for with two sets is reported and uses `default`. */
export function hostTlsOptions(votes: ReadonlyMap<string, ReadonlySet<string>>, errors: ConfigErrors): Map<string, string> {
  const hostOptions = new Map<string, string>();
  for (const [host, sets] of votes) {
    if (sets.size === 1) hostOptions.set(host, [...sets][0]!);
    else
      errors.add({
        provider: 'tls',
        source: host,
        path: 'tls.options',
        message: `routers for host "${host}" ask for different TLS options (${[...sets].join(', ')}); using "default" for its handshakes`,
      });
  }
  return hostOptions;
}

/** The certificates, each unreadable one reported and left out, and the default certificate (configured, or generated). */
export function buildCertificateStore(
  tls: DynamicConfig['tls'],
  baseDir: string,
  generatedDefault: StoredCertificate,
  errors: ConfigErrors,
): SniCertificateStore {
  const certs: StoredCertificate[] = [];
  tls.certificates.forEach((c, i) => {
    try {
      certs.push(describeCertificate(readPem(c.certFile, baseDir), readPem(c.keyFile, baseDir), originLabel(c.certFile, i)));
    } catch (e) {
      errors.add({ provider: 'tls', source: originLabel(c.certFile, i), path: `tls.certificates[${i}]`, message: (e as Error).message });
    }
  });
  let defaultCert = generatedDefault;
  const storeDefault = tls.stores.default?.defaultCertificate;
  if (storeDefault) {
    try {
      defaultCert = describeCertificate(
        readPem(storeDefault.certFile, baseDir),
        readPem(storeDefault.keyFile, baseDir),
        'tls.stores.default.defaultCertificate',
      );
    } catch (e) {
      errors.add({
        provider: 'tls',
        source: 'tls.stores.default',
        path: 'tls.stores.default.defaultCertificate',
        message: `${(e as Error).message}; using the generated default certificate`,
      });
    }
  }
  return new SniCertificateStore(certs, defaultCert);
}

export function buildTlsRuntime(
  tls: DynamicConfig['tls'],
  optionSets: Map<string, CompiledTlsOptions>,
  hostVotes: ReadonlyMap<string, ReadonlySet<string>>,
  deps: { baseDir: string; generatedDefault: StoredCertificate; alpnChallenges?: TlsAlpnChallenges },
  errors: ConfigErrors,
): TlsRuntime {
  const store = buildCertificateStore(tls, deps.baseDir, deps.generatedDefault, errors);
  return new TlsRuntime(store, optionSets, hostTlsOptions(hostVotes, errors), deps.alpnChallenges);
}

function originLabel(certFile: string, i: number): string {
  return certFile.includes('-----BEGIN') ? `tls.certificates[${i}] (inline)` : certFile;
}
