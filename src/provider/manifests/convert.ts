/**
 * Kubernetes manifests → dynamic configuration. Shared by the file provider
 * (the same YAML a user applies to a cluster runs locally) and the Kubernetes
 * providers (which feed it what their informers hold). Names follow
 * Traefik's conventions (`<namespace>-<name>`, routers suffixed with a hash of
 * their rule) and stay unqualified: the merge layer appends `@<provider>`.
 * Every problem names the object and field; a bad object is left out and the
 * rest still converts.
 */
import { createHash } from 'node:crypto';
import { emptyDynamicConfig, type ConfigError, type DynamicConfig, type LoadBalancerService, type Middleware, type Router, type TlsOptions } from '../../dynamic/model.js';
import { objectKey, secretValue, type IndexedObject, type KubeObject } from './kube-objects.js';
import { ServiceDirectory, type ServiceRef } from './service-references.js';

export interface ManifestDocument {
  source: string;
  line?: number;
  object: unknown;
}

export interface ManifestConversionOptions {
  provider: string;
  /** Accepted CRD groups, e.g. ['portico.dev', 'traefik.io']. */
  apiGroups: string[];
  allowCrossNamespace?: boolean;
  allowExternalNameServices?: boolean;
  nativeLB?: boolean;
  /** Convert networking.k8s.io/v1 Ingress objects of this class, or these classes (unset: Ingress objects are skipped). */
  ingressClass?: string | string[];
  /** Services defined natively by the same provider that a reference may name when no Service manifest exists. */
  nativeServiceNames?: ReadonlySet<string>;
  log?: (level: 'debug' | 'warn', msg: string) => void;
}

const CRD_KINDS = new Set(['IngressRoute', 'Middleware', 'TLSStore', 'TLSOption', 'ServersTransport', 'TraefikService']);
const CORE_KINDS = new Set(['Secret', 'Service', 'Endpoints', 'EndpointSlice']);

class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function convertManifests(docs: ManifestDocument[], opts: ManifestConversionOptions): { config: DynamicConfig; errors: ConfigError[] } {
  const config = emptyDynamicConfig();
  const errors: ConfigError[] = [];
  const objects: IndexedObject[] = [];
  for (const d of docs) {
    const o = d.object as KubeObject;
    if (!o || typeof o !== 'object' || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') continue;
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
    const known =
      (CRD_KINDS.has(o.kind) && opts.apiGroups.includes(group)) ||
      (CORE_KINDS.has(o.kind) && (group === '' || group === 'discovery.k8s.io')) ||
      (o.kind === 'Ingress' && group === 'networking.k8s.io' && opts.ingressClass !== undefined);
    if (!known) {
      opts.log?.('debug', `${d.source}: skipping ${o.apiVersion} ${o.kind} ${o.metadata?.name ?? ''} (not a kind Portico reads)`);
      continue;
    }
    if (!o.metadata?.name) {
      errors.push({ provider: opts.provider, source: d.source, path: 'metadata.name', message: `${o.kind} without metadata.name`, line: d.line });
      continue;
    }
    objects.push({ object: { ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } }, source: d.source, line: d.line });
  }
  const directory = new ServiceDirectory(objects);
  const secrets = new Map(objects.filter((x) => x.object.kind === 'Secret').map((x) => [objectKey(x.object), x.object]));
  const traefikServices = new Set(objects.filter((x) => x.object.kind === 'TraefikService').map((x) => objectKey(x.object)));

