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
 * certificates, and answer the challenges it relays. With storage in a
 * Kubernetes Secret (HA ACME, several replicas), the replica holding the
 * Secret's Lease orders (acme-lease.ts) and every replica serves what the
 * Secret holds, watched live (acme-secret-storage.ts).
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { AcmeResolverConfig, StaticConfig } from '../config/static-config.js';
import { emptyDynamicConfig, type ConfigError, type ProviderSnapshot } from '../dynamic/model.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';
import { AcmeResolver, type AcmeResolverStatus } from './acme-resolver.js';
import { configureAcmeHttp } from './acme-http.js';
import type { CertificateRequests } from './certificate-requests.js';
import { AcmeChallengeStore } from './challenge-store.js';
import type { AcmeSecretStorage } from './acme-secret-storage.js';
import type { AcmeLease } from './acme-lease.js';

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
  /** Kubernetes Secret storages and their Leases, by `kubernetes://namespace/name`. */
  private readonly secrets = new Map<string, { storage: AcmeSecretStorage; lease?: AcmeLease; error?: string }>();

  constructor(
    private readonly config: StaticConfig,
    private readonly log: Logger,
    private readonly ordering: boolean,
  ) {
    // Resolvers on a Kubernetes Secret are made in start(): their storage needs the client library, loaded only then.
    for (const [name, { acme }] of Object.entries(config.certificatesResolvers ?? {}))
      if (!acme.storageSecret) this.resolvers.set(name, this.resolver(name, acme, ordering));
  }

  private resolver(name: string, acme: AcmeResolverConfig, ordering: boolean, storage?: AcmeSecretStorage): AcmeResolver {
    return new AcmeResolver(name, acme, { challenges: this.challenges, log: this.log, ordering, storage, onChange: () => this.publish() });
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    this.emit = emit;
    try {
      configureAcmeHttp(Object.values(this.config.certificatesResolvers ?? {}).map((r) => r.acme));
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'ACME: CA trust not configured; orders will fail until this is fixed');
    }
    await this.startSecretStorages();
    for (const r of this.resolvers.values()) this.load(r);
    this.publish();
    for (const r of this.resolvers.values()) {
      if (r.storagePath.startsWith('kubernetes://')) continue;
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
    for (const s of this.secrets.values()) {
      await s.lease?.stop();
      await s.storage.stop();
    }
    this.secrets.clear();
    for (const path of this.watched) unwatchFile(path);
    this.watched.clear();
    this.emit = undefined;
  }

  /**
   * HA ACME: one watched Secret per `kubernetes://` storage, shared by the
   * resolvers naming it, and (in a process that may order) one Lease for it;
   * its holder orders for those resolvers, the others follow the Secret.
   */
  private async startSecretStorages(): Promise<void> {
    const onSecret = Object.entries(this.config.certificatesResolvers ?? {}).filter(([, r]) => r.acme.storageSecret);
    if (!onSecret.length) return;
    const [{ AcmeSecretStorage }, { AcmeLease }, { loadKubeConfig }] = await Promise.all([
      import('./acme-secret-storage.js'),
      import('./acme-lease.js'),
      import('../provider/kubernetes/kube-config.js'),
    ]);
    const p = this.config.providers;
    const kc = loadKubeConfig((p.kubernetesCRD ?? p.kubernetesIngress ?? p.kubernetesIngressNGINX ?? p.kubernetesIngressNginx ?? {}) as object);
    for (const [name, { acme }] of onSecret) {
      const where = acme.storageSecret!;
      const key = `kubernetes://${where.namespace}/${where.name}`;
      let shared = this.secrets.get(key);
      if (!shared) {
        const storage = new AcmeSecretStorage(kc, where.namespace, where.name);
        const entry: { storage: AcmeSecretStorage; lease?: AcmeLease; error?: string } = { storage };
        shared = entry;
        this.secrets.set(key, entry);
        if (this.ordering)
          entry.lease = new AcmeLease(kc, {
            namespace: where.namespace,
            name: where.leaseName,
            durationMs: where.leaseDurationMs,
            onLeadership: (leading) => {
              for (const r of this.resolversOn(key)) {
                // Taking over: the holder may have written since the last change seen here.
                if (leading) this.load(r);
                r.setOrdering(leading);
              }
              this.publish();
            },
            log: (level, msg, fields) => this.log[level]({ ...fields }, msg),
          });
        await storage.start({
          onChange: () => {
            for (const r of this.resolversOn(key)) this.load(r);
            this.publish();
          },
          onError: (message) => {
            entry.error = message;
            if (message) this.log.error({ storage: key, err: message }, 'ACME storage: the Secret cannot be watched');
            this.publish();
          },
          log: (level, msg) => this.log[level]({ storage: key }, msg),
        });
      }
      this.resolvers.set(name, this.resolver(name, acme, false, shared.storage));
    }
    for (const s of this.secrets.values()) s.lease?.start();
  }

  private resolversOn(storage: string): AcmeResolver[] {
    return [...this.resolvers.values()].filter((r) => r.storagePath === storage);
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
      const storageError = this.storageErrors.get(r.name) ?? this.secrets.get(r.storagePath)?.error;
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
