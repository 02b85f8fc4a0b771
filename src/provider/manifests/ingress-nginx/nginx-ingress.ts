/**
 * An Ingress of the `nginx` class → routers, middlewares and services, as
 * ingress-nginx would serve it. Some of ingress-nginx's behaviour spans
 * Ingresses (use-regex applies to every path of a host, a host's TLS
 * applies to all its locations, a canary joins its main Ingress), so the
 * conversion first reads every nginx Ingress into a plan, then converts each
 * one on its own: a bad Ingress still leaves the others whole.
 *
 * Each location is one router without `tls`: Portico serves it on every
 * entrypoint, plain and TLS, as nginx serves every server on :80 and :443;
 * the https redirect (a no-op on https) goes first in its middleware chain.
 */
import type { CertificateRef, Middleware, Router } from '../../../dynamic/model.js';
import type { KubeObject } from '../kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  normalizeName,
  optString,
  shortHash,
  stringList,
  type ConversionContext,
} from '../conversion-context.js';
import { resolveServiceReference } from '../service-reference.js';
import { ingressBackend, ingressPaths } from '../ingress.js';
import { translateGoRegexp } from '../../../router/go-regexp.js';
import { NginxAnnotations } from './nginx-annotations.js';
import { hostFallbackPriority, hostTopPriority, pathPriority, pathRule } from './nginx-paths.js';
import { SSL_REDIRECT, appRootRedirect, fixedRedirect, sslRedirectPolicy } from './redirects.js';
import { corsHeaders } from './cors.js';
import { sourceRangeMiddlewares } from './source-ranges.js';
import { authSignin, basicOrDigestAuth, forwardAuth } from './auth.js';
import { backendSettings, requestHeaders, type BackendSettings } from './backend.js';
import { bodySizeLimit, rateLimits } from './limits.js';
import { pathRewrite, rewriteTarget } from './rewrite.js';
import { canaryRouters, canaryRules } from './canary.js';
import { reportRefused } from './refused.js';
import { customErrorsMiddleware, defaultBackend, errorsMiddlewareName, withoutEndpoints } from './custom-errors.js';
import { sslPassthroughRouters } from './ssl-passthrough.js';

/** What one Ingress needs to know about the others. */
export interface NginxIngressPlan {
  /** Hosts ('' for rules without host) where some Ingress sets use-regex or rewrite-target. */
  regexHosts: Set<string>;
  /** Hosts some Ingress lists under spec.tls (a section without hosts covers the Ingress's own hosts). */
  tlsHosts: Set<string>;
  /** `host\0path` → the Ingress a canary with that location joins (the oldest non-canary one, as ingress-nginx). */
  mains: Map<string, KubeObject>;
}

/** Entry points of the routers (the provider's httpEntryPoint/httpsEntryPoint), unset for all; ssl-passthrough's switch and entry point. */
export interface NginxConversionOptions {
  entryPoints?: string[];
  /** The provider's enableSSLPassthrough. */
  sslPassthrough?: boolean;
  httpsEntryPoint?: string;
}

const annotation = (o: KubeObject, key: string) => o.metadata.annotations?.[`nginx.ingress.kubernetes.io/${key}`]?.trim();
const isTrue = (v: string | undefined) => v !== undefined && ['true', 'True', 'TRUE', '1', 't', 'T'].includes(v);
const locationKey = (host: string | undefined, path: string) => `${host ?? ''}\0${path}`;

/** Read every nginx Ingress loosely (problems are reported when each is converted). */
export function planNginxIngresses(ingresses: KubeObject[]): NginxIngressPlan {
  const plan: NginxIngressPlan = { regexHosts: new Set(), tlsHosts: new Set(), mains: new Map() };
  const byAge = [...ingresses].sort((a, b) => age(a).localeCompare(age(b)));
  for (const o of byAge) {
    const spec = (o.spec ?? {}) as { rules?: unknown; tls?: unknown };
    const rules = Array.isArray(spec.rules) ? (spec.rules as Array<{ host?: unknown; http?: { paths?: unknown } }>) : [];
    const hosts = rules.map((r) => (typeof r?.host === 'string' ? r.host : ''));
    const regex = isTrue(annotation(o, 'use-regex')) || annotation(o, 'rewrite-target') !== undefined;
    if (regex) for (const h of hosts) plan.regexHosts.add(h);
    for (const t of Array.isArray(spec.tls) ? (spec.tls as Array<{ hosts?: unknown }>) : []) {
      const listed = Array.isArray(t?.hosts) ? t.hosts.filter((h): h is string => typeof h === 'string') : [];
      for (const h of listed.length ? listed : hosts.filter(Boolean)) plan.tlsHosts.add(h);
    }
    if (isTrue(annotation(o, 'canary'))) continue;
    for (const r of rules) {
      const paths = Array.isArray(r?.http?.paths) ? (r.http.paths as Array<{ path?: unknown }>) : [];
      for (const p of paths) {
        const key = locationKey(typeof r.host === 'string' && r.host ? r.host : undefined, typeof p?.path === 'string' && p.path ? p.path : '/');
        if (!plan.mains.has(key)) plan.mains.set(key, o);
      }
    }
  }
  return plan;
}