  for (const item of objects) {
    const o = item.object;
    const ns = o.metadata.namespace!;
    const label = `${ns}/${o.kind}/${o.metadata.name}`;
    const source = item.source === label ? label : `${item.source} (${label})`;
    const ctx: Ctx = { opts, ns, directory, secrets, traefikServices, config };
    try {
      switch (o.kind) {
        case 'IngressRoute':
          convertIngressRoute(o, ctx);
          break;
        case 'Middleware':
          config.http.middlewares[`${ns}-${o.metadata.name}`] = convertMiddleware(o, ctx);
          break;
        case 'TLSOption':
          config.tls.options[`${ns}-${o.metadata.name}`] = convertTlsOption(o, ctx);
          break;
        case 'TLSStore':
          if (o.metadata.name !== 'default') throw new Problem('metadata.name', `only the TLS store named "default" exists; rename "${o.metadata.name}" to "default"`);
          config.tls.stores.default = convertTlsStore(o, ctx);
          break;
        case 'ServersTransport':
          config.http.serversTransports[`${ns}-${o.metadata.name}`] = convertServersTransport(o, ctx);
          break;
        case 'TraefikService':
          convertTraefikService(o, ctx);
          break;
        case 'Ingress':
          convertIngress(o, ctx);
          break;
        case 'Secret':
          if (o.type === 'kubernetes.io/tls' && (o.metadata.annotations?.['portico.dev/tls-certificate'] === 'true')) {
            config.tls.certificates.push(certificateFromSecret(ns, o.metadata.name!, ctx, 'metadata'));
          }
          break;
      }
    } catch (err) {
      const field = err instanceof Problem ? err.field : '';
      errors.push({ provider: opts.provider, source, path: field, message: (err as Error).message, line: item.line });
    }
  }
  return { config, errors };
}

interface Ctx {
  opts: ManifestConversionOptions;
  ns: string;
  directory: ServiceDirectory;
  secrets: Map<string, KubeObject>;
  traefikServices: Set<string>;
  config: DynamicConfig;
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], at: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new Problem(at ? `${at}.${k}` : k, `unknown field "${k}" (known: ${allowed.join(', ')})`);
}

function asObject(v: unknown, at: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Problem(at, 'must be an object');
  return v as Record<string, unknown>;
}

