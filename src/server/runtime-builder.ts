/**
 * Compile a merged dynamic configuration into what the listeners use: per
 * entrypoint an immutable route table whose targets are ready handlers
 * (middlewares wrapped around a service), and one TLS runtime. Built once per
 * configuration version, off the request path; a router with any problem is
 * reported and left out, and the rest still compiles.
 */
import type { ConfigError, DynamicConfig, Router } from '../dynamic/model.js';
import type { MergedConfig } from '../dynamic/merge.js';
import type { StaticConfig } from '../config/static-config.js';
import type { Handler, MiddlewareHandler } from '../middleware/exchange.js';
import type { RouteLookup, RouteTarget } from '../entrypoint/entrypoint-context.js';
import { buildRouteTable } from '../router/route-table.js';
import { buildLoadBalancer } from '../service/load-balancer.js';
import type { HealthChecker } from '../service/health-check.js';
import { SmoothWeightedRoundRobin } from '../service/smooth-weighted-round-robin.js';
import type { UpstreamPools } from '../service/upstream-pools.js';
import { compileTlsOptions, type CompiledTlsOptions } from '../tls/compiled-tls-options.js';
import { describeCertificate, SniCertificateStore, type StoredCertificate } from '../tls/sni-certificate-store.js';
import { readPem } from '../tls/pem-source.js';
import { TlsRuntime } from '../tls/tls-runtime.js';
import type { MiddlewareRegistry } from '../middleware/registry.js';
import { hostsOfRule } from '../router/rule-hosts.js';
import { parseRule } from '../router/rule-parser.js';
import { compileRule } from '../router/rule-matcher.js';

export interface InternalServices {
  /** `whoami@internal`, `api@internal`, `ping@internal`, `prometheus@internal`, `noop@internal`. */
  get(name: string): Handler | undefined;
}

export interface InternalRouter {
  name: string;
  entryPoint: string;
  rule: string;
  priority: number;
  service: string;
}

export interface RuntimeConfig {
  version: number;
  routes: Map<string, RouteLookup>;
  tls: TlsRuntime;
  errors: ConfigError[];
  /** Router name → status for the API. */
  routerStatus: Map<string, { status: 'enabled' | 'disabled'; entryPoints: string[]; errors: string[] }>;
  config: DynamicConfig;
  /** Begin background work (active health checks) once this version is live. */
  start(): void;
  /** Stop it when a newer version replaces this one. */
  dispose(): void;
}

export interface BuildDeps {
  static: StaticConfig;
  pools: UpstreamPools;
  internal: InternalServices;
  internalRouters: InternalRouter[];
  middlewares: MiddlewareRegistry;
  generatedDefault: StoredCertificate;
  serverName: string;
  onHealthChange?: (service: string, url: string, healthy: boolean) => void;
}

const MAX_PRIORITY = Number.MAX_SAFE_INTEGER;

