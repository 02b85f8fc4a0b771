/**
 * The ACME resolvers as a provider: what they hold is dynamic configuration
 * like any other (inline `tls.certificates`, merged into the same SNI store as
 * file certificates and applied live), and their failures are configuration
 * errors (`/api/errors`, beside the resolvers' status in `/api/acme`). It
 * learns what to order from each applied configuration (`want`): the
 * routers' `tls.certResolver` and `tls.domains` or Host rules.
 *
 * Only one process orders (`ordering`: a single process, or worker 1 of
 * several); the others follow the storage file it writes and serve the same
 * certificates, and answer the challenges it relays.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { StaticConfig } from '../config/static-config.js';
import { emptyDynamicConfig, type ConfigError, type ProviderSnapshot } from '../dynamic/model.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';
import { AcmeResolver, type AcmeResolverStatus } from './acme-resolver.js';
import { configureAcmeHttp } from './acme-http.js';
import type { CertificateRequests } from './certificate-requests.js';
import { AcmeChallengeStore } from './challenge-store.js';

/** How often a following process looks at the storage file. */
const FOLLOW_INTERVAL_MS = 1_000;

export class AcmeProvider implements Provider {
  readonly name = 'acme';
  readonly challenges = new AcmeChallengeStore();
  private readonly resolvers = new Map<string, AcmeResolver>();
  private readonly storageErrors = new Map<string, string>();
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private last = '';
  private readonly watched = new Set<string>();

  constructor(
    private readonly config: StaticConfig,
    private readonly log: Logger,
    private readonly ordering: boolean,
  ) {
    for (const [name, { acme }] of Object.entries(config.certificatesResolvers ?? {}))
      this.resolvers.set(name, new AcmeResolver(name, acme, { challenges: this.challenges, log, ordering, onChange: () => this.publish() }));
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    this.emit = emit;
    try {
      configureAcmeHttp(Object.values(this.config.certificatesResolvers ?? {}).map((r) => r.acme));
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'ACME: CA trust not configured; orders will fail until this is fixed');
    }
    for (const r of this.resolvers.values()) this.load(r);
    this.publish();
    for (const r of this.resolvers.values()) {
      if (this.ordering) void r.consultStoredRenewalInfo();
      else if (!this.watched.has(r.storagePath)) {
        this.watched.add(r.storagePath);
        watchFile(r.storagePath, { interval: FOLLOW_INTERVAL_MS }, () => {
          for (const x of this.resolvers.values()) if (x.storagePath === r.storagePath) this.load(x);
          this.publish();
        });
      }
    }
  }

  /** A configuration was applied: order what its routers ask for (certificate-requests.ts). Nothing before start (`portico check` orders nothing). */
  want(requests: CertificateRequests): void {
    if (!this.emit) return;
    for (const [name, r] of this.resolvers) r.want(requests.get(name) ?? []);
  }

  status(): AcmeResolverStatus[] {
    return [...this.resolvers.values()].map((r) => r.status());
  }

  async stop(): Promise<void> {
    for (const r of this.resolvers.values()) r.stop();
    for (const path of this.watched) unwatchFile(path);
    this.watched.clear();
    this.emit = undefined;
  }

  private load(r: AcmeResolver): void {
    try {
      r.load();
      this.storageErrors.delete(r.name);
    } catch (err) {
      this.storageErrors.set(r.name, (err as Error).message);
      this.log.error({ resolver: r.name, err: (err as Error).message }, 'ACME storage unusable; its certificates are not served');
    }
  }

  /** Emit the certificates and errors when they changed. */
  private publish(): void {
    if (!this.emit) return;
    const config = emptyDynamicConfig();
    const errors: ConfigError[] = [];
    for (const r of this.resolvers.values()) {
      for (const c of r.certificates()) config.tls.certificates.push({ certFile: c.certPem, keyFile: c.keyPem });
      const at = { provider: this.name, source: `certificatesResolvers.${r.name}`, path: `certificatesResolvers.${r.name}.acme` };
      const storageError = this.storageErrors.get(r.name);
      if (storageError) errors.push({ ...at, path: `${at.path}.storage`, message: storageError });
      for (const c of r.status().certificates)
        if (c.lastError)
          errors.push({
            ...at,
            message: `certificate for ${c.domains.join(', ')}: attempt ${c.failures} failed (${c.lastError}); next attempt at ${c.nextAttemptAt}${c.state === 'valid' ? '; the current certificate stays in use' : '; the default certificate answers meanwhile'}`,
          });
    }
    const snapshot: ProviderSnapshot = { provider: this.name, config, errors };
    const text = JSON.stringify(snapshot);
    if (text === this.last) return;
    this.last = text;
    this.emit(snapshot);
  }
}