function asArray(v: unknown, at: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Problem(at, 'must be a list');
  return v;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

function namespaceOf(ref: { namespace?: unknown }, ctx: Ctx, at: string): string {
  const ns = typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : ctx.ns;
  if (ns !== ctx.ns && !ctx.opts.allowCrossNamespace) throw new Problem(`${at}.namespace`, `cross-namespace reference to "${ns}" is not allowed (set allowCrossNamespace)`);
  return ns;
}

function certificateFromSecret(ns: string, name: string, ctx: Ctx, at: string): { certFile: string; keyFile: string } {
  const secret = ctx.secrets.get(`${ns}/${name}`);
  if (!secret) throw new Problem(at, `no Secret ${ns}/${name}`);
  const cert = secretValue(secret, 'tls.crt');
  const key = secretValue(secret, 'tls.key');
  if (!cert || !key) throw new Problem(at, `Secret ${ns}/${name} has no tls.crt/tls.key`);
  return { certFile: cert, keyFile: key };
}

const SERVICE_REF_KEYS = ['name', 'namespace', 'kind', 'port', 'weight', 'passHostHeader', 'serversTransport', 'scheme', 'nativeLB', 'strategy', 'responseForwarding', 'sticky', 'healthCheck', 'nodePortLB'];

/** A service reference → the name of a dynamic service (created here for Kubernetes Services). */
function serviceFromRef(raw: unknown, ctx: Ctx, at: string): string {
  const ref = asObject(raw, at);
  checkKeys(ref, SERVICE_REF_KEYS, at);
  const name = ref.name;
  if (typeof name !== 'string' || !name) throw new Problem(`${at}.name`, 'is required');
  const kind = (ref.kind as string | undefined) ?? 'Service';
  if (kind === 'TraefikService') {
    if (name.includes('@')) return name;
    const ns = namespaceOf(ref, ctx, at);
    if (!ctx.traefikServices.has(`${ns}/${name}`)) throw new Problem(`${at}.name`, `no TraefikService ${ns}/${name}`);
    return `${ns}-${name}`;
  }
  if (kind !== 'Service') throw new Problem(`${at}.kind`, `must be Service or TraefikService, got "${kind}"`);
  const ns = namespaceOf(ref, ctx, at);
  if (!ctx.directory.has(ns, name)) {
    // The file provider lets an IngressRoute name a service defined in the native format.
    if (ctx.opts.nativeServiceNames?.has(name)) return name;
    throw new Problem(`${at}.name`, `no Service ${ns}/${name}`);
  }
  const serviceRef: ServiceRef = { name, namespace: ns, port: ref.port as number | string | undefined, scheme: ref.scheme as string | undefined, nativeLB: ref.nativeLB as boolean | undefined };
  let urls: string[];
  try {
    urls = ctx.directory.resolve(serviceRef, ctx.opts).urls;
  } catch (err) {
    throw new Problem(`${at}.port`, (err as Error).message);
  }
  const lb: LoadBalancerService = { servers: urls.map((url) => ({ url })) };
  if (ref.passHostHeader !== undefined) lb.passHostHeader = ref.passHostHeader as boolean;
  if (typeof ref.serversTransport === 'string') lb.serversTransport = ref.serversTransport.includes('@') ? ref.serversTransport : `${ns}-${ref.serversTransport}`;
  const key = `${ns}-${name}-${ref.port ?? 'default'}${ref.passHostHeader === false ? '-nohost' : ''}${lb.serversTransport ? '-' + shortHash(lb.serversTransport).slice(0, 6) : ''}`;
  ctx.config.http.services[key] = { loadBalancer: lb };
  return key;
}

function convertIngressRoute(o: KubeObject, ctx: Ctx): void {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, ['entryPoints', 'routes', 'tls', 'parentRefs'], 'spec');
  const routes = asArray(spec.routes, 'spec.routes');
  if (routes.length === 0) throw new Problem('spec.routes', 'at least one route is required');
  let tls: Router['tls'];
  if (spec.tls !== undefined) {
    const t = asObject(spec.tls ?? {}, 'spec.tls');
    checkKeys(t, ['secretName', 'options', 'store', 'domains', 'certResolver'], 'spec.tls');
    tls = {};
    if (t.options) {
      const opt = asObject(t.options, 'spec.tls.options');
      const ons = namespaceOf(opt, ctx, 'spec.tls.options');
      tls.options = String(opt.name).includes('@') || opt.name === 'default' ? String(opt.name) : `${ons}-${opt.name}`;
    }
    if (Array.isArray(t.domains)) tls.domains = t.domains as NonNullable<Router['tls']>['domains'];
    if (typeof t.certResolver === 'string') tls.certResolver = t.certResolver;
    if (typeof t.secretName === 'string') ctx.config.tls.certificates.push(certificateFromSecret(ctx.ns, t.secretName, ctx, 'spec.tls.secretName'));
  }
  const entryPoints = spec.entryPoints === undefined ? undefined : (asArray(spec.entryPoints, 'spec.entryPoints') as string[]);
  // Convert every route first so one bad route leaves the whole IngressRoute out, as Traefik does.
  const routers: Array<[string, Router]> = routes.map((raw, i) => {
    const at = `spec.routes[${i}]`;
    const r = asObject(raw, at);
    checkKeys(r, ['match', 'kind', 'priority', 'middlewares', 'services', 'syntax', 'observability'], at);
    if (typeof r.match !== 'string' || !r.match.trim()) throw new Problem(`${at}.match`, 'is required');
    if (r.kind !== undefined && r.kind !== 'Rule') throw new Problem(`${at}.kind`, `must be "Rule"`);
    const services = asArray(r.services, `${at}.services`);
    if (services.length === 0) throw new Problem(`${at}.services`, 'at least one service is required');
    const names = services.map((s, j) => serviceFromRef(s, ctx, `${at}.services[${j}]`));
    let service = names[0]!;
    if (names.length > 1) {
      service = `${ctx.ns}-${o.metadata.name}-${shortHash(r.match as string + i)}-weighted`;
      ctx.config.http.services[service] = {
        weighted: { services: names.map((n, j) => ({ name: n, weight: ((services[j] as { weight?: number }).weight ?? 1) })) },
      };
    }
    const middlewares = asArray(r.middlewares, `${at}.middlewares`).map((m, j) => {
      const mw = asObject(m, `${at}.middlewares[${j}]`);
      const n = String(mw.name);
      if (n.includes('@')) return n;
      return `${namespaceOf(mw, ctx, `${at}.middlewares[${j}]`)}-${n}`;
    });
    const router: Router = { rule: r.match, service };
    if (entryPoints) router.entryPoints = entryPoints;
    if (middlewares.length) router.middlewares = middlewares;
    if (typeof r.priority === 'number' && r.priority !== 0) router.priority = r.priority;
    if (tls) router.tls = tls;
    return [`${ctx.ns}-${o.metadata.name}-${shortHash(r.match)}`, router];
  });
  for (const [name, router] of routers) ctx.config.http.routers[name] = router;
}

