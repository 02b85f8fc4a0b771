/**
 * One `certificatesResolvers.<name>.acme`: its account, the certificates it
 * holds, and the orders that get and renew them, with acme-client speaking
 * RFC 8555 to the CA. What it holds is served at once (loaded from storage at
 * start, no order needed); what routers ask for and it lacks is ordered in the
 * background, one order at a time; each certificate is renewed two thirds
 * into its life (or inside the CA's ARI window); a failure is logged, kept
 * for the API and retried with exponential backoff. Nothing here blocks
 * start-up or a request.
 *
 * In a process that does not order (workers other than the first), the
 * resolver only follows the storage file the ordering process writes.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, crypto as acmeCrypto, type Authorization, type Order } from 'acme-client';
import type { Logger } from '../observability/logger.js';
import type { AcmeResolverConfig } from '../config/static-config.js';
import { parseDurationMs } from '../config/duration.js';
import { AcmeStorageFile, type AcmeStorage, type ResolverStorage, type StoredAcmeCertificate } from './acme-storage.js';
import type { AcmeChallengeStore, PendingChallenge } from './challenge-store.js';
import { createAccountKey, createCertificateKey, legoKeyType } from './certificate-key.js';
import { requestKey } from './certificate-requests.js';
import { checkIntervalMs, renewalTime, retryDelayMs } from './renewal-schedule.js';
import { ariCertificateId, fetchRenewalWindow } from './renewal-info.js';
import { dnsChallengeProvider, type DnsChallengeProvider, type DnsChallengeRecord } from './dns-challenge-provider.js';
import { waitForTxtRecord } from './dns-propagation.js';

export interface ManagedCertificateStatus {
  domains: string[];
  /** `valid`: served; `pending`: asked for, not obtained yet (the default certificate answers); `failed`: the last attempt failed. */
  state: 'valid' | 'pending' | 'failed';
  /** A router asks for it (unwanted stored certificates are served until they expire, not renewed). */
  wanted: boolean;
  ordering: boolean;
  notBefore?: string;
  notAfter?: string;
  renewAt?: string;
  /** `ari` when the CA's renewal window set renewAt, else `lifetime` (two thirds in). */
  renewalBasis?: 'lifetime' | 'ari';
  failures: number;
  lastError?: string;
  lastErrorAt?: string;
  nextAttemptAt?: string;
}

export interface AcmeResolverStatus {
  name: string;
  caServer: string;
  challenge: AcmeChallengeType;
  /** The DNS-01 provider (`exec`, `httpreq`). */
  dnsProvider?: string;
  storage: string;
  /** `ordering` in the process that talks to the CA; `following` where certificates come from the storage file. */
  role: 'ordering' | 'following';
  account?: { email?: string; url?: string };
  certificates: ManagedCertificateStatus[];
}

export type AcmeChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

export interface AcmeResolverDeps {
  challenges: AcmeChallengeStore;
  log: Logger;
  /** Whether this process orders at first (it changes with a Kubernetes Lease: setOrdering). */
  ordering: boolean;
  /** Where the account and certificates are kept; default the `storage` file. */
  storage?: AcmeStorage;
  /** The served certificates or the status changed. */
  onChange(): void;
}

interface Entry {
  domains: string[];
  cert?: { certPem: string; keyPem: string; notBefore: Date; notAfter: Date };
  renewAt?: Date;
  renewalBasis?: 'lifetime' | 'ari';
  wanted: boolean;
  ordering: boolean;
  failures: number;
  lastError?: string;
  lastErrorAt?: Date;
  nextAttemptAt?: Date;
}

