/**
 * The Kubernetes providers (`kubernetescrd`, `kubernetesingress`): informers
 * from @kubernetes/client-node (list, then watch from the list's
 * resourceVersion; 410 Gone → relist) keep a cache of the objects Portico
 * reads, and every change — throttled, so a rollout is one rebuild — runs the
 * cache through the same manifest conversion the file provider uses. An
 * informer that fails (connection lost, RBAC denial) is restarted with
 * backoff; its error is logged and included in the snapshot.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubernetesObject, KubernetesListObject, Informer, ObjectCache } from '@kubernetes/client-node';
import type { Provider } from '../provider.js';
import type { ConfigError, ProviderSnapshot } from '../../dynamic/model.js';
import { convertManifests, type ManifestDocument } from '../manifests/convert.js';
import { parseDurationMs } from '../../config/duration.js';

export interface KubernetesProviderOptions {
  /** API server URL; with `token`, used instead of a kubeconfig. */
  endpoint?: string;
  token?: string;
  /** CA bundle for an https endpoint. */
  caFile?: string;
  insecureSkipVerify?: boolean;
  /** Path of a kubeconfig; default: in-cluster when in a pod, else $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Namespaces to watch; empty = all. */
  namespaces?: string[];
  /** Label selector for our CRD objects. */
  labelSelector?: string;
  allowCrossNamespace?: boolean;
  allowExternalNameServices?: boolean;
  nativeLB?: boolean;
  /** Coalesce bursts of events into one configuration (default 2s, as Traefik). */
  throttleDuration?: string | number;
  /** Also watch Traefik's traefik.io/v1alpha1 kinds. */
  traefikCompat?: boolean;
  /** For the Ingress provider: the class it answers (default "portico"). */
  ingressClass?: string;
  /** Ingress provider: copy this Service's load-balancer address (`namespace/name`) into each Ingress status. */
  publishedService?: string;
  /** Ingress provider: or write this address. */
  ingressEndpoint?: { ip?: string; hostname?: string };
}

export type KubernetesCrdProviderOptions = KubernetesProviderOptions;
export type KubernetesIngressProviderOptions = KubernetesProviderOptions;

const OPTION_KEYS = ['endpoint', 'token', 'caFile', 'insecureSkipVerify', 'kubeconfig', 'namespaces', 'labelSelector', 'allowCrossNamespace', 'allowExternalNameServices', 'nativeLB', 'throttleDuration', 'traefikCompat', 'ingressClass', 'publishedService', 'ingressEndpoint'];

/** Unknown options are errors naming their path, as in the rest of the static configuration. */
export function validateKubernetesOptions(options: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) problems.push(`${at}.${k}: unknown option`);
  if (options.namespaces !== undefined && !Array.isArray(options.namespaces)) problems.push(`${at}.namespaces: must be a list`);
  return problems;
}

/** The controller name our IngressClass objects carry (charts/portico/templates/ingressclass.yaml). */
export const PORTICO_INGRESS_CONTROLLER = 'portico.dev/ingress-controller';

const CRD_KINDS: Array<[kind: string, plural: string]> = [
  ['IngressRoute', 'ingressroutes'],
  ['Middleware', 'middlewares'],
  ['TLSStore', 'tlsstores'],
  ['TLSOption', 'tlsoptions'],
  ['ServersTransport', 'serverstransports'],
  ['TraefikService', 'traefikservices'],
];

interface WatchedResource {
  apiVersion: string;
  kind: string;
  path: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
}