function convertMiddleware(o: KubeObject, ctx: Ctx): Middleware {
  const spec = asObject(o.spec, 'spec');
  const types = Object.keys(spec);
  if (types.length !== 1) throw new Problem('spec', `a Middleware must set exactly one type, found ${types.length ? types.join(', ') : 'none'}`);
  const type = types[0]!;
  const options = { ...asObject(spec[type] ?? {}, `spec.${type}`) };
  if (type === 'chain') {
    options.middlewares = asArray(options.middlewares, 'spec.chain.middlewares').map((m, i) => {
      const mw = asObject(m, `spec.chain.middlewares[${i}]`);
      const n = String(mw.name);
      return n.includes('@') ? n : `${namespaceOf(mw, ctx, `spec.chain.middlewares[${i}]`)}-${n}`;
    });
  }
  if ((type === 'basicAuth' || type === 'digestAuth') && typeof options.secret === 'string') {
    const secret = ctx.secrets.get(`${ctx.ns}/${options.secret}`);
    if (!secret) throw new Problem(`spec.${type}.secret`, `no Secret ${ctx.ns}/${options.secret}`);
    const users = secretValue(secret, 'users') ?? (secretValue(secret, 'username') && `${secretValue(secret, 'username')}:${secretValue(secret, 'password')}`);
    if (!users) throw new Problem(`spec.${type}.secret`, `Secret ${ctx.ns}/${options.secret} has no "users" key`);
    delete options.secret;
    options.users = users.split('\n').map((l) => l.trim()).filter(Boolean);
  }
  return { [type]: options };
}

function convertTlsOption(o: KubeObject, ctx: Ctx): TlsOptions {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['minVersion', 'maxVersion', 'cipherSuites', 'curvePreferences', 'alpnProtocols', 'sniStrict', 'clientAuth', 'preferServerCipherSuites', 'disableSessionTickets'], 'spec');
  const out = { ...spec } as TlsOptions & { clientAuth?: { secretNames?: string[] }; preferServerCipherSuites?: boolean; disableSessionTickets?: boolean };
  delete out.preferServerCipherSuites;
  delete out.disableSessionTickets;
  const ca = spec.clientAuth as { secretNames?: string[]; clientAuthType?: string } | undefined;
  if (ca) {
    checkKeys(ca as Record<string, unknown>, ['secretNames', 'clientAuthType'], 'spec.clientAuth');
    const pems = (ca.secretNames ?? []).map((n, i) => {
      const secret = ctx.secrets.get(`${ctx.ns}/${n}`);
      const pem = secret && (secretValue(secret, 'ca.crt') ?? secretValue(secret, 'tls.ca') ?? secretValue(secret, 'tls.crt'));
      if (!pem) throw new Problem(`spec.clientAuth.secretNames[${i}]`, `no Secret ${ctx.ns}/${n} with ca.crt`);
      return pem;
    });
    out.clientAuth = { caFiles: pems, clientAuthType: ca.clientAuthType as NonNullable<TlsOptions['clientAuth']>['clientAuthType'] };
  }
  return out;
}

