/**
 * A cache of one collection of the Kubernetes API (one resource, one
 * namespace or all), kept current the way client-go's reflector does it:
 * list in pages, then watch from the list's resourceVersion with bookmarks,
 * resume from the last version seen when the stream ends, relist when the
 * server says that version is gone (410, as an HTTP status or a watch ERROR
 * event), retry failures with exponential backoff, and relist now and then so
 * a missed event can never stick.
 *
 * The HTTP work is the client library's: its typed list calls and its Watch.
 */
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describeApiError, statusOf, type ApiAction } from './api-error.js';

export interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string; _continue?: string };
  items: KubernetesObject[];
}

export interface WatchedCollection {
  /** The kind and apiVersion of the items (list items come without them). */
  kind: string;
  apiVersion: string;
  /** Resource plural with its group, for messages: `ingressroutes.portico.dev`. */
  resource: string;
  namespace?: string;
  /** Collection path for watches: `/apis/portico.dev/v1alpha1/namespaces/shop/ingressroutes`. */
  path: string;
  labelSelector?: string;
  /** One page of the list. */
  list(page: { limit: number; continue?: string; labelSelector?: string }): Promise<ListPage>;
}

export interface ResourceWatchOptions {
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** Full relist period, ms (default 10 minutes). */
  resyncMs?: number;
  /** First retry delay after a failure, ms (default 500), doubled up to `maxBackoffMs` (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Ask the server to end each watch after this long, seconds (default 5–10 min, randomized so watches do not end together). */
  watchTimeoutSeconds?: number;
  /** Called after every change of the cache (add, update, delete, relist that changed something). */
  onChange: () => void;
  /** Called when the error state changes (a message, or undefined when healthy again). */
  onError: (message: string | undefined) => void;
  log?: (level: 'debug' | 'warn', msg: string) => void;
}

type WatchEnd = { kind: 'closed' } | { kind: 'gone' } | { kind: 'failed'; error: unknown };