export function loadKubeConfig(o: KubernetesProviderOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (o.endpoint) {
    kc.loadFromOptions({
      // The client refuses plain http:// unless TLS verification is "skipped" — there is none to skip.
      clusters: [{ name: 'portico', server: o.endpoint, skipTLSVerify: o.endpoint.startsWith('http://') || o.insecureSkipVerify === true, caFile: o.caFile }],
      users: [{ name: 'portico', token: o.token }],
      contexts: [{ name: 'portico', cluster: 'portico', user: 'portico' }],
      currentContext: 'portico',
    });
  } else if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export class KubernetesProvider implements Provider {
  private readonly informers: Array<{ resource: WatchedResource; informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>; backoff: number; error?: string }> = [];
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEmit = 0;
  private stopped = false;
  private readonly throttleMs: number;

  constructor(
    readonly name: 'kubernetescrd' | 'kubernetesingress',
    private readonly options: KubernetesProviderOptions,
    private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void = () => undefined,
    private readonly kc: k8s.KubeConfig = loadKubeConfig(options),
  ) {
    this.throttleMs = parseDurationMs(options.throttleDuration ?? '2s');
  }

  private resources(): WatchedResource[] {
    const kc = this.kc;
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const networking = kc.makeApiClient(k8s.NetworkingV1Api);
    const namespaces = this.options.namespaces?.length ? this.options.namespaces : [undefined];
    const out: WatchedResource[] = [];
    const groups = this.name === 'kubernetescrd' ? ['portico.dev', ...(this.options.traefikCompat ? ['traefik.io'] : [])] : [];
    for (const ns of namespaces) {
      const nsPath = ns ? `/namespaces/${ns}` : '';
      for (const group of groups)
        for (const [kind, plural] of CRD_KINDS)
          out.push({
            apiVersion: `${group}/v1alpha1`,
            kind,
            path: `/apis/${group}/v1alpha1${nsPath}/${plural}`,
            labelSelector: this.options.labelSelector || undefined,
            list: () =>
              (ns
                ? custom.listNamespacedCustomObject({ group, version: 'v1alpha1', namespace: ns, plural, labelSelector: this.options.labelSelector || undefined })
                : custom.listClusterCustomObject({ group, version: 'v1alpha1', plural, labelSelector: this.options.labelSelector || undefined })) as Promise<KubernetesListObject<KubernetesObject>>,
          });
      out.push(
        { apiVersion: 'v1', kind: 'Secret', path: `/api/v1${nsPath}/secrets`, list: () => (ns ? core.listNamespacedSecret({ namespace: ns }) : core.listSecretForAllNamespaces()) as Promise<KubernetesListObject<KubernetesObject>> },
        { apiVersion: 'v1', kind: 'Service', path: `/api/v1${nsPath}/services`, list: () => (ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces()) as Promise<KubernetesListObject<KubernetesObject>> },
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          path: `/apis/discovery.k8s.io/v1${nsPath}/endpointslices`,
          list: () => (ns ? discovery.listNamespacedEndpointSlice({ namespace: ns }) : discovery.listEndpointSliceForAllNamespaces()) as Promise<KubernetesListObject<KubernetesObject>>,
        },
      );
      if (this.name === 'kubernetesingress' && ns === namespaces[0])
        out.push({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'IngressClass',
          path: '/apis/networking.k8s.io/v1/ingressclasses',
          list: () => networking.listIngressClass() as Promise<KubernetesListObject<KubernetesObject>>,
        });
      if (this.name === 'kubernetesingress')
        out.push({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          path: `/apis/networking.k8s.io/v1${nsPath}/ingresses`,
          list: () => (ns ? networking.listNamespacedIngress({ namespace: ns }) : networking.listIngressForAllNamespaces()) as Promise<KubernetesListObject<KubernetesObject>>,
        });
    }
    return out;
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    this.emit = emit;
    const started: Array<Promise<void>> = [];
    for (const resource of this.resources()) {
      const informer = k8s.makeInformer(this.kc, resource.path, resource.list, resource.labelSelector);
      const entry = { resource, informer, backoff: 500, error: undefined as string | undefined };
      this.informers.push(entry);
      const changed = () => {
        entry.error = undefined;
        entry.backoff = 500;
        this.schedule();
      };
      informer.on('add', changed);
      informer.on('update', changed);
      informer.on('delete', changed);
      informer.on('error', (err: unknown) => {
        entry.error = describeError(err, resource);
        this.log('warn', `kubernetes: ${entry.error}; retrying in ${entry.backoff} ms`);
        this.schedule();
        if (this.stopped) return;
        setTimeout(() => {
          if (!this.stopped) void informer.start().catch(() => undefined);
        }, entry.backoff).unref();
        entry.backoff = Math.min(entry.backoff * 2, 30_000);
      });
      started.push(informer.start().catch(() => undefined));
    }
    await Promise.all(started);
    this.flush();
    // Periodic resync: relist everything now and then, so a missed event can never stick.
    this.resync = setInterval(() => {
      for (const i of this.informers) void i.informer.stop().then(() => i.informer.start()).catch(() => undefined);
    }, this.resyncMs).unref();
  }

  private resync: NodeJS.Timeout | undefined;
  private readonly resyncMs = 10 * 60_000;

  private schedule(): void {
    if (this.timer || this.stopped) return;
    const wait = Math.max(0, this.throttleMs - (Date.now() - this.lastEmit));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Convert everything the informers hold into one snapshot. */
  flush(): ProviderSnapshot {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastEmit = Date.now();
    const docs: ManifestDocument[] = [];
    const errors: ConfigError[] = [];
    for (const { resource, informer, error } of this.informers) {
      if (error) errors.push({ provider: this.name, source: resource.path, path: '', message: error });
      for (const o of informer.list()) {
        // kubernetesCRD.ingressClass: only our objects annotated with that class (Traefik's rule).
        const cls = this.name === 'kubernetescrd' && this.options.ingressClass ? o.metadata?.annotations?.['kubernetes.io/ingress.class'] : undefined;
        if (this.name === 'kubernetescrd' && this.options.ingressClass && resource.apiVersion.endsWith('/v1alpha1') && cls !== this.options.ingressClass) continue;
        // List responses omit kind/apiVersion on items; the informer knows what it watches.
        const object = { ...(o as object), apiVersion: resource.apiVersion, kind: resource.kind } as KubernetesObject;
        docs.push({ source: `${o.metadata?.namespace ?? 'default'}/${resource.kind}/${o.metadata?.name}`, object });
      }
    }
    docs.sort((a, b) => a.source.localeCompare(b.source));
    const converted = convertManifests(docs, {
      provider: this.name,
      apiGroups: ['portico.dev', ...(this.options.traefikCompat ? ['traefik.io'] : [])],
      allowCrossNamespace: this.options.allowCrossNamespace ?? false,
      allowExternalNameServices: this.options.allowExternalNameServices ?? false,
      nativeLB: this.options.nativeLB ?? false,
      ingressClass: this.name === 'kubernetesingress' ? this.ingressClasses(docs) : undefined,
      log: (level, msg) => this.log(level, msg),
    });
    for (const e of converted.errors) this.log('error', `kubernetes: ${e.source}: ${e.path}: ${e.message}`);
    void this.reportEvents(converted.errors);
    if (this.name === 'kubernetesingress') void this.writeIngressStatus(docs);
    const snapshot: ProviderSnapshot = { provider: this.name, config: converted.config, errors: [...errors, ...converted.errors] };
    this.emit?.(snapshot);
    return snapshot;
  }

  /** The configured class plus every IngressClass whose controller is ours. */
  private ingressClasses(docs: ManifestDocument[]): string[] {
    const classes = new Set([this.options.ingressClass ?? 'portico']);
    for (const d of docs) {
      const o = d.object as { kind?: string; metadata?: { name?: string }; spec?: { controller?: string } };
      if (o.kind === 'IngressClass' && o.spec?.controller === PORTICO_INGRESS_CONTROLLER && o.metadata?.name) classes.add(o.metadata.name);
    }
    return [...classes];
  }

  private readonly reported = new Map<string, string>();

  /** A Warning Event on each of our objects that has a problem — once per distinct message, not on every resync. */
  private async reportEvents(errors: ConfigError[]): Promise<void> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    for (const e of errors) {
      const m = /^([^/]+)\/(IngressRoute|Middleware|TLSStore|TLSOption|ServersTransport|TraefikService|Ingress)\/(.+)$/.exec(e.source);
      if (!m) continue;
      const [, namespace, kind, name] = m as unknown as [string, string, string, string];
      const message = `${e.path ? e.path + ': ' : ''}${e.message}`;
      const key = `${namespace}/${kind}/${name}`;
      if (this.reported.get(key) === message) continue;
      this.reported.set(key, message);
      const now = new Date();
      try {
        await core.createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${name}.`, namespace },
            involvedObject: { apiVersion: kind === 'Ingress' ? 'networking.k8s.io/v1' : 'portico.dev/v1alpha1', kind, name, namespace },
            reason: 'InvalidConfiguration',
            message: message.slice(0, 1000),
            type: 'Warning',
            source: { component: 'portico' },
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (err) {
        this.log('debug', `kubernetes: could not record an Event for ${key}: ${(err as Error).message}`);
      }
    }
  }

  private readonly statusWritten = new Map<string, string>();

  /** status.loadBalancer of the Ingresses we serve: from publishedService's load balancer, or a configured address. */
  private async writeIngressStatus(docs: ManifestDocument[]): Promise<void> {
    let ingress: Array<{ ip?: string; hostname?: string }> | undefined;
    if (this.options.publishedService) {
      const svc = docs.find((d) => d.source === `${this.options.publishedService!.split('/')[0]}/Service/${this.options.publishedService!.split('/')[1]}`);
      ingress = ((svc?.object as { status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } })?.status?.loadBalancer?.ingress) ?? undefined;
    } else if (this.options.ingressEndpoint) ingress = [this.options.ingressEndpoint];
    if (!ingress) return;
    const networking = this.kc.makeApiClient(k8s.NetworkingV1Api);
    const wanted = this.ingressClasses(docs);
    for (const d of docs) {
      const o = d.object as k8s.V1Ingress & { kind: string };
      if (o.kind !== 'Ingress') continue;
      const cls = o.spec?.ingressClassName ?? o.metadata?.annotations?.['kubernetes.io/ingress.class'];
      if (cls === undefined || !wanted.includes(cls)) continue;
      const key = d.source;
      const value = JSON.stringify(ingress);
      if (this.statusWritten.get(key) === value || JSON.stringify(o.status?.loadBalancer?.ingress ?? []) === value) continue;
      try {
        await networking.replaceNamespacedIngressStatus({
          name: o.metadata!.name!,
          namespace: o.metadata!.namespace ?? 'default',
          body: { ...o, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', status: { loadBalancer: { ingress } } },
        });
        this.statusWritten.set(key, value);
      } catch (err) {
        this.log('warn', `kubernetes: cannot write status of Ingress ${key}: ${(err as Error).message}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
    await Promise.all(this.informers.map((i) => i.informer.stop().catch(() => undefined)));
  }
}

function describeError(err: unknown, resource: WatchedResource): string {
  const e = err as { code?: number; statusCode?: number; message?: string; body?: unknown };
  const code = e.code ?? e.statusCode;
  if (code === 403)
    return `RBAC: Portico may not list/watch ${resource.kind} (${resource.path}); grant "list" and "watch" on it to Portico's service account`;
  if (code === 404) return `${resource.path} does not exist: are the CRDs installed? (kubectl apply -f charts/portico/crds/)`;
  return `watching ${resource.path} failed: ${e.message ?? String(err)}`;
}
