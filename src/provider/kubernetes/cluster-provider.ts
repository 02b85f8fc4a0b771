/**
 * What the two Kubernetes providers share: a ClusterView of the collections
 * each one names, converted on every (throttled) change into a full snapshot
 * with the manifest conversion the file provider uses; problems logged,
 * included in the snapshot, and recorded as Events on the objects. An
 * unchanged snapshot (a resync that found nothing new) is not emitted again.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Provider } from '../provider.js';
import type { ConfigError, ProviderSnapshot } from '../../dynamic/model.js';
import { parseDurationMs } from '../../config/duration.js';
import type { ManifestConversion } from '../manifests/convert.js';
import { ClusterView } from './cluster-view.js';
import { loadKubeConfig } from './kube-config.js';
import { ObjectEventRecorder } from './object-events.js';
import type { KubernetesWatchOptions } from './provider-options.js';
import type { WatchedCollection } from './resource-watch.js';

export type KubernetesLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

export interface ClusterProviderDependencies {
  log?: KubernetesLog;
  /** A ready KubeConfig instead of one built from the options. */
  kubeConfig?: KubeConfig;
  /** First retry delay after a failed list/watch, ms (default 500). */
  backoffMs?: number;
  /** Watch and convert only: write nothing to the API (no Events, no Ingress status). Workers other than worker 1 of a multi-process Portico run so. */
  readOnly?: boolean;
}

export abstract class ClusterProvider implements Provider {
  abstract readonly name: 'kubernetescrd' | 'kubernetesingress' | 'kubernetesingressnginx' | 'kubernetesgateway';
  protected readonly kc: KubeConfig;
  protected readonly log: KubernetesLog;
  protected view: ClusterView | undefined;
  private readonly events: ObjectEventRecorder;
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private lastEmitted: string | undefined;
  /** The last snapshot, emitted or not. */
  latest: ProviderSnapshot | undefined;

  constructor(
    protected readonly options: KubernetesWatchOptions,
    private readonly deps: ClusterProviderDependencies = {},
  ) {
    this.kc = deps.kubeConfig ?? loadKubeConfig(options);
    const log = deps.log ?? (() => undefined);
    this.log = (level, msg) => log(level, `${this.name}: ${msg}`);
    this.events = new ObjectEventRecorder(this.kc, this.log);
  }

  /** True when this provider must not write to the API (ClusterProviderDependencies.readOnly). */
  protected get readOnly(): boolean {
    return this.deps.readOnly === true;
  }

  /** The collections to watch. */
  protected abstract collections(): WatchedCollection[];
  /** Convert what the view holds. */
  protected abstract convert(view: ClusterView): ManifestConversion;
  /** Extra problems to report (e.g. status writes), and side effects after a conversion. */
  protected afterConvert(_view: ClusterView, _conversion: ManifestConversion): ConfigError[] {
    return [];
  }

  /** Namespaces to watch: each configured one, or `undefined` for all. */
  protected namespaces(): Array<string | undefined> {
    return this.options.namespaces?.length ? [...new Set(this.options.namespaces)] : [undefined];
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    if (this.view) throw new Error(`${this.name} provider already started`);
    this.emit = emit;
    this.view = new ClusterView(this.kc, this.collections(), {
      throttleMs: parseDurationMs(this.options.throttleDuration ?? '2s', 'throttleDuration'),
      resyncMs: parseDurationMs(this.options.resyncPeriod ?? '10m', 'resyncPeriod'),
      backoffMs: this.deps.backoffMs,
      onUpdate: () => this.refresh(),
      log: (level, msg) => this.log(level, msg),
    });
    await this.view.start();
  }

  async stop(): Promise<void> {
    await this.view?.stop();
    this.emit = undefined;
  }

  /** Convert now and emit if anything differs from the last emitted snapshot. */
  protected refresh(): void {
    const view = this.view;
    if (!view) return;
    const conversion = this.convert(view);
    for (const e of conversion.errors) this.log('warn', `${e.source}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
    const extra = this.afterConvert(view, conversion);
    const byOrigin = new Map<string, KubernetesObject>();
    for (const w of view.watches) for (const o of w.list()) byOrigin.set(`${o.metadata?.namespace}/${o.kind}/${o.metadata?.name}`, o);
    if (!this.readOnly) void this.events.record(conversion.errors, (source) => byOrigin.get(source));
    const snapshot: ProviderSnapshot = {
      provider: this.name,
      config: conversion.config,
      errors: [...view.errors(this.name), ...extra, ...conversion.errors],
      origins: conversion.origins,
    };
    this.latest = snapshot;
    const text = JSON.stringify(snapshot);
    if (text === this.lastEmitted) return;
    this.lastEmitted = text;
    this.emit?.(snapshot);
  }
}