export class ResourceWatch {
  private readonly objects = new Map<string, KubernetesObject>();
  private resourceVersion = '';
  private stopped = false;
  private running: Promise<void> | undefined;
  private abortWatch: (() => void) | undefined;
  private wakeUp: (() => void) | undefined;
  private relistRequested = false;
  private backoff = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private firstAttempt: { promise: Promise<void>; resolve: () => void };
  /** The current problem, if the last attempt failed. */
  error: string | undefined;
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, relistsAfterGone: 0, bookmarks: 0 };

  constructor(
    private readonly kc: KubeConfig,
    readonly collection: WatchedCollection,
    private readonly options: ResourceWatchOptions,
  ) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstAttempt = { promise, resolve };
  }

  /** Start; resolves once the first list has succeeded or failed (the loop keeps trying in the background). */
  start(): Promise<void> {
    this.running ??= this.run();
    const resync = this.options.resyncMs ?? 10 * 60_000;
    this.resyncTimer = setInterval(() => this.resync(), resync);
    this.resyncTimer.unref();
    return this.firstAttempt.promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.abortWatch?.();
    this.wakeUp?.();
    // A list call cannot be aborted; do not let a hung API server hold up shutdown for long.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  /** Relist now (ends the current watch). */
  resync(): void {
    this.relistRequested = true;
    this.abortWatch?.();
    this.wakeUp?.();
  }

  /** The cached objects, each with its kind and apiVersion. */
  list(): KubernetesObject[] {
    return [...this.objects.values()];
  }

  get latestResourceVersion(): string {
    return this.resourceVersion;
  }

  private async run(): Promise<void> {
    const initialBackoff = this.options.backoffMs ?? 500;
    this.backoff = initialBackoff;
    while (!this.stopped) {
      let verb: ApiAction['verb'] = 'list';
      try {
        if (!this.resourceVersion || this.relistRequested) {
          this.relistRequested = false;
          await this.relist();
          this.setError(undefined);
          this.firstAttempt.resolve();
        }
        verb = 'watch';
        const startedAt = Date.now();
        const end = await this.watchOnce();
        if (end.kind === 'gone') {
          // The server no longer has our version: start over from a fresh list, at once.
          this.stats.relistsAfterGone++;
          this.options.log?.('debug', `${this.label()}: resourceVersion ${this.resourceVersion} is gone (410); relisting`);
          this.resourceVersion = '';
          continue;
        }
        if (end.kind === 'failed') throw end.error;
        this.setError(undefined);
        // A watch that ends at once, again and again, must not turn into a busy loop.
        if (!this.relistRequested && Date.now() - startedAt < 1000)
          await this.sleep((this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 30_000)));
        else this.backoff = initialBackoff;
      } catch (err) {
        if (this.stopped) break;
        if (statusOf(err) === 410) {
          this.stats.relistsAfterGone++;
          this.resourceVersion = '';
          continue;
        }
        this.setError(describeApiError(err, { verb, resource: this.collection.resource, namespace: this.collection.namespace }));
        this.options.log?.('warn', `${this.error}; retrying in ${this.backoff} ms`);
        this.firstAttempt.resolve();
        await this.sleep(this.backoff);
        this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 30_000);
      }
    }
    this.firstAttempt.resolve();
  }

  /** List every page, then replace the cache; report a change only if something differs. */
  private async relist(): Promise<void> {
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    let version = '';
    do {
      this.stats.lists++;
      const page = await this.collection.list({ limit: this.options.pageSize ?? 500, continue: cont, labelSelector: this.collection.labelSelector });
      items.push(...(page.items ?? []));
      version = page.metadata?.resourceVersion ?? version;
      cont = page.metadata?._continue || page.metadata?.continue || undefined;
    } while (cont && !this.stopped);
    let changed = false;
    const seen = new Set<string>();
    for (const raw of items) {
      const o = this.withType(raw);
      const key = keyOf(o);
      seen.add(key);
      const old = this.objects.get(key);
      if (!old || old.metadata?.resourceVersion !== o.metadata?.resourceVersion || !o.metadata?.resourceVersion) changed = true;
      this.objects.set(key, o);
    }
    for (const key of [...this.objects.keys()])
      if (!seen.has(key)) {
        this.objects.delete(key);
        changed = true;
      }
    this.resourceVersion = version;
    if (changed) this.options.onChange();
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let settled = false;
      let gone = false;
      let failure: unknown;
      let established = false;
      const finish = (end: WatchEnd) => {
        if (settled) return;
        settled = true;
        this.abortWatch = undefined;
        resolve(end);
      };
      const controllerRef: { abort?: () => void } = {};
      this.abortWatch = () => {
        controllerRef.abort?.();
        finish({ kind: 'closed' });
      };
      if (this.stopped || this.relistRequested) return finish({ kind: 'closed' });
      this.stats.watches++;
      const timeout = this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      const params: Record<string, string | number | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: timeout };
      if (this.collection.labelSelector) params.labelSelector = this.collection.labelSelector;
      new Watch(this.kc)
        .watch(
          this.collection.path,
          params,
          (type: string, object: KubernetesObject & { code?: number; message?: string }) => {
            if (settled) return;
            switch (type) {
              case 'ADDED':
              case 'MODIFIED':
                this.objects.set(keyOf(object), this.withType(object));
                break;
              case 'DELETED':
                this.objects.delete(keyOf(object));
                break;
              case 'BOOKMARK':
                // Nothing changed, but later watches may resume from here instead of an older, compacted version.
                this.stats.bookmarks++;
                this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
                return;
              case 'ERROR':
                if (object.code === 410) gone = true;
                else failure = Object.assign(new Error(object.message ?? 'watch error'), { code: object.code });
                controllerRef.abort?.();
                return;
              default:
                return;
            }
            this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
            this.options.onChange();
          },
          (err: unknown) => {
            if (gone || statusOf(err) === 410) finish({ kind: 'gone' });
            else if (failure) finish({ kind: 'failed', error: failure });
            // An aborted request is how we end a watch ourselves; a stream cut mid-flight is resumed like a clean end.
            else if (err && !isAbort(err) && !(established && isDroppedStream(err))) finish({ kind: 'failed', error: err });
            else finish({ kind: 'closed' });
          },
        )
        .then((controller) => {
          controllerRef.abort = () => controller.abort();
          if (settled || gone || failure) return controller.abort();
          // The server accepted the watch: whatever failed before is over.
          established = true;
          this.setError(undefined);
          this.backoff = this.options.backoffMs ?? 500;
        })
        .catch((err: unknown) => finish({ kind: 'failed', error: err }));
    });
  }

  private withType(o: KubernetesObject): KubernetesObject {
    return { ...o, apiVersion: this.collection.apiVersion, kind: this.collection.kind };
  }

  private setError(message: string | undefined): void {
    if (message === this.error) return;
    this.error = message;
    this.options.onError(message);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  private label(): string {
    return `${this.collection.resource} ${this.collection.namespace ? `in ${this.collection.namespace}` : '(all namespaces)'}`;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

function isDroppedStream(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (err instanceof Error && /premature close|socket hang up|aborted/i.test(err.message))
  );
}

function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}
