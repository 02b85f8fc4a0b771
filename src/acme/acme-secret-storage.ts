/**
 * ACME storage in a Kubernetes Secret (`storage: kubernetes://<namespace>/<name>`),
 * so several replicas share one account and one set of certificates: the
 * Secret's `acme.json` key holds the same document as Traefik's file (one
 * entry per resolver). Every replica keeps a watch on it (the providers' own
 * list/watch, src/provider/kubernetes/resource-watch.ts) and serves what it
 * holds, live; the replica holding the Lease (acme-lease.ts) writes it, each
 * write a read-modify-replace on the current resourceVersion, retried on a
 * conflict, so a write never drops another resolver's entry.
 */
import * as k8s from '@kubernetes/client-node';
import { describeApiError, statusOf } from '../provider/kubernetes/api-error.js';
import { builtinCollection } from '../provider/kubernetes/collections.js';
import { ResourceWatch } from '../provider/kubernetes/resource-watch.js';
import { AcmeStorageError, fromTraefik, parseTraefikDocument, toTraefik, type AcmeStorage, type ResolverStorage, type TraefikFile } from './acme-storage.js';

/** The Secret's data key (Traefik's file name). */
export const SECRET_KEY = 'acme.json';
/** A write that keeps meeting newer versions gives up after this many tries (the next order retries). */
const MAX_WRITE_ATTEMPTS = 5;

export interface SecretStorageEvents {
  /** The Secret's content changed (another replica wrote it, or it was edited). */
  onChange(): void;
  /** The watch failed (a message), or recovered (undefined). */
  onError(message: string | undefined): void;
  log(level: 'debug' | 'warn', msg: string): void;
}

export class AcmeSecretStorage implements AcmeStorage {
  readonly path: string;
  private readonly core: k8s.CoreV1Api;
  private watch: ResourceWatch | undefined;
  private text: string | undefined;
  private doc: TraefikFile = {};
  private docError: string | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly kc: k8s.KubeConfig,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.path = `kubernetes://${namespace}/${name}`;
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  /** Start watching; resolves after the first list (whatever its outcome: the watch keeps trying). */
  async start(events: SecretStorageEvents): Promise<void> {
    this.watch = new ResourceWatch(this.kc, builtinCollection(this.kc, 'Secret', this.namespace), {
      onChange: () => {
        const secret = this.watch!.list().find((o) => o.metadata?.name === this.name) as k8s.V1Secret | undefined;
        if (this.take(secret)) events.onChange();
      },
      onError: (message) => events.onError(message && `ACME storage ${this.path}: ${message}`),
      log: events.log,
    });
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  read(resolver: string): ResolverStorage {
    if (this.docError) throw new AcmeStorageError(this.docError);
    return fromTraefik(this.doc[resolver], this.path, resolver);
  }

  write(resolver: string, data: ResolverStorage): Promise<void> {
    const next = this.writes.catch(() => undefined).then(() => this.replace(resolver, data));
    this.writes = next;
    return next;
  }

  /** Take the Secret's content as the current document; true when it changed. */
  private take(secret: k8s.V1Secret | undefined): boolean {
    const encoded = secret?.data?.[SECRET_KEY];
    const text = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
    if (text === this.text) return false;
    this.text = text;
    try {
      this.doc = parseTraefikDocument(text, this.path);
      this.docError = undefined;
    } catch (err) {
      this.docError = (err as Error).message;
    }
    return true;
  }

  private async replace(resolver: string, data: ResolverStorage): Promise<void> {
    const { namespace, name } = this;
    for (let attempt = 1; ; attempt++) {
      let current: k8s.V1Secret | undefined;
      try {
        current = await this.core.readNamespacedSecret({ name, namespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw new AcmeStorageError(describeApiError(err, { verb: 'list', resource: 'secrets', namespace }));
      }
      const encoded = current?.data?.[SECRET_KEY];
      const doc = encoded ? parseTraefikDocument(Buffer.from(encoded, 'base64').toString('utf8'), this.path) : {};
      doc[resolver] = toTraefik(data);
      const text = JSON.stringify(doc, null, 2) + '\n';
      const body: k8s.V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: current?.type ?? 'Opaque',
        metadata: current ? { ...current.metadata } : { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'portico' } },
        data: { ...current?.data, [SECRET_KEY]: Buffer.from(text).toString('base64') },
      };
      try {
        const written = current
          ? await this.core.replaceNamespacedSecret({ name, namespace, body })
          : await this.core.createNamespacedSecret({ namespace, body });
        this.take(written);
        return;
      } catch (err) {
        // 409: someone wrote in between (or created it first): read again and reapply this resolver's entry.
        if (statusOf(err) === 409 && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw new AcmeStorageError(describeApiError(err, { verb: current ? 'update' : 'create', resource: 'secrets', namespace }));
      }
    }
  }
}