function convertTlsStore(o: KubeObject, ctx: Ctx) {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['defaultCertificate', 'certificates', 'defaultGeneratedCert'], 'spec');
  for (const [i, c] of asArray(spec.certificates, 'spec.certificates').entries()) {
    const name = (c as { secretName?: string }).secretName;
    if (!name) throw new Problem(`spec.certificates[${i}].secretName`, 'is required');
    ctx.config.tls.certificates.push(certificateFromSecret(ctx.ns, name, ctx, `spec.certificates[${i}].secretName`));
  }
  if (!spec.defaultCertificate) return {};
  const d = asObject(spec.defaultCertificate, 'spec.defaultCertificate');
  if (typeof d.secretName !== 'string') throw new Problem('spec.defaultCertificate.secretName', 'is required');
  return { defaultCertificate: certificateFromSecret(ctx.ns, d.secretName, ctx, 'spec.defaultCertificate.secretName') };
}

function convertServersTransport(o: KubeObject, ctx: Ctx) {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['serverName', 'insecureSkipVerify', 'rootCAsSecrets', 'rootCAs', 'certificatesSecrets', 'maxIdleConnsPerHost', 'forwardingTimeouts', 'disableHTTP2', 'peerCertURI', 'spiffe'], 'spec');
  const pem = (name: string, at: string, keys: string[]) => {
    const secret = ctx.secrets.get(`${ctx.ns}/${name}`);
    const v = secret && keys.map((k) => secretValue(secret, k)).find((x) => x);
    if (!v) throw new Problem(at, `no Secret ${ctx.ns}/${name} with ${keys.join(' or ')}`);
    return v;
  };
  const rootCAs = [
    ...asArray(spec.rootCAsSecrets, 'spec.rootCAsSecrets').map((n, i) => pem(String(n), `spec.rootCAsSecrets[${i}]`, ['tls.ca', 'ca.crt', 'tls.crt'])),
    ...asArray(spec.rootCAs, 'spec.rootCAs').map((r, i) => {
      const secret = (r as { secret?: string }).secret;
      if (!secret) throw new Problem(`spec.rootCAs[${i}]`, 'only secret references are supported (configMap needs RBAC Portico does not request)');
      return pem(secret, `spec.rootCAs[${i}].secret`, ['tls.ca', 'ca.crt', 'tls.crt']);
    }),
  ];
  const certificates = asArray(spec.certificatesSecrets, 'spec.certificatesSecrets').map((n, i) => certificateFromSecret(ctx.ns, String(n), ctx, `spec.certificatesSecrets[${i}]`));
  return {
    ...(spec.serverName !== undefined ? { serverName: spec.serverName as string } : {}),
    ...(spec.insecureSkipVerify !== undefined ? { insecureSkipVerify: spec.insecureSkipVerify as boolean } : {}),
    ...(rootCAs.length ? { rootCAs } : {}),
    ...(certificates.length ? { certificates } : {}),
    ...(spec.maxIdleConnsPerHost !== undefined ? { maxIdleConnsPerHost: spec.maxIdleConnsPerHost as number } : {}),
    ...(spec.forwardingTimeouts ? { forwardingTimeouts: spec.forwardingTimeouts as Record<string, string> } : {}),
    // Traefik speaks HTTP/2 to https backends unless disableHTTP2; we follow an explicit false.
    ...(spec.disableHTTP2 === false ? { http2: true } : {}),
  };
}

function convertTraefikService(o: KubeObject, ctx: Ctx): void {
  const spec = asObject(o.spec, 'spec');
  const name = `${ctx.ns}-${o.metadata.name}`;
  if (spec.weighted) {
    const w = asObject(spec.weighted, 'spec.weighted');
    const services = asArray(w.services, 'spec.weighted.services').map((s, i) => ({
      name: serviceFromRef(s, ctx, `spec.weighted.services[${i}]`),
      weight: (s as { weight?: number }).weight ?? 1,
    }));
    ctx.config.http.services[name] = { weighted: { services } };
    return;
  }
  throw new Problem('spec', `only weighted TraefikServices are supported (found ${Object.keys(spec).join(', ') || 'nothing'})`);
}

const INGRESS_ANNOTATION_PREFIXES = ['portico.ingress.kubernetes.io/', 'traefik.ingress.kubernetes.io/'];

