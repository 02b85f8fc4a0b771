/**
 * Routers → one route table per entrypoint, whose targets are ready handlers
 * (the router's middlewares, then the entrypoint's, around its service). A
 * router with any problem is reported, marked disabled for the API and left
 * out; the others still compile.
 */
import type { DynamicConfig, Router } from '../dynamic/model.js';
import type { StaticConfig } from '../config/static-config.js';
import { isUdpEntryPoint } from '../config/listen-address.js';
import type { MiddlewareHandler } from '../exchange/exchange.js';
import type { EntryPointRoutes, RouteTarget } from '../exchange/route-lookup.js';
import { buildRouteTable, type RouteDefinition } from '../router/route-table.js';
import { hostsOfRule } from '../router/rule-hosts.js';
import { parseRule } from '../router/rule-parser.js';
import { compileRule } from '../router/rule-matcher.js';
import type { ConfigErrors } from './config-errors.js';
import type { MiddlewareTable } from './middleware-table.js';
import type { ServiceTable } from './service-table.js';

export type RouterStatus = {
  status: 'enabled' | 'disabled';
  entryPoints: string[];
  errors: string[];
  /** The TLS options it is served under on its TLS entrypoints (its own `tls`, or the entrypoint's `http.tls`); absent for a router served in clear only. */
  tls?: { options: string };
};

export interface RouteBuildInput {
  http: DynamicConfig['http'];
  entryPoints: StaticConfig['entryPoints'];
  /** Entrypoints a router without `entryPoints` attaches to (the internal one is left out). */
  defaultEntryPoints: readonly string[];
  services: ServiceTable;
  middlewares: MiddlewareTable;
  /** Names of the TLS option sets that compiled. */
  tlsOptionNames: ReadonlySet<string>;
}

export interface BuiltRoutes {
  routes: Map<string, EntryPointRoutes>;
  routerStatus: Map<string, RouterStatus>;
  /** Host → the TLS option sets the routers serving it ask for (tls-build.ts settles them). */
  hostTlsVotes: Map<string, Set<string>>;
}

export function buildRoutes(input: RouteBuildInput, errors: ConfigErrors): BuiltRoutes {
  const { http, entryPoints } = input;
  const routerStatus = new Map<string, RouterStatus>();
  // Two tables per entrypoint: TLS routers answer only on TLS connections, the others only in clear (Traefik's model).
  const perEntryPoint = new Map<string, { secure: Array<RouteDefinition<RouteTarget>>; plain: Array<RouteDefinition<RouteTarget>> }>();
  for (const n of Object.keys(entryPoints)) perEntryPoint.set(n, { secure: [], plain: [] });
  const hostTlsVotes = new Map<string, Set<string>>();

  for (const [name, router] of Object.entries(http.routers)) {
    const problems: string[] = [];
    const fail = (field: string, message: string) => {
      problems.push(`${field}: ${message}`);
      errors.report('http.routers', name, field, message);
    };
    const eps = router.entryPoints?.length ? router.entryPoints : [...input.defaultEntryPoints];
    router.entryPoints?.forEach((e, i) => {
      if (!entryPoints[e]) fail(`entryPoints[${i}]`, `no entrypoint named "${e}"`);
      else if (isUdpEntryPoint(entryPoints[e])) fail(`entryPoints[${i}]`, `"${e}" is a UDP entrypoint, which carries UDP routers only`);
    });
    const svc = input.services.get(router.service);
    if (!svc) fail('service', `no usable service named "${router.service}"`);
    const chain: MiddlewareHandler[] = [];
    router.middlewares?.forEach((m, i) => {
      const h = input.middlewares.get(m);
      if (!h) fail(`middlewares[${i}]`, http.middlewares[m] ? `middleware "${m}" is invalid (see its own error)` : `no middleware named "${m}"`);
      else chain.push(h);
    });
    const optionsName = router.tls ? (router.tls.options ?? 'default') : undefined;
    if (optionsName && !input.tlsOptionNames.has(optionsName)) fail('tls.options', `no TLS option set named "${optionsName}"`);
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
    const handler = wrap(svc!, chain);
    const attached: string[] = [];
    let servedTls: string | undefined;
    for (const e of eps) {
      const ep = entryPoints[e];
      if (!ep) continue;
      // The router's own tls decides; without it, the entrypoint's http.tls makes it a TLS router there.
      const tlsName = optionsName ?? (ep.http?.tls ? (ep.http.tls.options ?? 'default') : undefined);
      const epChain: MiddlewareHandler[] = [];
      for (const ref of ep.http?.middlewares ?? []) {
        const q = ref.includes('@') ? ref : `${ref}@file`;
        const m = input.middlewares.get(q);
        if (m) epChain.push(m);
        else errors.report('http.routers', name, 'entryPoints', `entrypoint ${e}: no middleware named "${q}"`);
      }
      const tables = perEntryPoint.get(e)!;
      (tlsName ? tables.secure : tables.plain).push({
        name,
        rule: router.rule,
        priority: router.priority,
        value: { handler: wrap(handler, epChain), tlsOptions: tlsName, service: router.service, rule: router.rule },
      });
      attached.push(e);
      if (tlsName) {
        servedTls ??= tlsName;
        for (const h of hostsOfRuleSafe(router)) (hostTlsVotes.get(h) ?? hostTlsVotes.set(h, new Set()).get(h)!).add(tlsName);
      }
    }
    routerStatus.set(name, { status: 'enabled', entryPoints: attached, errors: [], ...(servedTls ? { tls: { options: servedTls } } : {}) });
  }

  const routes = new Map<string, EntryPointRoutes>();
  for (const [ep, defs] of perEntryPoint) {
    const secure = buildRouteTable(defs.secure);
    const plain = buildRouteTable(defs.plain);
    for (const e of [...secure.errors, ...plain.errors]) {
      const st = routerStatus.get(e.name);
      // A router on several entrypoints is compiled once per table; its rule error is reported once.
      if (st?.status === 'disabled') continue;
      errors.report('http.routers', e.name, 'rule', e.message);
      if (st) {
        st.status = 'disabled';
        st.errors.push(`rule: ${e.message}`);
      }
    }
    routes.set(ep, { secure: secure.table, plain: plain.table });
  }
  return { routes, routerStatus, hostTlsVotes };
}

/** The first middleware of the list outermost. */
function wrap(handler: RouteTarget['handler'], chain: readonly MiddlewareHandler[]): RouteTarget['handler'] {
  for (let i = chain.length - 1; i >= 0; i--) handler = chain[i]!(handler);
  return handler;
}

function hostsOfRuleSafe(router: Router): string[] {
  try {
    return hostsOfRule(router.rule) ?? [];
  } catch {
    return [];
  }
}
