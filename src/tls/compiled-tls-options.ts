/**
 * A TLSOption (Traefik's names: VersionTLS12, TLS_ECDHE_…, CurveP256,
 * RequireAndVerifyClientCert) translated into what Node's TLS stack takes.
 */
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsOptions } from '../dynamic/model.js';
import { readPem } from './pem-source.js';

const VERSIONS = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
} as const;

/** Go cipher-suite names → OpenSSL names. TLS 1.3 suites are not configurable in Go and are accepted but ignored, as in Traefik. */
const CIPHERS: Record<string, string | null> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

/**
 * The hybrid post-quantum group (Go's and Traefik's X25519MLKEM768): OpenSSL has it from 3.5 (Node 24); on an older
 * OpenSSL naming it is a configuration error rather than a silent drop. Probed once.
 */
const HYBRID_GROUP = 'X25519MLKEM768';
let hybridOnTcp: boolean | undefined;
function opensslHasHybridGroup(): boolean {
  if (hybridOnTcp === undefined) {
    try {
      createSecureContext({ ecdhCurve: HYBRID_GROUP });
      hybridOnTcp = true;
    } catch {
      hybridOnTcp = false;
    }
  }
  return hybridOnTcp;
}

const CURVES: Record<string, string> = {
  X25519MLKEM768: HYBRID_GROUP,
  x25519mlkem768: HYBRID_GROUP,
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  x25519: 'X25519',
  'P-256': 'P-256',
  'P-384': 'P-384',
  'P-521': 'P-521',
};

export type ClientAuthMode = 'none' | 'request' | 'require' | 'verify-if-given' | 'require-and-verify';

const CLIENT_AUTH: Record<string, ClientAuthMode> = {
  NoClientCert: 'none',
  RequestClientCert: 'request',
  RequireAnyClientCert: 'require',
  VerifyClientCertIfGiven: 'verify-if-given',
  RequireAndVerifyClientCert: 'require-and-verify',
};

export interface CompiledTlsOptions {
  name: string;
  secureContext: SecureContextOptions;
  alpnProtocols: string[];
  sniStrict: boolean;
  clientAuth: ClientAuthMode;
  /** PEM of the CA bundle for client certificates, when any. */
  clientCaPem?: string;
  /**
   * The TLS 1.3 suites cipherSuites names (Go names, e.g. TLS_AES_256_GCM_SHA384), in order; undefined when it names
   * none. Node's TCP side follows Go and Traefik and leaves TLS 1.3 suites alone; our QUIC honours them.
   */
  tls13CipherSuites?: string[];
  /** curvePreferences as Node names ('X25519MLKEM768', 'X25519', 'P-256', 'P-384', 'P-521'), in order; undefined when not set. */
  curves?: string[];
}

export const DEFAULT_ALPN = ['h2', 'http/1.1'];

/** Translate; problems are returned as [field, message] so the caller can name the option set. */
export function compileTlsOptions(name: string, options: TlsOptions, baseDir: string): { compiled?: CompiledTlsOptions; problems: Array<[string, string]> } {
  const problems: Array<[string, string]> = [];
  const ctx: SecureContextOptions = {};
  // Default minimum TLS 1.2, as Traefik.
  ctx.minVersion = VERSIONS[options.minVersion ?? 'VersionTLS12'];
  if (!ctx.minVersion) problems.push(['minVersion', `unknown version "${options.minVersion}"; use VersionTLS12 or VersionTLS13`]);
  if (options.maxVersion) {
    ctx.maxVersion = VERSIONS[options.maxVersion];
    if (!ctx.maxVersion) problems.push(['maxVersion', `unknown version "${options.maxVersion}"`]);
  }
  let tls13CipherSuites: string[] | undefined;
  if (options.cipherSuites?.length) {
    const names: string[] = [];
    const tls13: string[] = [];
    options.cipherSuites.forEach((suite, i) => {
      if (!(suite in CIPHERS)) problems.push([`cipherSuites[${i}]`, `unknown cipher suite "${suite}"`]);
      else if (CIPHERS[suite]) names.push(CIPHERS[suite]!);
      else tls13.push(suite);
    });
    if (names.length) ctx.ciphers = names.join(':');
    if (tls13.length) tls13CipherSuites = tls13;
  }
  let curves: string[] | undefined;
  if (options.curvePreferences?.length) {
    curves = [];
    options.curvePreferences.forEach((c, i) => {
      if (!CURVES[c]) problems.push([`curvePreferences[${i}]`, `unknown curve "${c}"; use CurveP256, CurveP384, CurveP521, X25519 or X25519MLKEM768`]);
      else if (CURVES[c] === HYBRID_GROUP && !opensslHasHybridGroup())
        problems.push([
          `curvePreferences[${i}]`,
          `X25519MLKEM768 needs OpenSSL 3.5 (Node 24); this Node has OpenSSL ${process.versions.openssl}: remove it or run on Node 24`,
        ]);
      else curves!.push(CURVES[c]!);
    });
    if (curves.length) ctx.ecdhCurve = curves.join(':');
  }
  let clientAuth: ClientAuthMode = 'none';
  let clientCaPem: string | undefined;
  if (options.clientAuth) {
    const mode = options.clientAuth.clientAuthType ?? (options.clientAuth.caFiles?.length ? 'RequireAndVerifyClientCert' : 'NoClientCert');
    clientAuth = CLIENT_AUTH[mode] ?? 'none';
    if (!CLIENT_AUTH[mode]) problems.push(['clientAuth.clientAuthType', `unknown value "${mode}"`]);
    const cas: string[] = [];
    options.clientAuth.caFiles?.forEach((f, i) => {
      try {
        cas.push(readPem(f, baseDir));
      } catch (err) {
        problems.push([`clientAuth.caFiles[${i}]`, (err as Error).message]);
      }
    });
    if (cas.length) {
      clientCaPem = cas.join('\n');
      ctx.ca = clientCaPem;
    }
    if ((clientAuth === 'verify-if-given' || clientAuth === 'require-and-verify') && !clientCaPem)
      problems.push(['clientAuth.caFiles', `${mode} needs at least one CA file`]);
  }
  const alpn = options.alpnProtocols?.length ? options.alpnProtocols : DEFAULT_ALPN;
  alpn.forEach((p, i) => {
    if (!['h2', 'http/1.1', 'acme-tls/1', 'h3'].includes(p)) problems.push([`alpnProtocols[${i}]`, `unsupported protocol "${p}"`]);
  });
  if (problems.length) return { problems };
  return {
    compiled: {
      name,
      secureContext: ctx,
      alpnProtocols: alpn.filter((p) => p !== 'h3'),
      sniStrict: options.sniStrict ?? false,
      clientAuth,
      clientCaPem,
      tls13CipherSuites,
      curves,
    },
    problems,
  };
}
