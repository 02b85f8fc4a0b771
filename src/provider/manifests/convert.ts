/**
 * Kubernetes manifests → dynamic configuration. Shared by the file provider
 * (the YAML a user applies to a cluster runs the same locally) and the
 * Kubernetes providers (which feed it what their informers hold). Names
 * follow Traefik's conventions and stay unqualified: the merge layer appends
 * `@<provider>`. Every problem names the object and field; a bad object is
 * left out whole and the rest still converts.
 */
import { emptyDynamicConfig, type CertificateRef, type ConfigError, type DynamicConfig } from '../../dynamic/model.js';
import { emptyTcpConfig } from '../../dynamic/tcp-model.js';
import { objectKey, type IndexedObject, type KubeObject } from './kube-objects.js';
import { ServiceDirectory } from './service-directory.js';
import { Problem, certificateFromSecret, normalizeName, stagingConfig, type ConversionContext, type ObjectIndex } from './conversion-context.js';
import { convertIngressRoute } from './ingress-route.js';
import { convertIngressRouteUdp } from './ingress-route-udp.js';
import { convertIngressRouteTcp, stagedTcp } from './ingress-route-tcp.js';
import { convertMiddlewareTcp } from './middleware-tcp.js';
import { convertServersTransportTcp } from './servers-transport-tcp.js';
import { convertMiddleware } from './middleware.js';
import { convertTlsOption, convertTlsStore } from './tls.js';
import { convertServersTransport } from './servers-transport.js';
import { convertTraefikService } from './traefik-service.js';
import { convertIngress, ingressClassOf } from './ingress.js';
import { convertNginxIngress, planNginxIngresses } from './ingress-nginx/nginx-ingress.js';

export interface ManifestDocument {
  /** File path, or `namespace/Kind/name` for objects read from the API. */
  source: string;
  line?: number;
  object: unknown;
}

export interface ManifestConversionOptions {
  /** `file`, `kubernetescrd` or `kubernetesingress`: names the provider in errors and in `name@provider` checks. */
  provider: string;
  /** Accepted CRD groups, e.g. ['portico.dev', 'traefik.io']; each kind is read as `<group>/v1alpha1`. */
  apiGroups: string[];
  /** References (services, middlewares, TLS options, …) into other namespaces. */
  allowCrossNamespace?: boolean;
  allowExternalNameServices?: boolean;
  /** Use each Service's ClusterIP instead of its endpoints. */
  nativeLB?: boolean;
  /** Convert networking.k8s.io/v1 Ingress objects of this class, or these classes (unset: Ingress objects are skipped). */
  ingressClass?: string | string[];
  /** Also convert Ingress objects that name no class (one of our IngressClasses is the cluster default). */
  ingressWithoutClass?: boolean;
  /**
   * Convert Ingress objects of these classes as ingress-nginx serves them
   * (src/provider/manifests/ingress-nginx/): the kubernetesIngressNGINX
   * provider, and the file provider when that provider is configured.
   */
  nginxIngress?: NginxIngressSelection;
  /**
   * Providers whose objects this one reads too: the file provider running cluster YAML
   * stands in for `kubernetescrd` and `kubernetesingress`, so `x@kubernetescrd` names its own `x`.
   */
  standsInFor?: readonly string[];
  /** Services defined natively by the same provider that a reference may name when no Service manifest exists. */
  nativeServiceNames?: ReadonlySet<string>;
  log?: (level: 'debug' | 'warn', msg: string) => void;
}

export interface NginxIngressSelection {
  classes: string[];
  /** Also Ingresses that name no class (watchIngressWithoutClass). */
  withoutClass: boolean;
  /** The routers' entry points (httpEntryPoint/httpsEntryPoint); unset: all. */
  entryPoints?: string[];
  /** enableSSLPassthrough: the ssl-passthrough annotation makes TCP passthrough routers (on httpsEntryPoint when set). */
  sslPassthrough?: boolean;
  httpsEntryPoint?: string;
}

export interface ManifestConversion {
  config: DynamicConfig;
  errors: ConfigError[];
  /** `http.routers.<name>` (etc.) → the source of the object that produced it, for ProviderSnapshot.origins. */
  origins: Record<string, string>;
}

const CRD_KINDS = new Set([
  'IngressRoute',
  'IngressRouteTCP',
  'IngressRouteUDP',
  'Middleware',
  'MiddlewareTCP',
  'TLSStore',
  'TLSOption',
  'ServersTransport',
  'ServersTransportTCP',
  'TraefikService',
]);
const CORE_KINDS: Record<string, string> = { Secret: 'v1', Service: 'v1', Endpoints: 'v1', EndpointSlice: 'discovery.k8s.io/v1' };