/** setTimeout's ceiling (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AcmeResolver {
  readonly challengeType: AcmeChallengeType;
  private readonly storage: AcmeStorage;
  private ordering: boolean;
  private readonly entries = new Map<string, Entry>();
  private account: ResolverStorage['account'];
  private client: Client | undefined;
  private dnsProvider: DnsChallengeProvider | undefined;
  private timer: NodeJS.Timeout | undefined;
  private working = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly cfg: AcmeResolverConfig,
    private readonly deps: AcmeResolverDeps,
  ) {
    this.challengeType = cfg.dnsChallenge ? 'dns-01' : cfg.tlsChallenge ? 'tls-alpn-01' : 'http-01';
    this.storage = deps.storage ?? new AcmeStorageFile(cfg.storage);
    this.ordering = deps.ordering;
  }

  get storagePath(): string {
    return this.storage.path;
  }

  /** Read the storage file (at start, and in a following process whenever it changes). Throws AcmeStorageError. */
  load(): void {
    const data = this.storage.read(this.name);
    this.account = data.account;
    const stored = new Set<string>();
    for (const c of data.certificates) {
      const key = requestKey(c.domains);
      stored.add(key);
      const entry = this.entries.get(key) ?? this.newEntry(c.domains);
      if (entry.cert?.certPem === c.certPem) continue;
      try {
        this.install(entry, c.certPem, c.keyPem);
      } catch (err) {
        this.deps.log.warn(
          { resolver: this.name, domains: c.domains, err: (err as Error).message },
          'ACME storage holds a certificate that cannot be used; it will be ordered again if a router asks for it',
        );
      }
    }
    if (!this.ordering) for (const [key, e] of this.entries) if (!stored.has(key)) e.cert = undefined;
    this.schedule();
  }

  /** Ask the CA's ARI about the certificates loaded from storage (the ordering process, once at start). */
  async consultStoredRenewalInfo(): Promise<void> {
    for (const e of this.entries.values()) if (e.cert && e.renewalBasis !== 'ari' && !this.stopped) await this.consultRenewalInfo(e);
    this.schedule();
  }

  /** The certificates to serve: every held one that has not expired. */
  certificates(): StoredAcmeCertificate[] {
    const now = Date.now();
    return [...this.entries.values()]
      .filter((e) => e.cert && e.cert.notAfter.getTime() > now)
      .map((e) => ({ domains: e.domains, certPem: e.cert!.certPem, keyPem: e.cert!.keyPem }));
  }

  /** The name lists routers ask this resolver for now; what is missing is ordered. */
  want(lists: readonly string[][]): void {
    for (const e of this.entries.values()) e.wanted = false;
    for (const domains of lists) {
      const entry = this.entries.get(requestKey(domains)) ?? this.covering(domains) ?? this.newEntry(domains);
      entry.wanted = true;
    }
    this.schedule();
  }

  status(): AcmeResolverStatus {
    const iso = (d: Date | undefined) => d?.toISOString();
    return {
      name: this.name,
      caServer: this.cfg.caServer,
      challenge: this.challengeType,
      ...(this.cfg.dnsChallenge ? { dnsProvider: this.cfg.dnsChallenge.provider } : {}),
      storage: this.storage.path,
      role: this.ordering ? 'ordering' : 'following',
      account: this.account ? { email: this.account.email, url: this.account.url } : undefined,
      certificates: [...this.entries.values()].map((e) => ({
        domains: e.domains,
        state: e.cert && e.cert.notAfter.getTime() > Date.now() ? 'valid' : e.failures ? 'failed' : 'pending',
        wanted: e.wanted,
        ordering: e.ordering,
        notBefore: iso(e.cert?.notBefore),
        notAfter: iso(e.cert?.notAfter),
        renewAt: iso(e.renewAt),
        renewalBasis: e.renewalBasis,
        failures: e.failures,
        lastError: e.lastError,
        lastErrorAt: iso(e.lastErrorAt),
        nextAttemptAt: iso(e.nextAttemptAt),
      })),
    };
  }

  /** Start or stop ordering (this replica took or lost the Kubernetes Lease; the caller has just loaded the storage). */
  setOrdering(ordering: boolean): void {
    if (ordering === this.ordering) return;
    this.ordering = ordering;
    if (!ordering) {
      clearTimeout(this.timer);
      return;
    }
    void this.consultStoredRenewalInfo();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private newEntry(domains: string[]): Entry {
    const entry: Entry = { domains: [...domains], wanted: false, ordering: false, failures: 0 };
    this.entries.set(requestKey(domains), entry);
    return entry;
  }

  /** A held certificate whose names include all of these (Traefik does not order what a held certificate covers). */
  private covering(domains: readonly string[]): Entry | undefined {
    return [...this.entries.values()].find((e) => e.cert && domains.every((d) => e.domains.includes(d.toLowerCase())));
  }

  private install(entry: Entry, certPem: string, keyPem: string): void {
    const leaf = new X509Certificate(certPem);
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    entry.cert = { certPem, keyPem, notBefore, notAfter };
    entry.renewAt = renewalTime(notBefore, notAfter);
    entry.renewalBasis = 'lifetime';
  }

  /** When this entry needs an order, or undefined when it needs none. */
  private dueAt(e: Entry): number | undefined {
    if (!e.wanted) return undefined;
    const retry = e.failures ? e.nextAttemptAt!.getTime() : 0;
    if (!e.cert) return retry;
    return Math.max(e.renewAt!.getTime(), retry);
  }

  /** Arm one timer for the next due order (or the periodic renewal check). */
  private schedule(): void {
    if (this.stopped || !this.ordering || this.working) return;
    clearTimeout(this.timer);
    const due = [...this.entries.values()].map((e) => this.dueAt(e)).filter((t): t is number => t !== undefined);
    const next = Math.min(Date.now() + checkIntervalMs(this.cfg.certificatesDuration), ...due);
    this.timer = setTimeout(() => void this.runDue(), Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
    this.timer.unref();
  }

  private async runDue(): Promise<void> {
    if (this.stopped || this.working) return;
    this.working = true;
    try {
      for (;;) {
        const now = Date.now();
        const entry = [...this.entries.values()].find((e) => {
          const due = this.dueAt(e);
          return due !== undefined && due <= now;
        });
        // A replica that lost the Lease meanwhile finishes the order in hand, and starts no other.
        if (!entry || this.stopped || !this.ordering) break;
        await this.obtain(entry);
      }
    } finally {
      this.working = false;
      this.schedule();
    }
  }

  private async obtain(entry: Entry): Promise<void> {
    const renewal = !!entry.cert;
    entry.ordering = true;
    this.deps.onChange();
    try {
      const { certPem, keyPem } = await this.order(entry);
      if (this.stopped) return;
      this.install(entry, certPem, keyPem);
      entry.failures = 0;
      entry.nextAttemptAt = undefined;
      entry.lastError = undefined;
      entry.lastErrorAt = undefined;
      await this.save();
      await this.consultRenewalInfo(entry);
      this.deps.log.info(
        { resolver: this.name, domains: entry.domains, notAfter: entry.cert!.notAfter.toISOString(), renewAt: entry.renewAt!.toISOString() },
        renewal ? 'ACME certificate renewed' : 'ACME certificate obtained',
      );
    } catch (err) {
      if (this.stopped) return;
      entry.failures++;
      entry.lastError = (err as Error).message;
      entry.lastErrorAt = new Date();
      entry.nextAttemptAt = new Date(Date.now() + retryDelayMs(entry.failures));
      this.deps.log.error(
        { resolver: this.name, domains: entry.domains, failures: entry.failures, retryAt: entry.nextAttemptAt.toISOString(), err: entry.lastError },
        `ACME ${renewal ? 'renewal' : 'order'} failed; ${renewal ? 'the current certificate stays in use' : 'the default certificate answers meanwhile'}`,
      );
    } finally {
      entry.ordering = false;
      this.deps.onChange();
    }
  }

  /** The ACME client with a registered account (created and stored on first use). */
  private async acmeClient(): Promise<Client> {
    if (this.client) return this.client;
    let account = this.account;
    const caOrigin = new URL(this.cfg.caServer).origin;
    if (account && (account.email ?? '') !== (this.cfg.email ?? '')) account = undefined;
    if (account?.url && new URL(account.url).origin !== caOrigin) account = undefined;
    account ??= { email: this.cfg.email, keyPem: await createAccountKey() };
    const client = new Client({
      directoryUrl: this.cfg.caServer,
      accountKey: account.keyPem,
      ...(account.url ? { accountUrl: account.url } : {}),
      ...(this.cfg.eab ? { externalAccountBinding: { kid: this.cfg.eab.kid, hmacKey: this.cfg.eab.hmacEncoded } } : {}),
      // Polling for a validation or an issuance: start at a second, not acme-client's five.
      backoffAttempts: 12,
      backoffMin: 1_000,
      backoffMax: 10_000,
    });
    if (!account.url) {
      await client.createAccount({ termsOfServiceAgreed: true, ...(this.cfg.email ? { contact: [`mailto:${this.cfg.email}`] } : {}) });
      account.url = client.getAccountUrl();
      this.account = account;
      await this.save();
      this.deps.log.info({ resolver: this.name, account: account.url }, 'ACME account registered');
    }
    this.account = account;
    this.client = client;
    return client;
  }

  private async order(entry: Entry): Promise<{ certPem: string; keyPem: string }> {
    const client = await this.acmeClient();
    const replaces = entry.cert && entry.renewalBasis === 'ari' ? ariCertificateId(entry.cert.certPem) : undefined;
    const order: Order = await client.createOrder({ identifiers: entry.domains.map((value) => ({ type: 'dns', value })), ...(replaces ? { replaces } : {}) });
    this.deps.log.info({ resolver: this.name, domains: entry.domains, order: order.url, challenge: this.challengeType }, 'ACME order placed');
    const authorizations = await client.getAuthorizations(order);
    const pending: PendingChallenge[] = [];
    const records: DnsChallengeRecord[] = [];
    try {
      const toValidate: Array<{ authz: Authorization; challenge: Authorization['challenges'][number] }> = [];
      for (const authz of authorizations) {
        if (authz.status === 'valid') continue;
        const challenge = authz.challenges.find((c) => c.type === this.challengeType);
        if (!challenge)
          throw new Error(
            `the CA offers no ${this.challengeType} challenge for ${authz.identifier.value} (it offers ${authz.challenges.map((c) => c.type).join(', ')})`,
          );
        const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
        toValidate.push({ authz, challenge });
        if (challenge.type === 'dns-01') {
          // The TXT value is the key authorization's digest; RAW mode hands out the key authorization itself.
          const raw = await client.getChallengeKeyAuthorization({ ...challenge, type: 'http-01' });
          const domain = authz.identifier.value;
          const record = { domain, fqdn: `_acme-challenge.${domain}.`, value: keyAuthorization, token: challenge.token, keyAuthorization: raw };
          records.push(record);
          await this.dns().present(record);
          continue;
        }
        let p: PendingChallenge;
        if (challenge.type === 'http-01') p = { type: 'http-01', token: challenge.token, keyAuthorization };
        else {
          const [key, cert] = await acmeCrypto.createAlpnCertificate(authz, keyAuthorization);
          p = { type: 'tls-alpn-01', domain: authz.identifier.value, certPem: cert.toString(), keyPem: key.toString() };
        }
        this.deps.challenges.add(p);
        pending.push(p);
      }
      const delay = this.cfg.httpChallenge?.delay;
      if (delay !== undefined && toValidate.length) await sleep(parseDurationMs(delay));
      if (records.length) await this.awaitDnsRecords(records);
      for (const { challenge } of toValidate) await client.completeChallenge(challenge);
      for (const { authz } of toValidate) await client.waitForValidStatus(authz);
    } finally {
      for (const p of pending) this.deps.challenges.remove(p);
      for (const r of records) await this.cleanupDnsRecord(r);
    }
    const keyPem = await createCertificateKey(this.cfg.keyType);
    const main = entry.domains[0]!;
    // A common name longer than 64 characters is not allowed (RFC 5280); the names are in subjectAltName anyway.
    // acme-client signs the CSR through WebCrypto, which imports PKCS#8 only; the stored key keeps lego's encoding.
    const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    const [, csr] = await acmeCrypto.createCsr({ ...(main.length <= 64 ? { commonName: main } : {}), altNames: entry.domains }, pkcs8);
    const finalized = await client.finalizeOrder(order, csr);
    const certPem = await client.getCertificate(finalized, this.cfg.preferredChain);
    return { certPem, keyPem };
  }

  /** The DNS-01 provider, set up from lego's environment variables on first use (an incomplete setup fails the order, naming the variable). */
  private dns(): DnsChallengeProvider {
    this.dnsProvider ??= dnsChallengeProvider(this.cfg.dnsChallenge!.provider);
    return this.dnsProvider;
  }

  /** `propagation.delayBeforeChecks`, then each record visible through the resolvers (unless `propagation.disableChecks`). */
  private async awaitDnsRecords(records: readonly DnsChallengeRecord[]): Promise<void> {
    const dns = this.cfg.dnsChallenge!;
    const delay = dns.propagation?.delayBeforeChecks;
    if (delay !== undefined) await sleep(parseDurationMs(delay));
    if (dns.propagation?.disableChecks) return;
    const provider = this.dns();
    for (const r of records)
      await waitForTxtRecord(r.fqdn, r.value, {
        resolvers: dns.resolvers,
        timeoutMs: provider.propagationTimeoutMs,
        intervalMs: provider.pollingIntervalMs,
        stopped: () => this.stopped,
      });
  }

  /** A record left behind is logged, not fatal: the order's outcome does not depend on it. */
  private async cleanupDnsRecord(record: DnsChallengeRecord): Promise<void> {
    try {
      await this.dns().cleanup(record);
    } catch (err) {
      this.deps.log.warn(
        { resolver: this.name, fqdn: record.fqdn, err: (err as Error).message },
        'ACME DNS-01 cleanup failed; the TXT record may be left behind',
      );
    }
  }

  /** Where the CA offers ARI, its suggested window replaces the two-thirds rule; a CA without it, or a failed lookup, leaves the rule. */
  private async consultRenewalInfo(entry: Entry): Promise<void> {
    try {
      const window = await fetchRenewalWindow(this.cfg.caServer, entry.cert!.certPem);
      if (!window) return;
      entry.renewAt = window;
      entry.renewalBasis = 'ari';
    } catch (err) {
      this.deps.log.warn(
        { resolver: this.name, domains: entry.domains, err: (err as Error).message },
        'ACME renewal information (ARI) lookup failed; renewing two thirds into the lifetime',
      );
    }
  }

  private async save(): Promise<void> {
    const certificates = [...this.entries.values()]
      .filter((e) => e.cert)
      .map((e) => ({ domains: e.domains, certPem: e.cert!.certPem, keyPem: e.cert!.keyPem }));
    await this.storage.write(this.name, { account: this.account, keyType: legoKeyType(this.cfg.keyType), certificates });
  }
}
