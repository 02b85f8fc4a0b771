/**
 * A compiled TLS option set as the QUIC side applies it (transport.ts's
 * QuicTlsPolicy): one object per option set, so transports can cache what
 * they derive from it (parsed CA bundles).
 */
import type { CompiledTlsOptions } from '../tls/compiled-tls-options.js';
import type { QuicTlsPolicy } from '../quic/transport.js';

const policies = new WeakMap<CompiledTlsOptions, QuicTlsPolicy>();

export function quicTlsPolicy(options: CompiledTlsOptions): QuicTlsPolicy {
  let policy = policies.get(options);
  if (policy) return policy;
  const max = options.secureContext.maxVersion;
  policy = {
    name: options.name,
    // minVersion is at most TLS 1.3, so only a maxVersion below it leaves QUIC without a version.
    tls13Allowed: max === undefined || max === 'TLSv1.3',
    cipherSuites: options.tls13CipherSuites,
    curves: options.curves,
    clientAuth: options.clientAuth,
    clientCaPem: options.clientCaPem,
  };
  policies.set(options, policy);
  return policy;
}

/**
 * Why the quiche binding cannot serve a name under `policy`, if it cannot:
 * it has no client-certificate request and no version choice per name, and
 * ignoring them would let HTTP/3 past a check TCP makes. (Cipher suites and
 * curves it leaves at BoringSSL's defaults: that weakens nothing TCP allows.)
 */
export function quicheCannotApply(policy: QuicTlsPolicy): string | undefined {
  if (!policy.tls13Allowed) return `TLS option "${policy.name}" excludes TLS 1.3`;
  if (policy.clientAuth !== 'none') return `TLS option "${policy.name}" asks for client certificates, which the quiche transport cannot`;
  return undefined;
}