function age(o: KubeObject): string {
  const created = (o.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  return `${typeof created === 'string' ? created : ''}\0${o.metadata.namespace}/${o.metadata.name}`;
}

/** One location of an Ingress, with everything but the router it becomes. */
interface Location {
  key: string;
  host: string | undefined;
  path: string;
  router: Router;
}

interface IngressBuild {
  locations: Location[];
  /** Routers beyond the locations: app-root redirects, spec.defaultBackend. */
  extra: Record<string, Router>;
  settings: BackendSettings;
}

export function convertNginxIngress(
  o: KubeObject,
  ctx: ConversionContext,
  certificates: CertificateRef[],
  plan: NginxIngressPlan,
  options: NginxConversionOptions = {},
): void {
  const ann = new NginxAnnotations(o.metadata.annotations, ctx);
  const canary = canaryRules(ann);
  if (canary) {
    convertCanary(o, ann, canary, ctx, plan, options);
  } else {
    const build = buildIngress(o, ann, ctx, certificates, plan, options);
    for (const l of build.locations) ctx.staged.http.routers[l.key] = l.router;
    Object.assign(ctx.staged.http.routers, build.extra);
    sslPassthroughRouters(asObject(o.spec ?? {}, 'spec'), ann, ctx, {
      enabled: options.sslPassthrough === true,
      ...(options.httpsEntryPoint ? { entryPoint: options.httpsEntryPoint } : {}),
    });
  }
  reportUnread(ann);
}

function reportUnread(ann: NginxAnnotations): void {
  const unread = ann.unread();
  reportRefused(ann, unread);
  for (const key of ann.unread()) ann.report(key, 'is not an ingress-nginx annotation Portico knows; ignored (see docs/migrating-from-ingress-nginx.md)');
}

function buildIngress(
  o: KubeObject,
  ann: NginxAnnotations,
  ctx: ConversionContext,
  certificates: CertificateRef[],
  plan: NginxIngressPlan,
  options: NginxConversionOptions,
): IngressBuild {
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['ingressClassName', 'defaultBackend', 'tls', 'rules'], 'spec');

  // A missing certificate Secret does not stop nginx: it serves the host with its default certificate.
  asArray(spec.tls, 'spec.tls').forEach((raw, i) => {
    const at = `spec.tls[${i}]`;
    const t = asObject(raw, at);
    checkKeys(t, ['hosts', 'secretName'], at);
    if (t.hosts !== undefined) stringList(t.hosts, `${at}.hosts`);
    const secretName = optString(t.secretName, `${at}.secretName`);
    if (!secretName) return;
    try {
      certificates.push(certificateFromSecret(ctx.ns, secretName, ctx, `${at}.secretName`));
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      ctx.partial.push(new Problem(err.field, `${err.message}; the default certificate is served for these hosts`));
    }
  });

  const settings = backendSettings(ann, ctx);
  const prefix = normalizeName(`${ctx.ns}-${ctx.name}`);
  const fallback = defaultBackend(ann, ctx);
  const stage = (suffix: string, m: Middleware | undefined): string | undefined => {
    if (!m) return undefined;
    const name = `${prefix}-nginx-${suffix}`;
    ctx.staged.http.middlewares[name] = m;
    return name;
  };
  /** A backend's service (the default backend while it has no ready endpoint) and its error-pages middleware. */
  const locationBackend = (raw: unknown, at: string): { service: string; errorPages?: string } => {
    const own = backendService(raw, settings, ctx, at);
    if (!fallback) return { service: own };
    const { name, port } = ingressBackend(raw, at);
    const service = withoutEndpoints(ctx.staged.http.services[own]) ? fallback.service : own;
    const errors = customErrorsMiddleware(fallback, ctx, name, String(port));
    if (!errors) return { service };
    const errorPages = errorsMiddlewareName(prefix, name, String(port));
    ctx.staged.http.middlewares[errorPages] = errors;
    return { service, errorPages };
  };
  const redirectsToHttps = sslRedirectPolicy(ann);
  const sslRedirect = `${prefix}-nginx-ssl-redirect`;
  // The order of nginx's phases: rewrite-phase redirects and CORS preflight, then limits, then access (deny/allow, auth).
  const chain = [
    stage('redirect', fixedRedirect(ann)),
    stage('cors', corsHeaders(ann)),
    ...rateLimits(ann).map((m, i) => stage(`limit-${i}`, m)),
    ...sourceRangeMiddlewares(ann).map((m, i) => stage(`source-range-${i}`, m)),
    stage('auth', basicOrDigestAuth(ann, ctx)),
    // Outside the forwardAuth: it turns the auth service's 401 into the sign-in redirect.
    stage('auth-signin', authSignin(ann)),
    stage('forward-auth', forwardAuth(ann)),
    stage('body-size', bodySizeLimit(ann)),
    stage('request-headers', requestHeaders(ann)),
  ].filter((m): m is string => m !== undefined);
  const aliases = serverAliases(ann);
  // server-alias names more hosts for the Ingress's servers (never for rules without host).
  const hostsOf = (host: string | undefined): string[] => (host ? [host, ...aliases.filter((a) => a !== host)] : []);
  const target = rewriteTarget(ann);
  ann.bool('use-regex');
  const appRoot = stage('app-root', appRootRedirect(ann));

  const middlewaresFor = (host: string | undefined, rewrite: string | undefined, errorPages?: string): string[] => {
    const out: string[] = [];
    if (redirectsToHttps(host !== undefined && plan.tlsHosts.has(host))) {
      ctx.staged.http.middlewares[sslRedirect] = SSL_REDIRECT;
      out.push(sslRedirect);
    }
    // Error pages see the answer to the request as the client sent it (before any rewrite).
    if (errorPages) out.push(errorPages);
    out.push(...chain);
    if (rewrite) out.push(rewrite);
    return out;
  };
  const router = (rule: string, service: string, priority: number, middlewares: string[]): Router => {
    const r: Router = { rule, service, priority };
    if (middlewares.length) r.middlewares = middlewares;
    if (options.entryPoints) r.entryPoints = options.entryPoints;
    return r;
  };

  const locations: Location[] = [];
  const extra: Record<string, Router> = {};
  const hostsSeen = new Map<string | undefined, string>();
  for (const { host, path: written, pathType, backend, at: pat } of ingressPaths(spec)) {
    const path = written ?? '/';
    const regex = plan.regexHosts.has(host ?? '');
    // nginx would refuse its configuration over a path it cannot use; here only that path is left out.
    const unusable = unusablePath(path, regex);
    if (unusable) {
      ctx.partial.push(new Problem(`${pat}.path`, `${unusable}; this path is not served`));
      continue;
    }
    const { service, errorPages } = locationBackend(backend, `${pat}.backend`);
    if (!hostsSeen.has(host)) hostsSeen.set(host, service);
    const rewrite = target !== undefined ? stage(`rewrite-${shortHash(path)}`, pathRewrite(target, path)) : undefined;
    const exact = !regex && pathType === 'Exact';
    let key = normalizeName(`${ctx.ns}-${ctx.name}-${host ?? ''}${path}`);
    if (locations.some((l) => l.key === key)) key = `${key}-${pathType.toLowerCase()}`;
    if (locations.some((l) => l.key === key)) throw new Problem(`${pat}.path`, `host "${host ?? ''}" and path "${path}" appear twice in this Ingress`);
    locations.push({
      key,
      host,
      path,
      router: router(
        pathRule(hostsOf(host), path, pathType, regex, `${pat}.path`),
        service,
        pathPriority(host, path, exact),
        middlewaresFor(host, rewrite, errorPages),
      ),
    });
  }

  if (spec.defaultBackend !== undefined) {
    const { service, errorPages } = locationBackend(spec.defaultBackend, 'spec.defaultBackend');
    // ingress-nginx sends what no location of the Ingress's hosts matches to it; with no rules it is the catch-all.
    if (hostsSeen.size === 0) extra[`${prefix}-default-backend`] = router('PathPrefix(`/`)', service, 1, middlewaresFor(undefined, undefined, errorPages));
    for (const host of hostsSeen.keys())
      extra[normalizeName(`${prefix}-${host ?? ''}-default-backend`)] = router(
        pathRule(hostsOf(host), '/', 'ImplementationSpecific', false, 'spec.defaultBackend'),
        service,
        hostFallbackPriority(host),
        middlewaresFor(host, undefined, errorPages),
      );
    if (hostsSeen.size === 0) hostsSeen.set(undefined, service);
  }

  if (appRoot) {
    if (hostsSeen.size === 0) ann.report('app-root', 'the Ingress has no rule or default backend to put it on; ignored');
    for (const [host, service] of hostsSeen)
      extra[normalizeName(`${prefix}-${host ?? ''}-app-root`)] = router(
        pathRule(hostsOf(host), '/', 'Exact', false, 'metadata.annotations'),
        service,
        hostTopPriority(host),
        [...middlewaresFor(host, undefined).filter((m) => m === sslRedirect), appRoot],
      );
  }
  return { locations, extra, settings };
}