export function convertManifests(docs: ManifestDocument[], opts: ManifestConversionOptions): ManifestConversion {
  const errors: ConfigError[] = [];
  const objects = selectObjects(docs, opts, errors);
  const byKind = (kind: string) => objects.filter((x) => x.object.kind === kind);
  const keys = (kind: string) => new Set(byKind(kind).map((x) => objectKey(x.object)));
  const index: ObjectIndex = {
    directory: new ServiceDirectory(objects),
    secrets: new Map(byKind('Secret').map((x) => [objectKey(x.object), x.object])),
    traefikServices: keys('TraefikService'),
    middlewares: keys('Middleware'),
    serversTransports: keys('ServersTransport'),
    tlsOptions: keys('TLSOption'),
    middlewaresTcp: keys('MiddlewareTCP'),
    serversTransportsTcp: keys('ServersTransportTCP'),
    ingressRoutes: new Map(byKind('IngressRoute').map((x) => [objectKey(x.object), x.object])),
  };
  const config = emptyDynamicConfig();
  const origins: Record<string, string> = {};
  const certificateSeen = new Set<string>();
  const fail = (item: IndexedObject, source: string, err: unknown) => {
    if (!(err instanceof Problem)) throw err;
    errors.push({ provider: opts.provider, source, path: err.field, message: err.message, ...(item.line !== undefined ? { line: item.line } : {}) });
  };

  // `default` TLSOption/TLSStore is global: defined in two namespaces, neither is used (Traefik's rule).
  const defaults = (kind: string) => byKind(kind).filter((x) => x.object.metadata.name === 'default');
  const ambiguousDefault = new Set<IndexedObject>();
  for (const kind of ['TLSOption', 'TLSStore']) {
    const all = defaults(kind);
    if (all.length > 1) for (const x of all) ambiguousDefault.add(x);
  }

  const nginxIngresses = objects.filter((x) => x.object.kind === 'Ingress' && ingressConverter(x.object, opts) === 'nginx').map((x) => x.object);
  const nginxPlan = nginxIngresses.length ? planNginxIngresses(nginxIngresses) : undefined;

  for (const item of objects) {
    const o = item.object;
    if (!CRD_KINDS.has(o.kind) && o.kind !== 'Ingress' && !isServedSecret(o)) continue;
    const ns = o.metadata.namespace!;
    const label = `${ns}/${o.kind}/${o.metadata.name}`;
    const source = item.source === label ? label : `${item.source} (${label})`;
    const ctx: ConversionContext = { opts, index, ns, name: o.metadata.name!, staged: stagingConfig(), partial: [] };
    const certificates: CertificateRef[] = [];
    const id = normalizeName(`${ns}-${o.metadata.name}`);
    try {
      if (ambiguousDefault.has(item)) {
        const namespaces = defaults(o.kind).map((x) => x.object.metadata.namespace);
        throw new Problem(
          'metadata.name',
          `a ${o.kind} named "default" exists in namespaces ${namespaces.join(', ')}; keep only one (none is used until then)`,
        );
      }
      switch (o.kind) {
        case 'IngressRoute':
          convertIngressRoute(o, ctx, certificates);
          break;
        case 'IngressRouteTCP':
          convertIngressRouteTcp(o, ctx, certificates);
          break;
        case 'IngressRouteUDP':
          convertIngressRouteUdp(o, ctx);
          break;
        case 'MiddlewareTCP':
          stagedTcp(ctx).middlewares[id] = convertMiddlewareTcp(o);
          break;
        case 'ServersTransportTCP':
          stagedTcp(ctx).serversTransports[id] = convertServersTransportTcp(o, ctx);
          break;
        case 'Middleware':
          ctx.staged.http.middlewares[id] = convertMiddleware(o, ctx);
          break;
        case 'TLSOption':
          ctx.staged.tls.options[o.metadata.name === 'default' ? 'default' : id] = convertTlsOption(o, ctx);
          break;
        case 'TLSStore': {
          const store = convertTlsStore(o, ctx, certificates);
          if (store) ctx.staged.tls.stores.default = store;
          break;
        }
        case 'ServersTransport':
          ctx.staged.http.serversTransports[id] = convertServersTransport(o, ctx);
          break;
        case 'TraefikService':
          ctx.staged.http.services[id] = convertTraefikService(o, ctx);
          break;
        case 'Ingress': {
          const converter = ingressConverter(o, opts);
          if (converter === 'nginx') convertNginxIngress(o, ctx, certificates, nginxPlan!, opts.nginxIngress);
          else if (converter === 'portico') convertIngress(o, ctx, certificates);
          else continue;
          break;
        }
        case 'Secret':
          certificates.push(certificateFromSecret(ns, o.metadata.name!, ctx, 'data'));
          break;
      }
      commit(ctx.staged, config, origins, item.source === label ? label : item.source);
      for (const c of certificates) {
        const key = `${c.certFile}\0${c.keyFile}`;
        if (certificateSeen.has(key)) continue;
        certificateSeen.add(key);
        config.tls.certificates.push(c);
      }
    } catch (err) {
      fail(item, source, err);
    }
    for (const p of ctx.partial) fail(item, source, p);
  }
  return { config, errors, origins };
}

