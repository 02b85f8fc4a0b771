/**
 * HTTPRoute and GRPCRoute → routers, middlewares and services. A route
 * attached to a listener gives one router per (rule, match, listener) on
 * the listener's entry point, TLS when the listener is HTTPS, its Host part
 * the intersection of hostnames, its priority the spec's precedence
 * (http-route-matches.ts). The route's status has one parent per parentRef
 * that names one of our Gateways: Accepted (or why not) and ResolvedRefs.
 */
import type { ConfigError, DynamicConfig, Router } from '../../../dynamic/model.js';
import { Problem, normalizeName } from '../conversion-context.js';
import type { KubeObject } from '../kube-objects.js';
import { backendService, ruleBackends, type BackendContext, type BackendProblem } from './backend-refs.js';
import { generationOf } from './gateway-objects.js';
import { hostnameSpecificity, hostnamesRule } from './hostnames.js';
import { compileFilters } from './http-route-filters.js';
import { compileHttpMatch, matchPriority, type CompiledMatch } from './http-route-matches.js';
import { attachRoute, attachmentProblems, parentStatuses, type GatewayListeners } from './route-parents.js';

export interface RouteContext extends BackendContext {
  gateways: GatewayListeners;
  controllerName: string;
}

export interface RouteResult {
  /** The route's status.parents entries written by us. */
  parents: Array<Record<string, unknown>>;
  errors: ConfigError[];
}

type HttpKind = 'HTTPRoute' | 'GRPCRoute';

/** `rank`: the route's place in the spec's tie-break order (oldest first, then namespace/name). */
export function convertHttpRoute(route: KubeObject, kind: HttpKind, rank: number, ctx: RouteContext): RouteResult {
  const ns = route.metadata.namespace ?? 'default';
  const name = route.metadata.name!;
  const gen = generationOf(route);
  const spec = (route.spec ?? {}) as { hostnames?: unknown; rules?: unknown };
  const hostnames = (Array.isArray(spec.hostnames) ? spec.hostnames : []).filter((h): h is string => typeof h === 'string');
  const outcomes = attachRoute(route, kind, hostnames, ctx.gateways);
  if (outcomes.length === 0) return { parents: [], errors: [] };

  const staged: DynamicConfig = { ...ctx.staged, http: { routers: {}, middlewares: {}, services: {}, serversTransports: {} } };
  const ancestors = [...new Set(outcomes.filter((o) => o.attachments.length).map((o) => `${String(o.parentRef.namespace)}/${String(o.parentRef.name)}`))];
  const local: RouteContext = { ...ctx, staged, ancestors };
  const problems: BackendProblem[] = [];
  let unsupported: string | undefined;
  const rules = (Array.isArray(spec.rules) ? spec.rules : [{}]) as Array<Record<string, unknown>>;
  try {
    rules.forEach((rule, i) => {
      const at = `spec.rules[${i}]`;
      if (rule.sessionPersistence !== undefined) throw new Problem(`${at}.sessionPersistence`, 'sessionPersistence is not supported by Portico yet');
      const refs = (Array.isArray(rule.backendRefs) ? rule.backendRefs : []) as Array<Record<string, unknown>>;
      refs.forEach((r, j) => {
        if (Array.isArray(r.filters) && r.filters.length)
          throw new Problem(`${at}.backendRefs[${j}].filters`, 'filters on a backendRef are not supported; put them on the rule');
      });
      const base = normalizeName(`${ns}-${name}-r${i}`);
      const responseTimeout = ruleTimeout(rule.timeouts, `${at}.timeouts`);
      const ruleCtx: RouteContext = responseTimeout ? { ...local, responseTimeout } : local;
      const backends = ruleBackends(rule.backendRefs, route, base, ruleCtx, kind === 'GRPCRoute' ? 'h2c' : 'http');
      problems.push(...backends.problems);
      const matches = (Array.isArray(rule.matches) && rule.matches.length ? rule.matches : [{}]) as Array<Record<string, unknown>>;
      matches.forEach((rawMatch, j) => {
        const mat = `${at}.matches[${j}]`;
        const match = kind === 'GRPCRoute' ? compileGrpcMatch(rawMatch, mat) : compileHttpMatch(rawMatch, mat);
        for (const outcome of outcomes)
          for (const a of outcome.attachments) {
            const https = a.listener.protocol === 'HTTPS';
            const filters = compileFilters({
              filters: rule.filters,
              routeNs: ns,
              routeName: name,
              prefix: match.prefix,
              https,
              listenerPort: a.listener.port,
              kind,
            });
            if (filters.unsupported) throw new Problem(`${at}.filters`, filters.unsupported);
            for (const m of filters.middlewares) if (m.definition) staged.http.middlewares[m.name] = m.definition;
            let service = backends.service;
            if (filters.mirrors.length) {
              const mirrors = filters.mirrors.map((m) => {
                const resolved = backendService(m.backendRef, route, ruleCtx, kind === 'GRPCRoute' ? 'h2c' : 'http');
                if ('problem' in resolved) {
                  problems.push(resolved.problem);
                  return undefined;
                }
                return { name: resolved.name, percent: m.percent };
              });
              service = `${base}-mirroring`;
              staged.http.services[service] = { mirroring: { service: backends.service, mirrors: mirrors.filter((m) => m !== undefined) } };
            }
            const l = a.listener;
            const routerName = normalizeName(`${ns}-${name}-${l.gateway.metadata.namespace}-${l.gateway.metadata.name}-${l.name}-r${i}-m${j}`);
            const router: Router = {
              rule: [hostnamesRule(a.hostnames), match.rule].filter(Boolean).join(' && ') || 'PathPrefix(`/`)',
              entryPoints: [l.entryPoint!],
              service,
              priority: matchPriority(match, hostnameSpecificity(a.hostnames), rank),
            };
            if (filters.middlewares.length) router.middlewares = filters.middlewares.map((m) => m.name);
            if (https) router.tls = {};
            staged.http.routers[routerName] = router;
          }
      });
    });
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    unsupported = `${err.field}: ${err.message}`;
  }

  const parents = parentStatuses(outcomes, unsupported, problems, gen, ctx.controllerName);
  const errors: ConfigError[] = [];
  const source = `${ns}/${kind}/${name}`;
  for (const p of attachmentProblems(outcomes)) errors.push({ provider: ctx.opts.provider, source, ...p });
  if (unsupported)
    errors.push({ provider: ctx.opts.provider, source, path: unsupported.split(':')[0]!, message: unsupported.slice(unsupported.indexOf(':') + 2) });
  else {
    for (const section of ['routers', 'middlewares', 'services', 'serversTransports'] as const) Object.assign(ctx.staged.http[section], staged.http[section]);
    for (const p of problems) errors.push({ provider: ctx.opts.provider, source, path: 'spec.rules', message: `${p.reason}: ${p.message}` });
  }
  return { parents, errors };
}

