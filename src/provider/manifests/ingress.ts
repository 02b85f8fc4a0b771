/**
 * networking.k8s.io/v1 Ingress → routers and services, named as Traefik's
 * Ingress provider names them: routers `<ns>-<ingress>-<host>-<path>`,
 * services `<ns>-<service>-<port>` (both normalized). Behaviour Kubernetes
 * leaves to the controller comes from annotations under
 * `portico.ingress.kubernetes.io/` (Traefik's `traefik.ingress.kubernetes.io/`
 * is read too).
 */
import type { CertificateRef, Router } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  normalizeName,
  optString,
  reqString,
  standInName,
  stringList,
  type ConversionContext,
} from './conversion-context.js';
import { resolveServiceReference } from './service-reference.js';

export const INGRESS_ANNOTATION_PREFIX = 'portico.ingress.kubernetes.io/';
const TRAEFIK_ANNOTATION_PREFIX = 'traefik.ingress.kubernetes.io/';
const ANNOTATIONS = [
  'router.entrypoints',
  'router.middlewares',
  'router.priority',
  'router.tls',
  'router.tls.options',
  'router.pathmatcher',
  'service.passhostheader',
  'service.serversscheme',
  'service.serverstransport',
  'service.nativelb',
];

/** The class an Ingress asks for: spec.ingressClassName, else the legacy annotation. */
export function ingressClassOf(o: KubeObject): string | undefined {
  const spec = (o.spec ?? {}) as { ingressClassName?: unknown };
  if (typeof spec.ingressClassName === 'string' && spec.ingressClassName) return spec.ingressClassName;
  return o.metadata.annotations?.['kubernetes.io/ingress.class'] || undefined;
}

interface IngressAnnotations {
  entryPoints?: string[];
  middlewares?: string[];
  priority?: number;
  tls: boolean;
  tlsOptions?: string;
  pathMatcher?: string;
  service: Record<string, unknown>;
}

function readAnnotations(o: KubeObject, ctx: ConversionContext): IngressAnnotations {
  const all = o.metadata.annotations ?? {};
  const get = (key: string): string | undefined => all[INGRESS_ANNOTATION_PREFIX + key] ?? all[TRAEFIK_ANNOTATION_PREFIX + key];
  for (const key of Object.keys(all)) {
    const short = key.startsWith(INGRESS_ANNOTATION_PREFIX) ? key.slice(INGRESS_ANNOTATION_PREFIX.length) : undefined;
    if (short !== undefined && !ANNOTATIONS.includes(short))
      throw new Problem(`metadata.annotations["${key}"]`, `unknown annotation (known: ${ANNOTATIONS.join(', ')})`);
    if (key.startsWith(TRAEFIK_ANNOTATION_PREFIX) && !ANNOTATIONS.includes(key.slice(TRAEFIK_ANNOTATION_PREFIX.length)))
      ctx.opts.log?.('warn', `Ingress ${ctx.ns}/${ctx.name}: annotation ${key} has no Portico equivalent and is ignored`);
  }
  const at = (key: string) =>
    `metadata.annotations["${all[INGRESS_ANNOTATION_PREFIX + key] !== undefined ? INGRESS_ANNOTATION_PREFIX : TRAEFIK_ANNOTATION_PREFIX}${key}"]`;
  const list = (key: string) =>
    get(key)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const bool = (key: string): boolean | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new Problem(at(key), `must be "true" or "false", got "${v}"`);
    return v === 'true';
  };
  const out: IngressAnnotations = { tls: bool('router.tls') ?? false, service: {} };
  const entryPoints = list('router.entrypoints');
  if (entryPoints) out.entryPoints = entryPoints;
  const middlewares = list('router.middlewares')?.map((m) => standInName(m, ctx));
  if (middlewares?.length) out.middlewares = middlewares;
  const priority = get('router.priority');
  if (priority !== undefined) {
    if (!/^-?\d+$/.test(priority.trim())) throw new Problem(at('router.priority'), `must be an integer, got "${priority}"`);
    out.priority = Number(priority);
  }
  const tlsOptions = get('router.tls.options');
  if (tlsOptions) out.tlsOptions = standInName(tlsOptions, ctx);
  const pathMatcher = get('router.pathmatcher');
  if (pathMatcher !== undefined) {
    if (pathMatcher !== 'Path' && pathMatcher !== 'PathPrefix') throw new Problem(at('router.pathmatcher'), `must be Path or PathPrefix, got "${pathMatcher}"`);
    out.pathMatcher = pathMatcher;
  }
  out.service = serviceSettings(get, bool);
  return out;
}

