/**
 * What a provider sees of the cluster: one ResourceWatch per collection, and
 * a throttle that turns a burst of changes (a rollout touching fifty
 * EndpointSlices) into one update, as Traefik's throttleDuration does.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { ConfigError } from '../../dynamic/model.js';
import type { ManifestDocument } from '../manifests/convert.js';
import { ResourceWatch, type WatchedCollection } from './resource-watch.js';

export interface ClusterViewOptions {
  /** Minimum time between two updates, ms. */
  throttleMs: number;
  /** Full relist period of every watch, ms. */
  resyncMs?: number;
  /** First retry delay of a failed list/watch, ms. */
  backoffMs?: number;
  /** Called (throttled) when anything watched changed or a watch's health changed. */
  onUpdate: () => void;
  log: (level: 'debug' | 'warn', msg: string) => void;
}

export class ClusterView {
  readonly watches: ResourceWatch[];
  private timer: NodeJS.Timeout | undefined;
  private lastUpdate = 0;
  private started = false;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    collections: WatchedCollection[],
    private readonly options: ClusterViewOptions,
  ) {
    this.watches = collections.map(
      (c) =>
        new ResourceWatch(kc, c, {
          resyncMs: options.resyncMs,
          backoffMs: options.backoffMs,
          onChange: () => this.schedule(),
          onError: () => this.schedule(),
          log: options.log,
        }),
    );
  }

  /** Resolves when every collection has been listed once (or failed to be); then updates at once. */
  async start(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.start()));
    this.started = true;
    this.update();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  /** Every cached object as a manifest document, sources `namespace/Kind/name`, in a stable order. */
  documents(filter: (o: KubernetesObject, c: WatchedCollection) => boolean = () => true): ManifestDocument[] {
    const docs: ManifestDocument[] = [];
    for (const w of this.watches)
      for (const o of w.list())
        if (filter(o, w.collection))
          docs.push({ source: `${o.metadata?.namespace ?? ''}${o.metadata?.namespace ? '/' : ''}${o.kind}/${o.metadata?.name}`, object: o });
    return docs.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  }

  objects(kind: string): KubernetesObject[] {
    return this.watches.filter((w) => w.collection.kind === kind).flatMap((w) => w.list());
  }

  /** One error per collection that cannot currently be listed or watched. */
  errors(provider: string): ConfigError[] {
    return this.watches.filter((w) => w.error).map((w) => ({ provider, source: `kubernetes ${w.collection.path}`, path: '', message: w.error! }));
  }

  private schedule(): void {
    if (!this.started || this.stopped || this.timer) return;
    const wait = Math.max(0, this.options.throttleMs - (Date.now() - this.lastUpdate));
    this.timer = setTimeout(() => this.update(), wait);
  }

  private update(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.lastUpdate = Date.now();
    this.options.onUpdate();
  }
}