/** `server-alias`: more host names (`*.example.com` allowed) for the servers of the Ingress's hosts. */
function serverAliases(ann: NginxAnnotations): string[] {
  const out: string[] = [];
  for (const alias of ann.list('server-alias') ?? []) {
    if (/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(alias)) out.push(alias.toLowerCase());
    else ann.report('server-alias', `"${alias}" is not a host name; left out`);
  }
  return out;
}

/** Why a path cannot become a rule, if it cannot: a backtick ends a rule argument; a regex path must be one Portico can run. */
function unusablePath(path: string, regex: boolean): string | undefined {
  if (path.includes('`')) return `"${path}" contains a backtick`;
  if (!regex) return undefined;
  try {
    translateGoRegexp(`(?i)^${path}`);
    return undefined;
  } catch (err) {
    return `"${path}" is not a regular expression Portico can run (${(err as Error).message})`;
  }
}

/** A backend of the Ingress → the name of its service, staged with the Ingress's backend settings. */
function backendService(raw: unknown, settings: BackendSettings, ctx: ConversionContext, at: string): string {
  const { name, port } = ingressBackend(raw, at);
  const ref = resolveServiceReference(
    {
      name,
      port,
      ...(settings.scheme ? { scheme: settings.scheme } : {}),
      ...(settings.nativeLB ? { nativeLB: true } : {}),
      ...(settings.sticky ? { sticky: settings.sticky } : {}),
    },
    ctx,
    `${at}.service`,
  );
  if (ref.kind === 'name') return ref.name;
  let serviceName = ref.defaultName;
  if (settings.serversTransport && ref.service.loadBalancer) {
    ref.service.loadBalancer.serversTransport = settings.serversTransport;
    serviceName = `${serviceName}-${shortHash(settings.serversTransport)}`;
  }
  ctx.staged.http.services[serviceName] = ref.service;
  return serviceName;
}