/**
 * A rule's `timeouts` → how long its backends may take to send their
 * response headers (504 after): backendRequest, else request; `0s` is none.
 * Portico bounds the wait for headers, not the whole exchange.
 */
function ruleTimeout(raw: unknown, at: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const t = raw as { request?: unknown; backendRequest?: unknown };
  for (const k of Object.keys(t))
    if (k !== 'request' && k !== 'backendRequest') throw new Problem(`${at}.${k}`, `unknown field "${k}" (known fields: request, backendRequest)`);
  const value = t.backendRequest ?? t.request;
  if (value === undefined) return undefined;
  // The Gateway API's duration: up to four number+unit parts, units h, m, s, ms.
  if (typeof value !== 'string' || !/^(?:[0-9]{1,5}(?:h|m|s|ms)){1,4}$/.test(value))
    throw new Problem(
      `${at}.${t.backendRequest !== undefined ? 'backendRequest' : 'request'}`,
      `must be a duration such as 10s or 1m30s, got ${JSON.stringify(value)}`,
    );
  return /^(?:0+(?:h|m|s|ms))+$/.test(value) ? undefined : value;
}

/** A GRPCRoute match: the gRPC service and method are the path `/<service>/<method>`. */
function compileGrpcMatch(raw: Record<string, unknown>, at: string): CompiledMatch {
  const method = (raw.method ?? {}) as { type?: string; service?: string; method?: string };
  const type = method.type ?? 'Exact';
  const parts: string[] = [];
  let pathKind = 1;
  const svc = method.service;
  const m = method.method;
  if (type === 'Exact') {
    if (svc && m) {
      parts.push(`Path(\`/${svc}/${m}\`)`);
      pathKind = 2;
    } else if (svc) parts.push(`PathPrefix(\`/${svc}/\`)`);
    else if (m) parts.push(`PathRegexp(\`^/[^/]+/${m.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$\`)`);
  } else if (type === 'RegularExpression') parts.push(`PathRegexp(\`^/${svc ?? '[^/]+'}/${m ?? '[^/]+'}$\`)`);
  else throw new Problem(`${at}.method.type`, `must be Exact or RegularExpression, got "${type}"`);
  if ([svc, m].some((s) => s?.includes('`'))) throw new Problem(`${at}.method`, 'must not contain a backquote');
  // Without a path, compileHttpMatch's default prefix `/` adds nothing: only the header tests.
  const headers = compileHttpMatch({ headers: raw.headers }, at);
  if (headers.rule) parts.push(headers.rule);
  return { rule: parts.join(' && '), pathKind, pathLength: (svc ?? '').length + (m ?? '').length, method: false, headers: headers.headers, queries: 0 };
}