/** The `service.*` annotations as service-reference fields. */
function serviceSettings(get: (key: string) => string | undefined, bool: (key: string) => boolean | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const passHostHeader = bool('service.passhostheader');
  if (passHostHeader !== undefined) out.passHostHeader = passHostHeader;
  const scheme = get('service.serversscheme');
  if (scheme !== undefined) out.scheme = scheme;
  const transport = get('service.serverstransport');
  if (transport !== undefined) out.serversTransport = transport;
  const nativeLB = bool('service.nativelb');
  if (nativeLB !== undefined) out.nativeLB = nativeLB;
  return out;
}

/**
 * Traefik reads a backend's `service.*` annotations from the Service itself;
 * they win over the same annotations on the Ingress (which Portico also reads).
 */
function serviceAnnotations(ns: string, name: string, ctx: ConversionContext, at: string): Record<string, unknown> {
  const all = ctx.index.directory.annotations(ns, name);
  const prefix = (key: string) => (all[INGRESS_ANNOTATION_PREFIX + key] !== undefined ? INGRESS_ANNOTATION_PREFIX : TRAEFIK_ANNOTATION_PREFIX);
  const get = (key: string): string | undefined => all[INGRESS_ANNOTATION_PREFIX + key] ?? all[TRAEFIK_ANNOTATION_PREFIX + key];
  const where = (key: string) => `${at} (Service ${ns}/${name} annotation "${prefix(key)}${key}")`;
  const bool = (key: string): boolean | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new Problem(where(key), `must be "true" or "false", got "${v}"`);
    return v === 'true';
  };
  return serviceSettings(get, bool);
}

export function convertIngress(o: KubeObject, ctx: ConversionContext, certificates: CertificateRef[]): void {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['ingressClassName', 'defaultBackend', 'tls', 'rules'], 'spec');
  const ann = readAnnotations(o, ctx);

  // TLS: every secret becomes a certificate; the hosts a section names (or every host) are TLS-only routers.
  const tlsHosts = new Set<string>();
  let tlsForAll = false;
  asArray(spec.tls, 'spec.tls').forEach((raw, i) => {
    const at = `spec.tls[${i}]`;
    const t = asObject(raw, at);
    checkKeys(t, ['hosts', 'secretName'], at);
    const hosts = t.hosts === undefined ? [] : stringList(t.hosts, `${at}.hosts`);
    if (hosts.length === 0) tlsForAll = true;
    for (const h of hosts) tlsHosts.add(h);
    const secretName = optString(t.secretName, `${at}.secretName`);
    if (secretName) certificates.push(certificateFromSecret(ctx.ns, secretName, ctx, `${at}.secretName`));
  });
  const tlsFor = (host: string | undefined) => ann.tls || !!ann.tlsOptions || tlsForAll || (host !== undefined && tlsHosts.has(host));

  const router = (rule: string, service: string, host: string | undefined): Router => {
    const r: Router = { rule, service };
    if (ann.entryPoints) r.entryPoints = ann.entryPoints;
    if (ann.middlewares) r.middlewares = ann.middlewares;
    if (ann.priority !== undefined) r.priority = ann.priority;
    if (tlsFor(host)) r.tls = ann.tlsOptions ? { options: ann.tlsOptions } : {};
    return r;
  };

  for (const { host, path, pathType, backend, at: pat } of ingressPaths(spec)) {
    const ruleText = [hostMatcher(host), pathMatcher(path, pathType, ann.pathMatcher)].filter(Boolean).join(' && ') || 'PathPrefix(`/`)';
    const service = backendService(backend, ann, ctx, `${pat}.backend`);
    let key = normalizeName(`${ctx.ns}-${ctx.name}-${host ?? ''}${path ?? ''}`);
    // Traefik's name ignores pathType; two paths differing only in it must not overwrite each other.
    if (ctx.staged.http.routers[key]) key = `${key}-${pathType.toLowerCase()}`;
    if (ctx.staged.http.routers[key]) throw new Problem(`${pat}.path`, `host "${host ?? ''}" and path "${path ?? ''}" appear twice in this Ingress`);
    ctx.staged.http.routers[key] = router(ruleText, service, host);
  }

  if (spec.defaultBackend !== undefined) {
    const service = backendService(spec.defaultBackend, ann, ctx, 'spec.defaultBackend');
    // Lowest priority: any rule of any Ingress wins over the catch-all.
    ctx.staged.http.routers[normalizeName(`${ctx.ns}-${ctx.name}-default-backend`)] = { ...router('PathPrefix(`/`)', service, undefined), priority: 1 };
  }
}

