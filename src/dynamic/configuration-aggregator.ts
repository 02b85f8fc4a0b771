/**
 * Collects the latest snapshot of every provider and hands a merged
 * configuration to the server, throttled: a burst of provider events (an
 * editor saving three files, a Kubernetes rollout) becomes one rebuild.
 * The first configuration applies immediately.
 */
import type { ProviderSnapshot } from './model.js';
import { mergeSnapshots, type MergedConfig } from './merge.js';

export class ConfigurationAggregator {
  private readonly latest = new Map<string, ProviderSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private lastApply = 0;
  private stopped = false;

  constructor(
    private readonly apply: (merged: MergedConfig) => void,
    private readonly throttleMs = 100,
    private readonly expectedProviders = 0,
  ) {}

  /** Receive a snapshot from a provider. */
  submit(snapshot: ProviderSnapshot): void {
    if (this.stopped) return;
    this.latest.set(snapshot.provider, snapshot);
    // Until every provider has reported once, wait (bounded by the throttle) so the first table is complete.
    if (this.timer) return;
    const since = Date.now() - this.lastApply;
    const ready = this.latest.size >= this.expectedProviders;
    const delay = ready && since >= this.throttleMs ? 0 : this.throttleMs;
    this.timer = setTimeout(() => this.flush(), delay);
  }

  /**
   * Apply now if every provider has reported once. Start-up calls it once its
   * providers have started, so Portico is ready with their first complete
   * configuration instead of a throttle period later (a request in between
   * found only the internal routers and got 404).
   */
  flushIfComplete(): void {
    if (this.latest.size >= this.expectedProviders && this.timer) this.flush();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.lastApply = Date.now();
    this.apply(mergeSnapshots([...this.latest.values()].sort((a, b) => a.provider.localeCompare(b.provider))));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
