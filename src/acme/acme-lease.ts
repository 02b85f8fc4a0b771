/**
 * Which replica orders and renews, when ACME storage is a Kubernetes Secret:
 * the holder of a `coordination.k8s.io/v1` Lease, elected as client-go's
 * leader election does. A candidate creates the Lease or, when it exists,
 * takes it over only once its holder has not renewed it for
 * `leaseDurationSeconds` — measured on this replica's clock from when it last
 * saw the Lease change, so clocks need not agree; the holder renews it every
 * third of the duration. Every write carries the resourceVersion it read, so
 * of two replicas racing the API server lets one win (409 for the other).
 * A holder that cannot renew for a whole duration steps down before anyone
 * can take over; one that stops releases the Lease for a quick handover.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import { describeApiError, statusOf } from '../provider/kubernetes/api-error.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  durationMs: number;
  /** Called when this replica becomes (true) or stops being (false) the holder. */
  onLeadership(leading: boolean): void;
  log(level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void;
}

export class AcmeLease {
  /** This replica, as written in holderIdentity: the pod's name (its host name), the process and a random part. */
  readonly identity = `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  private readonly api: k8s.CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private leading = false;
  /** The last renewal of ours the API server accepted (local clock). */
  private renewedAt = 0;
  /** What we last saw of another holder's record, and when it last changed (local clock). */
  private observed: { record: string; at: number } | undefined;
  private lastError: string | undefined;

  constructor(
    kc: k8s.KubeConfig,
    private readonly o: LeaseOptions,
  ) {
    this.api = kc.makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeading(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    // Hand over at once: an empty holder may be taken by the next candidate without waiting for expiry.
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new k8s.V1MicroTime() };
      await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
    } catch {
      // Expiry hands it over anyway.
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
      this.lastError = undefined;
    } catch (err) {
      const message = describeApiError(err, { verb: 'update', resource: 'leases.coordination.k8s.io', namespace: this.o.namespace });
      if (message !== this.lastError) this.o.log('warn', 'ACME lease: cannot reach the Lease', { lease: this.where(), err: message });
      this.lastError = message;
    }
    // Not renewed for a whole duration: another replica may take it over now, so stop ordering first.
    if (this.leading && Date.now() - this.renewedAt >= this.o.durationMs) this.setLeading(false);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.leading ? this.o.durationMs / 3 : this.o.durationMs / 4);
    this.timer.unref();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { name, namespace } = this.o;
    const now = new k8s.V1MicroTime();
    const seconds = Math.max(1, Math.round(this.o.durationMs / 1000));
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: this.identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
        });
      } catch (createErr) {
        if (statusOf(createErr) === 409) return; // another replica created it first
        throw createErr;
      }
      return this.won();
    }
    const spec = lease.spec ?? {};
    const mine = spec.holderIdentity === this.identity;
    if (!mine) {
      if (this.leading) this.setLeading(false);
      const record = JSON.stringify([spec.holderIdentity, String(spec.renewTime), spec.leaseDurationSeconds, lease.metadata?.resourceVersion]);
      if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
      const heldFor = (spec.leaseDurationSeconds ?? seconds) * 1000;
      if (spec.holderIdentity && Date.now() - this.observed.at < heldFor) return;
    }
    lease.spec = {
      ...spec,
      holderIdentity: this.identity,
      leaseDurationSeconds: seconds,
      renewTime: now,
      ...(mine ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (err) {
      if (statusOf(err) === 409) return; // someone wrote first: look again next time
      throw err;
    }
    if (!mine) this.o.log('info', 'ACME lease taken over', { lease: this.where(), previousHolder: spec.holderIdentity ?? null });
    this.won();
  }

  private won(): void {
    this.renewedAt = Date.now();
    this.observed = undefined;
    if (!this.leading) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.o.log('info', leading ? 'ACME lease acquired: this replica orders and renews' : 'ACME lease lost: another replica orders', {
      lease: this.where(),
      identity: this.identity,
    });
    this.o.onLeadership(leading);
  }

  private where(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }
}