export interface IngressPath {
  host: string | undefined;
  path: string | undefined;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: unknown;
  /** Where the path is in the object, for errors (`spec.rules[0].http.paths[1]`). */
  at: string;
}

/** Every path of spec.rules, shape-checked, in order. */
export function ingressPaths(spec: Record<string, unknown>): IngressPath[] {
  const out: IngressPath[] = [];
  asArray(spec.rules, 'spec.rules').forEach((raw, i) => {
    const at = `spec.rules[${i}]`;
    const rule = asObject(raw, at);
    checkKeys(rule, ['host', 'http'], at);
    const host = optString(rule.host, `${at}.host`) || undefined;
    if (rule.http === undefined) return;
    const http = asObject(rule.http, `${at}.http`);
    checkKeys(http, ['paths'], `${at}.http`);
    asArray(http.paths, `${at}.http.paths`).forEach((rawPath, j) => {
      const pat = `${at}.http.paths[${j}]`;
      const p = asObject(rawPath, pat);
      checkKeys(p, ['path', 'pathType', 'backend'], pat);
      const path = optString(p.path, `${pat}.path`);
      if (path !== undefined && !path.startsWith('/')) throw new Problem(`${pat}.path`, `must start with "/", got "${path}"`);
      const pathType = optString(p.pathType, `${pat}.pathType`) ?? 'ImplementationSpecific';
      if (pathType !== 'Exact' && pathType !== 'Prefix' && pathType !== 'ImplementationSpecific')
        throw new Problem(`${pat}.pathType`, `must be Exact, Prefix or ImplementationSpecific, got "${pathType}"`);
      out.push({ host, path, pathType, backend: p.backend, at: pat });
    });
  });
  return out;
}

/** The rule matching an Ingress host: exact, or `*.example.com` as one DNS label before the suffix. */
export function hostMatcher(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (host.startsWith('*.')) return `HostRegexp(\`^[a-zA-Z0-9-]+${host.slice(1).replace(/\./g, '\\.')}$\`)`;
  return `Host(\`${host}\`)`;
}

function pathMatcher(path: string | undefined, pathType: string, override: string | undefined): string | undefined {
  if (!path) return undefined;
  if (override) return `${override}(\`${path}\`)`;
  if (pathType === 'Exact') return `Path(\`${path}\`)`;
  if (path === '/') return undefined;
  // Kubernetes' Prefix matches whole path elements: /app matches /app and /app/x, not /apple.
  if (pathType === 'Prefix' && !path.endsWith('/')) return `(Path(\`${path}\`) || PathPrefix(\`${path}/\`))`;
  return `PathPrefix(\`${path}\`)`;
}

/** An Ingress backend (`{service: {name, port: {number | name}}}`) checked: the Service's name and port. */
export function ingressBackend(raw: unknown, at: string): { name: string; port: unknown } {
  const backend = asObject(raw, at);
  checkKeys(backend, ['service', 'resource'], at);
  if (backend.resource !== undefined) throw new Problem(`${at}.resource`, 'resource backends are not supported; use a service backend');
  const svc = asObject(backend.service, `${at}.service`);
  checkKeys(svc, ['name', 'port'], `${at}.service`);
  const port = asObject(svc.port ?? {}, `${at}.service.port`);
  checkKeys(port, ['number', 'name'], `${at}.service.port`);
  return { name: reqString(svc.name, `${at}.service.name`), port: port.number ?? port.name };
}

function backendService(raw: unknown, ann: IngressAnnotations, ctx: ConversionContext, at: string): string {
  const { name, port } = ingressBackend(raw, at);
  const fromService = serviceAnnotations(ctx.ns, name, ctx, `${at}.service.name`);
  const ref = resolveServiceReference({ name, port, ...ann.service, ...fromService }, ctx, `${at}.service`);
  if (ref.kind === 'name') return ref.name;
  ctx.staged.http.services[ref.defaultName] = ref.service;
  return ref.defaultName;
}