/** A canary: its locations join the main Ingress's, which lends them its middlewares and backend settings. */
function convertCanary(
  o: KubeObject,
  ann: NginxAnnotations,
  rules: ReturnType<typeof canaryRules> & object,
  ctx: ConversionContext,
  plan: NginxIngressPlan,
  options: NginxConversionOptions,
): void {
  // Everything but canary-* comes from the main Ingress, as in ingress-nginx.
  for (const key of ann.unread().filter((k) => !k.startsWith('canary')))
    ann.report(key, "is ignored on a canary Ingress: the main Ingress's annotations apply");
  const spec = asObject(o.spec ?? {}, 'spec');
  checkKeys(spec, ['ingressClassName', 'defaultBackend', 'tls', 'rules'], 'spec');
  const builds = new Map<KubeObject, IngressBuild>();
  for (const { host, path: written, backend, at: pat } of ingressPaths(spec)) {
    const path = written ?? '/';
    const main = plan.mains.get(locationKey(host, path));
    if (!main) {
      ctx.partial.push(
        new Problem(`${pat}.path`, `no main (non-canary) nginx Ingress serves host "${host ?? ''}" path "${path}"; this canary location is not served`),
      );
      continue;
    }
    let build = builds.get(main);
    if (!build) {
      // The main's own problems are reported on the main; here only its output is borrowed.
      const mainCtx: ConversionContext = { ...ctx, ns: main.metadata.namespace!, name: main.metadata.name!, partial: [] };
      try {
        build = buildIngress(main, new NginxAnnotations(main.metadata.annotations, mainCtx), mainCtx, [], plan, options);
      } catch (err) {
        if (!(err instanceof Problem)) throw err;
        ctx.partial.push(
          new Problem(
            `${pat}.path`,
            `the main Ingress ${main.metadata.namespace}/${main.metadata.name} does not convert (${err.field}: ${err.message}); this canary location is not served`,
          ),
        );
        continue;
      }
      builds.set(main, build);
    }
    const location = build.locations.find((l) => l.host === host && l.path === path);
    if (!location) continue;
    const service = backendService(backend, build.settings, ctx, `${pat}.backend`);
    const base = normalizeName(`${ctx.ns}-${ctx.name}-${host ?? ''}${path}`);
    const made = canaryRouters(
      rules,
      {
        rule: location.router.rule,
        priority: location.router.priority!,
        middlewares: location.router.middlewares ?? [],
        // ingress-nginx routers always name their service (no multi-layer routing there).
        service: location.router.service!,
        ...(options.entryPoints ? { entryPoints: options.entryPoints } : {}),
      },
      service,
      `${base}-canary-weighted`,
    );
    for (const [suffix, r] of Object.entries(made.routers)) ctx.staged.http.routers[`${base}-canary-${suffix}`] = r;
    if (made.weighted) ctx.staged.http.services[`${base}-canary-weighted`] = made.weighted;
    if (!Object.keys(made.routers).length) ann.report('canary', 'sets no canary-weight, canary-by-header or canary-by-cookie: no request goes to the canary');
  }
}