function annotation(o: KubeObject, key: string): string | undefined {
  for (const p of INGRESS_ANNOTATION_PREFIXES) {
    const v = o.metadata.annotations?.[p + key];
    if (v !== undefined) return v;
  }
  return undefined;
}

function convertIngress(o: KubeObject, ctx: Ctx): void {
  const spec = asObject(o.spec ?? {}, 'spec');
  const cls = (spec.ingressClassName as string | undefined) ?? o.metadata.annotations?.['kubernetes.io/ingress.class'];
  const classes = ([] as string[]).concat(ctx.opts.ingressClass ?? []);
  if (cls === undefined || !classes.includes(cls)) {
    ctx.opts.log?.('debug', `Ingress ${ctx.ns}/${o.metadata.name}: class "${cls ?? ''}" is not ${classes.map((c) => `"${c}"`).join(' or ')}, skipped`);
    return;
  }
  const entryPoints = annotation(o, 'router.entrypoints')?.split(',').map((s) => s.trim());
  const middlewares = annotation(o, 'router.middlewares')?.split(',').map((s) => s.trim()).filter(Boolean);
  const priority = annotation(o, 'router.priority');
  const tlsOptions = annotation(o, 'router.tls.options');
  const tlsSections = asArray(spec.tls, 'spec.tls') as Array<{ secretName?: string; hosts?: string[] }>;
  tlsSections.forEach((t, i) => {
    if (t.secretName) ctx.config.tls.certificates.push(certificateFromSecret(ctx.ns, t.secretName, ctx, `spec.tls[${i}].secretName`));
  });
  const tls = tlsSections.length > 0 || annotation(o, 'router.tls') === 'true' || tlsOptions ? { ...(tlsOptions ? { options: tlsOptions } : {}) } : undefined;
  const backendService = (b: unknown, at: string): string => {
    const svc = asObject(asObject(b, at).service, `${at}.service`) as { name?: string; port?: { number?: number; name?: string } };
    return serviceFromRef({ name: svc.name, port: svc.port?.number ?? svc.port?.name }, ctx, `${at}.service`);
  };
  const add = (rule: string, service: string) => {
    const router: Router = { rule, service };
    if (entryPoints) router.entryPoints = entryPoints;
    if (middlewares?.length) router.middlewares = middlewares;
    if (priority) router.priority = Number(priority);
    if (tls) router.tls = tls;
    ctx.config.http.routers[`${ctx.ns}-${o.metadata.name}-${shortHash(rule)}`] = router;
  };
  asArray(spec.rules, 'spec.rules').forEach((raw, i) => {
    const rule = asObject(raw, `spec.rules[${i}]`) as { host?: string; http?: { paths?: unknown[] } };
    const host = rule.host ? (rule.host.startsWith('*.') ? `HostRegexp(\`^[^.]+${rule.host.slice(1).replace(/\./g, '\\.')}$\`)` : `Host(\`${rule.host}\`)`) : undefined;
    (rule.http?.paths ?? []).forEach((p, j) => {
      const at = `spec.rules[${i}].http.paths[${j}]`;
      const path = asObject(p, at) as { path?: string; pathType?: string; backend?: unknown };
      const matcher = !path.path || path.path === '/' ? undefined : path.pathType === 'Exact' ? `Path(\`${path.path}\`)` : `PathPrefix(\`${path.path}\`)`;
      const ruleText = [host, matcher].filter(Boolean).join(' && ') || 'PathPrefix(`/`)';
      add(ruleText, backendService(path.backend, `${at}.backend`));
    });
  });
  if (spec.defaultBackend) {
    const service = backendService(spec.defaultBackend, 'spec.defaultBackend');
    const router: Router = { rule: 'PathPrefix(`/`)', service, priority: 1 };
    if (entryPoints) router.entryPoints = entryPoints;
    if (tls) router.tls = tls;
    ctx.config.http.routers[`${ctx.ns}-${o.metadata.name}-default-backend`] = router;
  }
}
