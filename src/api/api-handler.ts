/**
 * `api@internal`: the read-only JSON API, with Traefik v3's paths and shapes
 * so tools written for Traefik's API work against Portico:
 *   /api/overview, /api/entrypoints[/name], /api/http/{routers,services,middlewares}[/name],
 *   /api/udp/{routers,services}[/name], /api/tcp/... (empty until Portico has TCP routers),
 *   /api/rawdata, /api/version, and Portico's /api/errors (every configuration
 *   problem with its provider, file, line and field path), /api/certificates
 *   (api-certificates.ts) and /api/acme (each ACME resolver's certificates:
 *   expiry, renewal time, failures, next attempt).
 * Errors are `{"message": ...}` with Traefik's wording: 404 for an unknown
 * name, 400 for a bad page. Only GET and HEAD.
 */
import type { StaticConfig } from '../config/static-config.js';
import type { Handler } from '../exchange/exchange.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import { splitUrl } from '../middleware/url-parts.js';
import { tcpObjects, type TcpObjects } from './tcp-objects.js';
import { PORTICO_VERSION } from '../version.js';
import type { AcmeResolverStatus } from '../acme/acme-resolver.js';
import { httpObjects, section, type HttpObjects, type RouterObject } from './api-objects.js';
import { udpObjects, type UdpObjects } from './udp-objects.js';
import { certificateObjects, CERTIFICATE_SORT_KEYS } from './api-certificates.js';
import { ListQueryError, matchesQuery, NEXT_PAGE_HEADER, parseListQuery, sortAndPage, type ListQuery, type Listed } from './api-list-query.js';

export interface ApiDeps {
  static: StaticConfig;
  runtime: () => RuntimeConfig | undefined;
  /** The ACME resolvers' state (`/api/acme`), when any is configured. */
  acmeStatus?: () => AcmeResolverStatus[];
}

/** When this process began serving: `/api/version`'s `startDate`. */
const START_DATE = new Date().toISOString();

type Reply = { status: number; body: unknown; nextPage?: number };

const notFound = (message: string): Reply => ({ status: 404, body: { message } });

export function createApiHandler(deps: ApiDeps): Handler {
  return (ex) => {
    const send = ({ status, body, nextPage }: Reply) =>
      ex.respond(status, { 'content-type': 'application/json', ...(nextPage ? { [NEXT_PAGE_HEADER]: String(nextPage) } : {}) }, JSON.stringify(body) + '\n');
    if (ex.facts.method !== 'GET' && ex.facts.method !== 'HEAD')
      return ex.respond(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }, JSON.stringify({ message: 'method not allowed' }) + '\n');
    const rt = deps.runtime();
    if (!rt) return send({ status: 503, body: { message: 'no configuration applied yet' } });
    try {
      // The URL as middlewares left it (a stripPrefix in front moves the API under a prefix, as in Traefik).
      const [rawPath, query] = splitUrl(ex.url);
      const path = rawPath.replace(/\/+$/, '');
      send(path === '/api/acme' ? { status: 200, body: deps.acmeStatus?.() ?? [] } : answer(path, query.slice(1), rt, deps.static));
    } catch (err) {
      if (!(err instanceof ListQueryError)) throw err;
      send({ status: 400, body: { message: err.message } });
    }
  };
}