/** A TLS Secret that asks to be served from the default store without any route referring to it. */
export const SERVED_SECRET_ANNOTATION = 'portico.dev/tls-certificate';

function isServedSecret(o: KubeObject): boolean {
  return o.kind === 'Secret' && o.type === 'kubernetes.io/tls' && o.metadata.annotations?.[SERVED_SECRET_ANNOTATION] === 'true';
}

/** Objects of kinds this conversion reads, with their namespace defaulted; the rest skipped with a debug line. */
function selectObjects(docs: ManifestDocument[], opts: ManifestConversionOptions, errors: ConfigError[]): IndexedObject[] {
  const out: IndexedObject[] = [];
  for (const d of docs) {
    const o = d.object as KubeObject | null;
    if (!o || typeof o !== 'object' || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
      errors.push({
        provider: opts.provider,
        source: d.source,
        path: '',
        message: 'not a Kubernetes object: apiVersion and kind are required',
        ...(d.line !== undefined ? { line: d.line } : {}),
      });
      continue;
    }
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const known =
      (CRD_KINDS.has(o.kind) && opts.apiGroups.includes(group!) && version === 'v1alpha1') ||
      CORE_KINDS[o.kind] === o.apiVersion ||
      (o.kind === 'Ingress' && o.apiVersion === 'networking.k8s.io/v1' && (opts.ingressClass !== undefined || opts.nginxIngress !== undefined));
    if (!known) {
      opts.log?.('debug', `${d.source}: skipping ${o.apiVersion} ${o.kind} ${o.metadata?.name ?? ''} (not a kind this provider reads)`);
      continue;
    }
    if (!o.metadata || typeof o.metadata.name !== 'string' || !o.metadata.name) {
      errors.push({
        provider: opts.provider,
        source: d.source,
        path: 'metadata.name',
        message: `${o.kind} without metadata.name`,
        ...(d.line !== undefined ? { line: d.line } : {}),
      });
      continue;
    }
    out.push({ object: { ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace || 'default' } }, source: d.source, line: d.line });
  }
  return out;
}

/** Which conversion an Ingress takes: ours (Portico/Traefik annotations), ingress-nginx's, or none. */
function ingressConverter(o: KubeObject, opts: ManifestConversionOptions): 'portico' | 'nginx' | undefined {
  const cls = ingressClassOf(o);
  const classes = ([] as string[]).concat(opts.ingressClass ?? []);
  if (opts.ingressClass !== undefined && (cls === undefined ? opts.ingressWithoutClass === true : classes.includes(cls))) return 'portico';
  const nginx = opts.nginxIngress;
  if (nginx && (cls === undefined ? nginx.withoutClass : nginx.classes.includes(cls))) return 'nginx';
  const all = [...classes, ...(nginx?.classes ?? [])];
  opts.log?.(
    'debug',
    `Ingress ${o.metadata.namespace}/${o.metadata.name}: class "${cls ?? ''}" is not ${all.map((c) => `"${c}"`).join(' or ') || 'ours'}, skipped`,
  );
  return undefined;
}

/**
 * Move one object's output into the configuration. Services shared by several
 * objects (`<ns>-<service>-<port>`) are identical by construction; a different
 * object under a taken name is a conflict, reported on the later object.
 */
function commit(staged: DynamicConfig, config: DynamicConfig, origins: Record<string, string>, source: string): void {
  const stagedTcp = staged.tcp ?? emptyTcpConfig();
  const tcp = (config.tcp ??= emptyTcpConfig());
  const sections = [
    ['http.routers', staged.http.routers, config.http.routers],
    ['http.services', staged.http.services, config.http.services],
    ['http.middlewares', staged.http.middlewares, config.http.middlewares],
    ['http.serversTransports', staged.http.serversTransports, config.http.serversTransports],
    ['udp.routers', staged.udp.routers, config.udp.routers],
    ['udp.services', staged.udp.services, config.udp.services],
    ['tcp.routers', stagedTcp.routers, tcp.routers],
    ['tcp.services', stagedTcp.services, tcp.services],
    ['tcp.middlewares', stagedTcp.middlewares, tcp.middlewares],
    ['tcp.serversTransports', stagedTcp.serversTransports, tcp.serversTransports],
    ['tls.options', staged.tls.options, config.tls.options],
    ['tls.stores', staged.tls.stores, config.tls.stores],
  ] as const;
  for (const [kind, from, to] of sections)
    for (const [name, value] of Object.entries(from))
      if (name in to && JSON.stringify((to as Record<string, unknown>)[name]) !== JSON.stringify(value))
        throw new Problem(
          'metadata.name',
          `produces ${kind}.${name}, which ${origins[`${kind}.${name}`] ?? 'another object'} already defines differently; rename one of them`,
        );
  for (const [kind, from, to] of sections)
    for (const [name, value] of Object.entries(from)) {
      (to as Record<string, unknown>)[name] = value;
      origins[`${kind}.${name}`] ??= source;
    }
}