export function buildRuntime(merged: MergedConfig, deps: BuildDeps, version: number): RuntimeConfig {
  const cfg = merged.config;
  const errors: ConfigError[] = [...merged.errors];
  const routerStatus: RuntimeConfig['routerStatus'] = new Map();
  const baseDir = deps.static.baseDir;
  const err = (kind: string, name: string, field: string, message: string) => {
    const origin = merged.origins.get(`${kind}.${name}`);
    errors.push({
      provider: origin?.provider ?? name.split('@')[1] ?? 'internal',
      source: origin?.source ?? name,
      path: `${kind}.${name}${field ? '.' + field : ''}`,
      message,
    });
  };
  deps.pools.beginGeneration();

  const healthChecks: HealthChecker[] = [];
  // Services, built on demand with cycle detection for weighted services.
  const services = new Map<string, Handler | null>();
  const building = new Set<string>();
  const service = (name: string): Handler | undefined => {
    if (name.endsWith('@internal')) return deps.internal.get(name);
    if (services.has(name)) return services.get(name) ?? undefined;
    const def = cfg.http.services[name];
    if (!def) return undefined;
    if (building.has(name)) {
      err('http.services', name, 'weighted', 'weighted services refer to each other in a cycle');
      return undefined;
    }
    building.add(name);
    let handler: Handler | undefined;
    try {
      if (def.loadBalancer) {
        const transportName = def.loadBalancer.serversTransport;
        const transport = transportName ? cfg.http.serversTransports[transportName] : undefined;
        if (transportName && !transport) err('http.services', name, 'loadBalancer.serversTransport', `no serversTransport named "${transportName}"`);
        else {
          const resolved = transport ? { name: transportName!, options: transport, baseDir } : undefined;
          const lb = buildLoadBalancer(def.loadBalancer, {
            pools: deps.pools,
            transport: resolved,
            serverName: deps.serverName,
            upgradeTls: transport
              ? {
                  rejectUnauthorized: !transport.insecureSkipVerify,
                  servername: transport.serverName,
                  ca: transport.rootCAs?.map((c) => readPem(c, baseDir)),
                }
              : undefined,
            onHealthChange: (url, healthy) => deps.onHealthChange?.(name, url, healthy),
          });
          handler = lb.handler;
          if (lb.healthCheck) healthChecks.push(lb.healthCheck);
        }
      } else if (def.weighted) {
        const members: Array<{ value: Handler; weight: number }> = [];
        def.weighted.services.forEach((w, i) => {
          const h = service(w.name);
          if (!h) err('http.services', name, `weighted.services[${i}].name`, `no service named "${w.name}"`);
          else members.push({ value: h, weight: w.weight ?? 1 });
        });
        if (members.length === def.weighted.services.length) {
          const rr = new SmoothWeightedRoundRobin(members);
          handler = (ex) => rr.next()!(ex);
        }
      }
    } catch (e) {
      err('http.services', name, '', (e as Error).message);
    }
    building.delete(name);
    services.set(name, handler ?? null);
    return handler;
  };

  // Middlewares, compiled once each and shared by every router that names them.
  const middlewareCache = new Map<string, MiddlewareHandler | null>();
  // What the middlewares of this version hold (e.g. a Redis connection), released when it is replaced.
  const disposers: Array<() => void> = [];
  const middleware = (name: string, stack: string[] = []): MiddlewareHandler | undefined => {
    if (middlewareCache.has(name)) return middlewareCache.get(name) ?? undefined;
    const def = cfg.http.middlewares[name];
    if (!def) return undefined;
    if (stack.includes(name)) {
      err('http.middlewares', name, 'chain', `middleware chain cycle: ${[...stack, name].join(' → ')}`);
      return undefined;
    }
    const result = deps.middlewares.compile(name, def, {
      onDispose: (release) => disposers.push(release),
      resolve: (ref: string) => {
        const q = ref.includes('@') ? ref : `${ref}@${name.split('@')[1]}`;
        const m = middleware(q, [...stack, name]);
        if (!m) throw new Error(`no middleware named "${q}"`);
        return m;
      },
    });
    if ('errors' in result) {
      for (const [field, message] of result.errors) err('http.middlewares', name, field, message);
      middlewareCache.set(name, null);
      return undefined;
    }
    middlewareCache.set(name, result.handler);
    return result.handler;
  };

  // TLS option sets.
  const tlsOptions = new Map<string, CompiledTlsOptions>();
  for (const [name, o] of Object.entries({ default: {}, ...cfg.tls.options })) {
    const c = compileTlsOptions(name, o, baseDir);
    if (c.compiled) tlsOptions.set(name, c.compiled);
    for (const [field, message] of c.problems) err('tls.options', name, field, message);
  }
  if (!tlsOptions.has('default')) tlsOptions.set('default', compileTlsOptions('default', {}, baseDir).compiled!);

  // Routers → per-entrypoint tables.
  const userEntryPoints = Object.keys(deps.static.entryPoints).filter((n) => !isInternalOnly(n, deps.static));
  const perEntryPoint = new Map<string, Array<{ name: string; rule: string; priority?: number; value: RouteTarget }>>();
  for (const n of Object.keys(deps.static.entryPoints)) perEntryPoint.set(n, []);
  const hostOptionVotes = new Map<string, Set<string>>();

  for (const [name, router] of Object.entries(cfg.http.routers)) {
    const problems: string[] = [];
    const fail = (field: string, message: string) => {
      problems.push(`${field}: ${message}`);
      err('http.routers', name, field, message);
    };
    const eps = router.entryPoints?.length ? router.entryPoints : userEntryPoints;
    router.entryPoints?.forEach((e, i) => {
      if (!deps.static.entryPoints[e]) fail(`entryPoints[${i}]`, `no entrypoint named "${e}"`);
    });
    const svc = service(router.service);
    if (!svc) fail('service', `no usable service named "${router.service}"`);
    const chain: MiddlewareHandler[] = [];
    router.middlewares?.forEach((m, i) => {
      const h = middleware(m);
      if (!h) fail(`middlewares[${i}]`, cfg.http.middlewares[m] ? `middleware "${m}" is invalid (see its own error)` : `no middleware named "${m}"`);
      else chain.push(h);
    });
    const optionsName = router.tls ? router.tls.options ?? 'default' : undefined;
    if (optionsName && !tlsOptions.has(optionsName)) fail('tls.options', `no TLS option set named "${optionsName}"`);
    if (problems.length) {
      // Report a broken rule too, so one `portico check` shows every problem of this router.
      try {
        compileRule(parseRule(router.rule));
      } catch (e) {
        fail('rule', (e as Error).message);
      }
      routerStatus.set(name, { status: 'disabled', entryPoints: eps, errors: problems });
      continue;
    }
    let handler = svc!;
    for (let i = chain.length - 1; i >= 0; i--) handler = chain[i]!(handler);
    const attached: string[] = [];
    for (const e of eps) {
      const ep = deps.static.entryPoints[e];
      if (!ep) continue;
      const epTls = !!ep.http?.tls;
      // A router with tls serves only TLS entrypoints; an entrypoint with http.tls makes every router TLS.
      if (router.tls && !epTls) continue;
      const tlsName = epTls ? optionsName ?? ep.http?.tls?.options ?? 'default' : undefined;
      const epChain = ep.http?.middlewares ?? [];
      let epHandler = handler;
      for (let i = epChain.length - 1; i >= 0; i--) {
        const q = epChain[i]!.includes('@') ? epChain[i]! : `${epChain[i]}@file`;
        const m = middleware(q);
        if (m) epHandler = m(epHandler);
        else err('http.routers', name, 'entryPoints', `entrypoint ${e}: no middleware named "${q}"`);
      }
      perEntryPoint.get(e)!.push({ name, rule: router.rule, priority: router.priority, value: { handler: epHandler, tlsOptions: tlsName } });
      attached.push(e);
      if (tlsName) for (const h of hostsOfRuleSafe(router)) (hostOptionVotes.get(h) ?? hostOptionVotes.set(h, new Set()).get(h)!).add(tlsName);
    }
    routerStatus.set(name, { status: 'enabled', entryPoints: attached, errors: [] });
  }
  // A middleware no router uses is checked too, without building it (which could open connections for nothing).
  for (const [name, def] of Object.entries(cfg.http.middlewares)) {
    if (middlewareCache.has(name)) continue;
    for (const [field, message] of deps.middlewares.validate(def)) err('http.middlewares', name, field, message);
  }
  for (const r of deps.internalRouters) {
    const h = deps.internal.get(r.service);
    if (!h || !perEntryPoint.has(r.entryPoint)) continue;
    const epTls = !!deps.static.entryPoints[r.entryPoint]?.http?.tls;
    perEntryPoint.get(r.entryPoint)!.push({ name: r.name, rule: r.rule, priority: r.priority || MAX_PRIORITY, value: { handler: h, tlsOptions: epTls ? 'default' : undefined } });
    routerStatus.set(r.name, { status: 'enabled', entryPoints: [r.entryPoint], errors: [] });
  }

  const routes = new Map<string, RouteLookup>();
  for (const [ep, defs] of perEntryPoint) {
    const built = buildRouteTable(defs);
    for (const e of built.errors) {
      err('http.routers', e.name, 'rule', e.message);
      const st = routerStatus.get(e.name);
      if (st) {
        st.status = 'disabled';
        st.errors.push(`rule: ${e.message}`);
      }
    }
    routes.set(ep, built.table);
  }

  // Certificates and the TLS store.
  const certs: StoredCertificate[] = [];
  cfg.tls.certificates.forEach((c, i) => {
    try {
      certs.push(describeCertificate(readPem(c.certFile, baseDir), readPem(c.keyFile, baseDir), originLabel(c.certFile, i)));
    } catch (e) {
      errors.push({ provider: 'tls', source: originLabel(c.certFile, i), path: `tls.certificates[${i}]`, message: (e as Error).message });
    }
  });
  let defaultCert = deps.generatedDefault;
  const storeDefault = cfg.tls.stores.default?.defaultCertificate;
  if (storeDefault) {
    try {
      defaultCert = describeCertificate(readPem(storeDefault.certFile, baseDir), readPem(storeDefault.keyFile, baseDir), 'tls.stores.default.defaultCertificate');
    } catch (e) {
      errors.push({ provider: 'tls', source: 'tls.stores.default', path: 'tls.stores.default.defaultCertificate', message: `${(e as Error).message}; using the generated default certificate` });
    }
  }
  const hostOptions = new Map<string, string>();
  for (const [host, votes] of hostOptionVotes) {
    if (votes.size === 1) hostOptions.set(host, [...votes][0]!);
    else errors.push({ provider: 'tls', source: host, path: 'tls.options', message: `routers for host "${host}" ask for different TLS options (${[...votes].join(', ')}); using "default" for its handshakes` });
  }
  deps.pools.sweep();
  return {
    version,
    routes,
    tls: new TlsRuntime(new SniCertificateStore(certs, defaultCert), tlsOptions, hostOptions),
    errors,
    routerStatus,
    config: cfg,
    start: () => healthChecks.forEach((h) => h.start()),
    dispose: () => {
      healthChecks.forEach((h) => h.stop());
      for (const release of disposers) {
        try {
          release();
        } catch {
          // A plugin's release failing must not keep the others from running.
        }
      }
    },
  };
}

function hostsOfRuleSafe(router: Router): string[] {
  try {
    return hostsOfRule(router.rule) ?? [];
  } catch {
    return [];
  }
}

function isInternalOnly(name: string, s: StaticConfig): boolean {
  // The internal entrypoint carries ping/api/metrics; user routers must name it explicitly.
  return name === 'portico' || name === s.ping?.entryPoint || name === s.metrics?.prometheus?.entryPoint;
}

function originLabel(certFile: string, i: number): string {
  return certFile.includes('-----BEGIN') ? `tls.certificates[${i}] (inline)` : certFile;
}
