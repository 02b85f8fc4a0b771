/**
 * Routers → one route table per entrypoint, whose targets are ready handlers
 * (the router's middlewares, then the entrypoint's, around its service). A
 * router with any problem is reported, marked disabled for the API and left
 * out; the others still compile.
 */
import type { DynamicConfig, Router } from '../dynamic/model.js';
import type { StaticConfig } from '../config/static-config.js';
import { isUdpEntryPoint } from '../config/listen-address.js';
import type { Handler, MiddlewareHandler } from '../exchange/exchange.js';
import type { EntryPointRoutes, RouteLookup, RouteTarget } from '../exchange/route-lookup.js';
import { respondError } from '../exchange/http-error.js';
import type { RequestFacts } from '../router/request-facts.js';
import { buildRouteTable, type RouteDefinition } from '../router/route-table.js';
import { hostsOfRule } from '../router/rule-hosts.js';
import { parseRule } from '../router/rule-parser.js';
import { compileRule } from '../router/rule-matcher.js';
import type { ConfigErrors } from './config-errors.js';
import type { MiddlewareTable } from './middleware-table.js';
import type { ServiceTable } from './service-table.js';
import { routerTree } from './router-tree.js';

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

  const problemsOf = new Map<string, string[]>();
  const fail = (name: string, field: string, message: string, warningOnly = false) => {
    if (!warningOnly) (problemsOf.get(name) ?? problemsOf.set(name, []).get(name)!).push(`${field}: ${message}`);
    errors.report('http.routers', name, field, message);
  };
  const tree = routerTree(http.routers, fail);

  /** A router's middlewares around its service, or around the choice among its children; undefined when it cannot serve. */
  const built = new Map<string, Handler | undefined>();
  const handlerOf = (name: string): Handler | undefined => {
    if (built.has(name)) return built.get(name);
    const router = http.routers[name]!;
    let target: Handler | undefined;
    const kids = tree.children.get(name) ?? [];
    if (kids.length) {
      target = childRouting(name, kids);
    } else if (router.service !== undefined) {
      target = input.services.get(router.service);
      if (!target) fail(name, 'service', `no usable service named "${router.service}"`);
    }
    const chain: MiddlewareHandler[] = [];
    router.middlewares?.forEach((m, i) => {
      const h = input.middlewares.get(m);
      if (!h) fail(name, `middlewares[${i}]`, http.middlewares[m] ? `middleware "${m}" is invalid (see its own error)` : `no middleware named "${m}"`);
      else chain.push(h);
    });
    const handler = target && !problemsOf.has(name) ? wrap(target, chain) : undefined;
    built.set(name, handler);
    return handler;
  };
  /** The children as a route table of their own, tried on the request as the parent's middlewares left it. */
  const childRouting = (parent: string, kids: string[]): Handler | undefined => {
    const defs: Array<RouteDefinition<RouteTarget>> = [];
    for (const kid of kids) {
      const handler = handlerOf(kid);
      const child = http.routers[kid]!;
      if (handler)
        defs.push({
          name: kid,
          rule: child.rule,
          priority: child.priority,
          value: { handler, tlsOptions: undefined, service: child.service, rule: child.rule },
        });
      else reportRuleProblem(kid, child);
    }
    const { table, errors: ruleErrors } = buildRouteTable(defs);
    for (const e of ruleErrors) fail(e.name, 'rule', e.message);
    if (table.size === 0) {
      fail(parent, 'parentRefs', `none of its child routers (${kids.join(', ')}) can serve`);
      return undefined;
    }
    return routeAmongChildren(table);
  };
  const reportRuleProblem = (name: string, router: Router) => {
    // Report a broken rule too, so one `portico check` shows every problem of this router.
    try {
      compileRule(parseRule(router.rule));
    } catch (e) {
      if (!problemsOf.get(name)?.some((p) => p.startsWith('rule:'))) fail(name, 'rule', (e as Error).message);
    }
  };

  for (const name of tree.roots) {
    const router = http.routers[name]!;
    const eps = router.entryPoints?.length ? router.entryPoints : [...input.defaultEntryPoints];
    router.entryPoints?.forEach((e, i) => {
      if (!entryPoints[e]) fail(name, `entryPoints[${i}]`, `no entrypoint named "${e}"`);
      else if (isUdpEntryPoint(entryPoints[e])) fail(name, `entryPoints[${i}]`, `"${e}" is a UDP entrypoint, which carries UDP routers only`);
    });
    const handler = handlerOf(name);
    const optionsName = router.tls ? (router.tls.options ?? 'default') : undefined;
    if (optionsName && !input.tlsOptionNames.has(optionsName)) fail(name, 'tls.options', `no TLS option set named "${optionsName}"`);
    if (!handler || problemsOf.has(name)) {
      reportRuleProblem(name, router);
      routerStatus.set(name, { status: 'disabled', entryPoints: eps, errors: problemsOf.get(name) ?? [] });
      continue;
    }
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

  // Children serve where their enabled parents do, under the same TLS (the tree has no cycles left).
  const settle = (name: string, from: RouterStatus) => {
    for (const kid of tree.children.get(name) ?? []) {
      if (built.get(kid) === undefined || problemsOf.has(kid)) continue;
      const st = routerStatus.get(kid) ?? { status: 'enabled', entryPoints: [], errors: [] };
      st.entryPoints = [...new Set([...st.entryPoints, ...from.entryPoints])];
      if (from.tls) st.tls ??= from.tls;
      routerStatus.set(kid, st);
      settle(kid, st);
    }
  };
  for (const name of tree.roots) {
    const st = routerStatus.get(name);
    if (st?.status === 'enabled') settle(name, st);
  }
  for (const name of Object.keys(http.routers))
    if (!routerStatus.has(name)) routerStatus.set(name, { status: 'disabled', entryPoints: [], errors: problemsOf.get(name) ?? [] });
  return { routes, routerStatus, hostTlsVotes };
}

/**
 * The handler that ends a parent router: pick the first child (by priority) whose rule matches the
 * request as the parent's middlewares left it (method, path and query of `ex.url`, headers), else 404,
 * as Traefik's child muxer does. The host and client address stay those the entrypoint read.
 */
function routeAmongChildren(children: RouteLookup): Handler {
  return (ex) => {
    const q = ex.url.indexOf('?');
    const facts: RequestFacts = {
      ...ex.facts,
      method: ex.method,
      path: q < 0 ? ex.url : ex.url.slice(0, q),
      query: q < 0 ? '' : ex.url.slice(q + 1),
      headers: ex.requestHeaders,
    };
    const hit = children.match(facts);
    if (!hit) return respondError(ex, 404);
    ex.routerName = hit.name;
    ex.routerService = hit.value.service;
    return hit.value.handler(ex);
  };
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
