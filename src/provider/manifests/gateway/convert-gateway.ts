/**
 * Gateway API objects → dynamic configuration and the status of each object.
 * GatewayClasses whose controllerName is ours are Accepted; their Gateways'
 * listeners are resolved onto entry points (gateway-listeners.ts); routes
 * attach to them (route-parents.ts) and become routers (http-route.ts,
 * l4-routes.ts); each Gateway's status then counts its attached routes.
 * Unlike the other manifest conversions this one is a graph, not one object
 * at a time, so it lives beside them rather than in convert.ts.
 */
import { emptyDynamicConfig, type ConfigError } from '../../../dynamic/model.js';
import type { KubeObject } from '../kube-objects.js';
import { ServiceDirectory } from '../service-directory.js';
import { backendTlsPolicies } from './backend-tls-policy.js';
import { condition, generationOf, type GatewayConversion, type GatewayConversionOptions, type StatusUpdate } from './gateway-objects.js';
import { gatewayProblems, gatewayStatus, listenerUsable, resolveListeners, type ResolvedListener } from './gateway-listeners.js';
import { convertHttpRoute, type RouteContext } from './http-route.js';
import { convertL4Route } from './l4-routes.js';
import { ReferenceGrants } from './reference-grants.js';

const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute'] as const;

export function convertGatewayObjects(objects: KubeObject[], opts: GatewayConversionOptions): GatewayConversion {
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const config = emptyDynamicConfig();
  const errors: ConfigError[] = [];
  const origins: Record<string, string> = {};
  const statuses: StatusUpdate[] = [];

  const classes = byKind('GatewayClass').filter((c) => opts.controllerNames.includes(String((c.spec ?? {}).controllerName)));
  for (const c of classes)
    statuses.push({
      kind: 'GatewayClass',
      name: c.metadata.name!,
      object: c,
      status: { conditions: [condition('Accepted', true, 'Accepted', 'handled by Portico', generationOf(c))] },
    });
  const classNames = new Set(classes.map((c) => c.metadata.name));
  const controllerName = classes.length ? String(classes[0]!.spec!.controllerName) : opts.controllerNames[0]!;

  const secrets = new Map(byKind('Secret').map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const namespaceLabels = new Map(
    byKind('Namespace').map((n) => [n.metadata.name!, { 'kubernetes.io/metadata.name': n.metadata.name!, ...n.metadata.labels }]),
  );
  const grants = new ReferenceGrants(byKind('ReferenceGrant'));
  const gateways = byKind('Gateway').filter((g) => classNames.has(String((g.spec ?? {}).gatewayClassName)));
  const listeners = new Map<string, ResolvedListener[]>();
  const malformed = new Set<KubeObject>();
  for (const g of gateways) {
    const resolved = guarded(g, opts, errors, () => resolveListeners(g, { opts, grants, secrets, namespaceLabels }));
    if (resolved) listeners.set(`${g.metadata.namespace}/${g.metadata.name}`, resolved);
    else malformed.add(g);
  }

  const policies = backendTlsPolicies(byKind('BackendTLSPolicy'), byKind('ConfigMap'), config, opts);
  errors.push(...policies.errors);
  const ctx: RouteContext = {
    opts,
    directory: new ServiceDirectory(objects.map((object) => ({ object, source: '' }))),
    grants,
    staged: config,
    backendTls: policies.transportFor,
    ancestors: [],
    transports: config.http.serversTransports,
    gateways: listeners,
    controllerName,
  };

  for (const kind of ROUTE_KINDS) {
    if ((kind === 'TLSRoute' || kind === 'TCPRoute' || kind === 'UDPRoute') && !opts.experimentalChannel) continue;
    const routes = byKind(kind).sort(routeOrder);
    routes.forEach((route, rank) => {
      const before = snapshotNames(config);
      const result = guarded(route, opts, errors, () =>
        kind === 'HTTPRoute' || kind === 'GRPCRoute' ? convertHttpRoute(route, kind, rank, ctx) : convertL4Route(route, kind, ctx),
      );
      if (!result) return;
      errors.push(...result.errors);
      for (const key of newNames(config, before)) origins[key] ??= `${route.metadata.namespace}/${kind}/${route.metadata.name}`;
      // A route that no longer names any of our Gateways loses the parents we wrote (others' stay).
      if (result.parents.length || wroteParents(route, opts.controllerNames))
        statuses.push({
          kind,
          namespace: route.metadata.namespace,
          name: route.metadata.name!,
          object: route,
          status: { parents: result.parents },
        });
    });
  }

  const seen = new Set<string>();
  for (const ls of listeners.values())
    for (const l of ls)
      if (listenerUsable(l))
        for (const c of l.certificates) {
          const key = `${c.certFile}\0${c.keyFile}`;
          if (seen.has(key)) continue;
          seen.add(key);
          config.tls.certificates.push(c);
        }
  for (const g of gateways) {
    const resolved = listeners.get(`${g.metadata.namespace}/${g.metadata.name}`);
    for (const p of resolved ? gatewayProblems(g, resolved) : [])
      errors.push({ provider: opts.provider, source: `${g.metadata.namespace}/Gateway/${g.metadata.name}`, ...p });
    statuses.push({
      kind: 'Gateway',
      namespace: g.metadata.namespace,
      name: g.metadata.name!,
      object: g,
      status: malformed.has(g)
        ? { conditions: [condition('Accepted', false, 'Invalid', 'the Gateway is malformed (see /api/errors)', generationOf(g))] }
        : gatewayStatus(g, resolved!, opts),
    });
  }
  statuses.push(...policies.statuses(listeners, controllerName));
  return { config, errors, origins, statuses };
}

/**
 * Convert one object; input of the wrong shape (a list item that is not an
 * object, say, which the API server's CRD validation would have refused) is
 * reported on the object, never a crash.
 */
function guarded<T>(o: KubeObject, opts: GatewayConversionOptions, errors: ConfigError[], convert: () => T): T | undefined {
  try {
    return convert();
  } catch (err) {
    errors.push({
      provider: opts.provider,
      source: `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.kind}/${o.metadata.name}`,
      path: 'spec',
      message: `malformed ${o.kind}: ${(err as Error).message}`,
    });
    return undefined;
  }
}

function wroteParents(route: KubeObject, controllerNames: string[]): boolean {
  const parents = ((route as { status?: { parents?: unknown } }).status?.parents ?? []) as Array<{ controllerName?: unknown } | null>;
  return Array.isArray(parents) && parents.some((p) => controllerNames.includes(String(p?.controllerName)));
}

/** The spec's tie-break between routes: the oldest first, then by namespace/name. */
function routeOrder(a: KubeObject, b: KubeObject): number {
  const t = (o: KubeObject) => {
    const c = (o.metadata as { creationTimestamp?: unknown }).creationTimestamp;
    return c instanceof Date ? c.toISOString() : typeof c === 'string' ? c : '';
  };
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  const ta = new Date(t(a)).getTime() || 0;
  const tb = new Date(t(b)).getTime() || 0;
  return ta !== tb ? ta - tb : ka < kb ? -1 : ka > kb ? 1 : 0;
}

function snapshotNames(config: GatewayConversion['config']): Set<string> {
  return new Set(allNames(config));
}

function* allNames(config: GatewayConversion['config']): Iterable<string> {
  for (const s of ['routers', 'middlewares', 'services', 'serversTransports'] as const) for (const n of Object.keys(config.http[s])) yield `http.${s}.${n}`;
  for (const s of ['routers', 'services'] as const) for (const n of Object.keys(config.tcp?.[s] ?? {})) yield `tcp.${s}.${n}`;
  for (const s of ['routers', 'services'] as const) for (const n of Object.keys(config.udp[s])) yield `udp.${s}.${n}`;
}

function newNames(config: GatewayConversion['config'], before: Set<string>): string[] {
  return [...allNames(config)].filter((n) => !before.has(n));
}