function answer(path: string, query: string, rt: RuntimeConfig, s: StaticConfig): Reply {
  switch (path) {
    case '/api/version':
      return { status: 200, body: { Version: PORTICO_VERSION, Codename: 'portico', startDate: START_DATE } };
    case '/api/overview':
      return { status: 200, body: overview(httpObjects(rt, s), tcpObjects(rt), udpObjects(rt), s) };
    case '/api/rawdata':
      return { status: 200, body: rawData(httpObjects(rt, s), udpObjects(rt)) };
    case '/api/errors':
      return { status: 200, body: rt.errors };
    case '/api/certificates': {
      const q = parseListQuery(query);
      return list({ ...q, sortBy: q.sortBy || 'notAfter' }, certificateObjects(rt, q), CERTIFICATE_SORT_KEYS);
    }
    case '/api/entrypoints':
      return list(parseListQuery(query), entryPoints(s), {});
  }
  const one = /^\/api\/entrypoints\/([^/]+)$/.exec(path);
  if (one) {
    const name = decodeURIComponent(one[1]!);
    const ep = entryPoints(s).find((e) => e.name === name);
    return ep ? { status: 200, body: ep } : notFound(`entry point not found: ${name}`);
  }
  const m = /^\/api\/(http|tcp|udp)\/(routers|services|middlewares)(?:\/([^/]+))?$/.exec(path);
  if (!m) return notFound('404 page not found');
  const [, protocol, kind, rawName] = m as unknown as [string, 'http' | 'tcp' | 'udp', 'routers' | 'services' | 'middlewares', string | undefined];
  // UDP has no middlewares (Traefik: 404).
  if (protocol === 'udp' && kind === 'middlewares') return notFound('404 page not found');
  const objects: Map<string, Listed> =
    protocol === 'http' ? httpObjects(rt, s)[kind] : protocol === 'tcp' ? tcpObjects(rt)[kind] : udpObjects(rt)[kind as keyof UdpObjects];
  if (rawName !== undefined) {
    const name = decodeURIComponent(rawName);
    const obj = objects.get(name);
    return obj ? { status: 200, body: obj } : notFound(`${kind.slice(0, -1)} not found: ${name}`);
  }
  const q = parseListQuery(query);
  if (kind === 'routers' && protocol === 'udp') {
    const routers = [...(objects as UdpObjects['routers']).values()].filter(
      (r) => matchesQuery(q, r, [r.name]) && (!q.serviceName || q.serviceName === r.service),
    );
    return list(q, routers, {
      provider: (r) => r.provider,
      status: (r) => r.status,
      service: (r) => r.service,
      entryPoints: (r) => r.entryPoints?.length ?? 0,
    });
  }
  if (kind === 'routers') {
    const routers = [...(objects as HttpObjects['routers']).values()].filter((r) => keepRouter(q, r));
    return list(q, routers, {
      provider: (r) => r.provider,
      priority: (r) => r.priority ?? r.rule.length,
      status: (r) => r.status,
      rule: (r) => r.rule,
      service: (r) => r.service,
      entryPoints: (r) => r.entryPoints?.length ?? 0,
    });
  }
  const items = [...(objects.values() as Iterable<Listed & { provider?: string; type?: string; loadBalancer?: { servers?: unknown[] } }>)].filter((o) =>
    matchesQuery(q, o),
  );
  return list(q, items, {
    provider: (o) => o.provider ?? '',
    status: (o) => o.status,
    type: (o) => o.type ?? '',
    servers: (o) => o.loadBalancer?.servers?.length ?? 0,
  });
}

function list<T extends { name: string }>(q: ListQuery, items: T[], sortKeys: Record<string, (item: T) => string | number>): Reply {
  const { page, nextPage } = sortAndPage(q, items, sortKeys);
  return { status: 200, body: page, nextPage };
}

function keepRouter(q: ListQuery, r: RouterObject): boolean {
  if (!matchesQuery(q, r, [r.rule, r.name])) return false;
  // Traefik: a qualified serviceName must match exactly; an unqualified one matches the service's bare name.
  if (q.serviceName && (r.service.includes('@') ? q.serviceName !== r.service : q.serviceName.split('@')[0] !== r.service)) return false;
  return !q.middlewareName || (r.middlewares ?? []).includes(q.middlewareName);
}

/** Traefik lists entrypoints by name, paged, without filters: each one's static configuration and its name. */
function entryPoints(s: StaticConfig): Array<{ name: string }> {
  return Object.entries(s.entryPoints).map(([name, ep]) => ({ ...ep, name }));
}

function overview(objects: HttpObjects, tcp: TcpObjects, udp: UdpObjects, s: StaticConfig) {
  const providers = Object.keys(s.providers).map((p) => p[0]!.toUpperCase() + p.slice(1));
  return {
    http: { routers: section(objects.routers.values()), services: section(objects.services.values()), middlewares: section(objects.middlewares.values()) },
    tcp: { routers: section(tcp.routers.values()), services: section(tcp.services.values()), middlewares: section(tcp.middlewares.values()) },
    udp: { routers: section(udp.routers.values()), services: section(udp.services.values()) },
    features: { tracing: '', metrics: s.metrics?.prometheus ? 'Prometheus' : '', accessLog: !!s.accessLog, hub: false },
    ...(providers.length ? { providers } : {}),
  };
}

/** Traefik's `/api/rawdata`: the same objects keyed by name, without the name, provider and type it adds to lists. */
function rawData(objects: HttpObjects, udp: UdpObjects) {
  const strip = (m: Map<string, Record<string, unknown>>) =>
    Object.fromEntries([...m].map(([name, { name: _n, provider: _p, type: _t, ...rest }]) => [name, rest]));
  const out: Record<string, unknown> = {};
  if (objects.routers.size) out.routers = strip(objects.routers);
  if (objects.middlewares.size) out.middlewares = strip(objects.middlewares);
  if (objects.services.size) out.services = strip(objects.services);
  if (udp.routers.size) out.udpRouters = strip(udp.routers);
  if (udp.services.size) out.udpServices = strip(udp.services);
  return out;
}
