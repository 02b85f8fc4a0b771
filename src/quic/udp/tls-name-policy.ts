/**
 * A name's TLS option set (transport.ts QuicTlsPolicy) in our TLS engine's
 * terms (QuicTlsServerNamePolicy), converted once per option set: the
 * engine parses a CA bundle once per `caPem` array, so the same array must
 * come back for every handshake of that option set.
 */
import type { QuicTlsPolicy } from '../transport.js';
import { TLS_CIPHER_SUITE_CODES, type QuicTlsServerNamePolicy, type TlsCipherSuiteName } from '../tls13/quic-tls.js';
import { hybridKeyExchangeAvailable } from '../tls13/key-exchange.js';

/** curvePreferences (Node names, as compiled from Go's CurveP256…) → our engine's group names. */
const GROUPS: Readonly<Record<string, string>> = {
  ...(hybridKeyExchangeAvailable ? { X25519MLKEM768: 'X25519MLKEM768' } : {}),
  X25519: 'x25519',
  'P-256': 'secp256r1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
};

const converted = new WeakMap<QuicTlsPolicy, QuicTlsServerNamePolicy>();

export function tlsNamePolicy(policy: QuicTlsPolicy): QuicTlsServerNamePolicy {
  let out = converted.get(policy);
  if (out) return out;
  out = {};
  if (!policy.tls13Allowed) out.refuseTls13 = true;
  const suites = policy.cipherSuites?.filter((s): s is TlsCipherSuiteName => s in TLS_CIPHER_SUITE_CODES);
  if (suites?.length) out.cipherSuites = suites;
  if (policy.curves) {
    // Curves our engine lacks are skipped; a list with none left leaves no group in common (handshake_failure), as the
    // option set asked for nothing we can do.
    out.groups = [...new Set(policy.curves.map((c) => GROUPS[c]).filter((g): g is string => g !== undefined))];
  }
  // A verify mode without CAs (the configuration refuses it) verifies against none: nothing passes.
  const caPem = policy.clientCaPem ? [policy.clientCaPem] : [];
  switch (policy.clientAuth) {
    case 'none':
      break;
    case 'request':
      out.clientAuth = { required: false };
      break;
    case 'require':
      out.clientAuth = { required: true };
      break;
    case 'verify-if-given':
      out.clientAuth = { required: false, caPem };
      break;
    case 'require-and-verify':
      out.clientAuth = { required: true, caPem };
      break;
  }
  converted.set(policy, out);
  return out;
}
