/**
 * Everything TLS for one configuration version: the certificate store, the
 * compiled option sets, which option set each host uses (from the routers'
 * Host rules and tls.options). The TCP and
 * QUIC listeners both ask it the same question: for this SNI, which
 * certificate and which options?
 */
import type { SecureVersion } from 'node:tls';

const VERSION_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
import { X509Certificate } from 'node:crypto';
import type { CompiledTlsOptions } from './compiled-tls-options.js';
import type { SniCertificateStore, StoredCertificate } from './sni-certificate-store.js';
import { ACME_TLS_ALPN, type AlpnChallengeCertificate, type TlsAlpnChallenges } from './alpn-challenge.js';

export interface TlsSelection {
  /** The preferred certificate (the first configured for the name), for stacks that take one. */
  certificate: StoredCertificate;
  /** Every certificate for the name, one per key type; TCP TLS offers them all and the client's signature algorithms choose. */
  certificates: readonly StoredCertificate[];
  options: CompiledTlsOptions;
  /** True when sniStrict refuses this server name. */
  refused: boolean;
}

export class TlsRuntime {
  /** Union of every option set's client CAs: verification happens against the default context's store. */
  readonly allClientCaPem: string | undefined;
  readonly anyClientAuth: boolean;

  constructor(
    readonly store: SniCertificateStore,
    readonly options: ReadonlyMap<string, CompiledTlsOptions>,
    /** Lower-case host → option set name, for hosts whose routers agree on one. */
    readonly hostOptions: ReadonlyMap<string, string>,
    /** Pending TLS-ALPN-01 challenges (the ACME manager's), live across configuration versions. */
    private readonly alpnChallenges?: TlsAlpnChallenges,
  ) {
    const cas = [...options.values()].map((o) => o.clientCaPem).filter((x): x is string => !!x);
    this.allClientCaPem = cas.length ? cas.join('\n') : undefined;
    this.anyClientAuth = [...options.values()].some((o) => o.clientAuth !== 'none');
  }

  optionsNameFor(serverName: string | undefined): string {
    if (!serverName) return 'default';
    const host = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.hostOptions.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    return (dot > 0 && this.hostOptions.get('*' + host.slice(dot))) || 'default';
  }

  select(serverName: string | undefined): TlsSelection {
    const optionsName = this.optionsNameFor(serverName);
    const options = this.options.get(optionsName) ?? this.options.get('default')!;
    const matched = this.store.matchAll(serverName);
    const certificates = matched ?? [this.store.defaultCertificate];
    return { certificate: certificates[0]!, certificates, options, refused: options.sniStrict && !matched };
  }

  /**
   * The challenge certificate when this ClientHello is an ACME CA validating a
   * pending name: RFC 8737 has it offer `acme-tls/1` and nothing else.
   */
  alpnChallenge(serverName: string | undefined, offeredAlpn: readonly string[]): AlpnChallengeCertificate | undefined {
    if (!serverName || !this.alpnChallenges || offeredAlpn.length !== 1 || offeredAlpn[0] !== ACME_TLS_ALPN) return undefined;
    return this.alpnChallenges.certificateFor(serverName.toLowerCase().replace(/\.$/, ''));
  }

  /** The widest version range any option set allows: the listener's floor and ceiling. */
  versionRange(): { minVersion: SecureVersion; maxVersion: SecureVersion } {
    let min: SecureVersion = 'TLSv1.3';
    let max: SecureVersion = 'TLSv1.2';
    for (const o of this.options.values()) {
      const lo = (o.secureContext.minVersion ?? 'TLSv1.2') as SecureVersion;
      const hi = (o.secureContext.maxVersion ?? 'TLSv1.3') as SecureVersion;
      if (VERSION_ORDER.indexOf(lo) < VERSION_ORDER.indexOf(min)) min = lo;
      if (VERSION_ORDER.indexOf(hi) > VERSION_ORDER.indexOf(max)) max = hi;
    }
    return { minVersion: min, maxVersion: max };
  }

  /** Per-option-set version and cipher limits, checked once the handshake is done. */
  checkNegotiated(
    options: CompiledTlsOptions,
    socket: { getProtocol(): string | null; getCipher(): { standardName?: string; name: string } },
  ): string | undefined {
    const version = socket.getProtocol() as SecureVersion | null;
    const lo = (options.secureContext.minVersion ?? 'TLSv1.2') as SecureVersion;
    const hi = (options.secureContext.maxVersion ?? 'TLSv1.3') as SecureVersion;
    if (!version || VERSION_ORDER.indexOf(version) < VERSION_ORDER.indexOf(lo) || VERSION_ORDER.indexOf(version) > VERSION_ORDER.indexOf(hi))
      return `protocol ${version} outside ${lo}..${hi} of TLS option "${options.name}"`;
    const ciphers = options.secureContext.ciphers;
    if (ciphers && version !== 'TLSv1.3' && !ciphers.split(':').includes(socket.getCipher().name))
      return `cipher ${socket.getCipher().name} not allowed by TLS option "${options.name}"`;
    return undefined;
  }

  /**
   * Apply the option set's client-certificate policy after the handshake.
   * Returns a reason to refuse, or undefined to accept.
   */
  checkClientCertificate(
    options: CompiledTlsOptions,
    socket: { authorized: boolean; getPeerCertificate(detailed: true): { raw?: Buffer; issuerCertificate?: { raw?: Buffer } } },
  ): string | undefined {
    if (options.clientAuth === 'none' || options.clientAuth === 'request') return undefined;
    const peer = socket.getPeerCertificate(true);
    const given = !!peer?.raw;
    if (!given) return options.clientAuth === 'verify-if-given' ? undefined : 'client certificate required';
    if (options.clientAuth === 'require') return undefined;
    if (!socket.authorized) return 'client certificate not verified';
    // Verified against the union of CAs: make sure one of *this* option set's CAs issued it.
    if (options.clientCaPem) {
      const leaf = new X509Certificate(peer.raw!);
      const cas = splitPem(options.clientCaPem).map((p) => new X509Certificate(p));
      if (!cas.some((ca) => (leaf.checkIssued(ca) && leaf.verify(ca.publicKey)) || leaf.fingerprint256 === ca.fingerprint256))
        return 'client certificate not issued by a CA of this TLS option';
    }
    return undefined;
  }
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
