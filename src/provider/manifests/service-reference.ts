/**
 * A service reference in an IngressRoute route, a TraefikService or an
 * Ingress backend → a dynamic service. A Kubernetes Service becomes a load
 * balancer over its ready endpoints; a TraefikService (or `name@provider`)
 * is referred to by name.
 */
import type { LoadBalancerService, Service } from '../../dynamic/model.js';
import {
  Problem,
  asObject,
  checkKeys,
  normalizeName,
  objectReference,
  optBoolean,
  optInteger,
  optString,
  qualifiedReference,
  referencedNamespace,
  reqString,
  shortHash,
  type ConversionContext,
} from './conversion-context.js';

const SUPPORTED_KEYS = [
  'name',
  'kind',
  'namespace',
  'port',
  'weight',
  'passHostHeader',
  'serversTransport',
  'scheme',
  'nativeLB',
  'strategy',
  'sticky',
  'healthCheck',
  'passiveHealthCheck',
];
/** Traefik fields Portico has no equivalent for: an error says so instead of "unknown field". */
const UNSUPPORTED_KEYS = ['responseForwarding', 'nodePortLB'];

export type ResolvedReference =
  /** A Kubernetes Service: the caller names it (Traefik names a route's only service after the route). */
  | { kind: 'loadBalancer'; service: Service; defaultName: string; weight: number }
  /** A TraefikService or another provider's service, by name. */
  | { kind: 'name'; name: string; weight: number };

/** `extraKeys`: the keys a TraefikService adds beside the reference (mirroring's `mirrorBody`, a mirror's `percent`), read by the caller. */
export function resolveServiceReference(raw: unknown, ctx: ConversionContext, at: string, extraKeys: readonly string[] = []): ResolvedReference {
  const ref = asObject(raw, at);
  for (const k of UNSUPPORTED_KEYS) if (k in ref) throw new Problem(`${at}.${k}`, `"${k}" is not supported by Portico; remove it`);
  checkKeys(ref, [...SUPPORTED_KEYS, ...extraKeys], at);
  const name = reqString(ref.name, `${at}.name`);
  const weight = optInteger(ref.weight, `${at}.weight`, 0) ?? 1;
  const kind = optString(ref.kind, `${at}.kind`) ?? 'Service';
  if (kind === 'TraefikService') {
    if (name.includes('@')) return { kind: 'name', name: qualifiedReference(name, ctx, `${at}.name`), weight };
    const ns = referencedNamespace(ref.namespace, ctx, at);
    if (!ctx.index.traefikServices.has(`${ns}/${name}`)) throw new Problem(`${at}.name`, `no TraefikService ${ns}/${name}`);
    return { kind: 'name', name: normalizeName(`${ns}-${name}`), weight };
  }
  if (kind !== 'Service') throw new Problem(`${at}.kind`, `must be Service or TraefikService, got "${kind}"`);
  const ns = referencedNamespace(ref.namespace, ctx, at);
  const port = ref.port;
  if (port !== undefined && typeof port !== 'string' && !(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536))
    throw new Problem(`${at}.port`, 'must be a port number (1-65535) or a port name');
  if (!ctx.index.directory.has(ns, name)) {
    // The file provider lets an IngressRoute name a service written in the native format.
    if (ctx.opts.nativeServiceNames?.has(name)) return { kind: 'name', name, weight };
    throw new Problem(`${at}.name`, `no Service ${ns}/${name}`);
  }
  const strategy = optString(ref.strategy, `${at}.strategy`);
  // `RoundRobin` is Traefik v2's spelling of wrr.
  if (strategy !== undefined && strategy !== 'RoundRobin' && strategy !== 'wrr' && strategy !== 'p2c')
    throw new Problem(`${at}.strategy`, `load-balancing strategy "${strategy}" is not supported; use wrr or p2c`);
  const scheme = optString(ref.scheme, `${at}.scheme`);
  const nativeLB = optBoolean(ref.nativeLB, `${at}.nativeLB`);
  let urls: string[];
  try {
    urls = ctx.index.directory.resolve({ name, namespace: ns, port: port as number | string | undefined, scheme, nativeLB }, ctx.opts).urls;
  } catch (err) {
    throw new Problem(`${at}.${port === undefined ? 'name' : 'port'}`, (err as Error).message);
  }
  const lb: LoadBalancerService = { servers: urls.map((url) => ({ url })) };
  const passHostHeader = optBoolean(ref.passHostHeader, `${at}.passHostHeader`);
  if (passHostHeader !== undefined) lb.passHostHeader = passHostHeader;
  if (ref.serversTransport !== undefined)
    lb.serversTransport = objectReference(
      { name: ref.serversTransport, namespace: ns },
      { ...ctx, ns },
      `${at}.serversTransport`,
      'ServersTransport',
      ctx.index.serversTransports,
    );
  if (ref.sticky !== undefined) lb.sticky = sticky(ref.sticky, `${at}.sticky`);
  if (ref.healthCheck !== undefined) lb.healthCheck = healthCheck(ref.healthCheck, `${at}.healthCheck`);
  if (strategy === 'p2c') lb.strategy = 'p2c';
  if (ref.passiveHealthCheck !== undefined) lb.passiveHealthCheck = passiveHealthCheck(ref.passiveHealthCheck, `${at}.passiveHealthCheck`);
  // Two references to one Service port with different settings must not overwrite each other.
  const settings = {
    passHostHeader,
    serversTransport: lb.serversTransport,
    scheme,
    nativeLB,
    sticky: lb.sticky,
    healthCheck: lb.healthCheck,
    strategy: lb.strategy,
    passiveHealthCheck: lb.passiveHealthCheck,
  };
  const distinct = Object.values(settings).some((v) => v !== undefined) ? `-${shortHash(JSON.stringify(settings))}` : '';
  const defaultName = normalizeName(port === undefined ? `${ns}-${name}` : `${ns}-${name}-${port}`) + distinct;
  return { kind: 'loadBalancer', service: { loadBalancer: lb }, defaultName, weight };
}

export function sticky(raw: unknown, at: string): NonNullable<LoadBalancerService['sticky']> {
  const s = asObject(raw, at);
  checkKeys(s, ['cookie'], at);
  if (s.cookie === undefined) return {};
  const c = asObject(s.cookie ?? {}, `${at}.cookie`);
  checkKeys(c, ['name', 'secure', 'httpOnly', 'sameSite', 'maxAge', 'path', 'domain'], `${at}.cookie`);
  const cookie: NonNullable<NonNullable<LoadBalancerService['sticky']>['cookie']> = {};
  const name = optString(c.name, `${at}.cookie.name`);
  if (name !== undefined) cookie.name = name;
  const secure = optBoolean(c.secure, `${at}.cookie.secure`);
  if (secure !== undefined) cookie.secure = secure;
  const httpOnly = optBoolean(c.httpOnly, `${at}.cookie.httpOnly`);
  if (httpOnly !== undefined) cookie.httpOnly = httpOnly;
  const sameSite = optString(c.sameSite, `${at}.cookie.sameSite`);
  if (sameSite !== undefined && !['', 'none', 'lax', 'strict'].includes(sameSite.toLowerCase()))
    throw new Problem(`${at}.cookie.sameSite`, `must be none, lax or strict, got "${sameSite}"`);
  if (sameSite !== undefined) cookie.sameSite = sameSite;
  const maxAge = optInteger(c.maxAge, `${at}.cookie.maxAge`);
  if (maxAge !== undefined) cookie.maxAge = maxAge;
  const path = optString(c.path, `${at}.cookie.path`);
  if (path !== undefined) cookie.path = path;
  const domain = optString(c.domain, `${at}.cookie.domain`);
  if (domain !== undefined) cookie.domain = domain;
  return { cookie };
}

function passiveHealthCheck(raw: unknown, at: string): NonNullable<LoadBalancerService['passiveHealthCheck']> {
  const p = asObject(raw ?? {}, at);
  checkKeys(p, ['failureWindow', 'maxFailedAttempts'], at);
  const out: NonNullable<LoadBalancerService['passiveHealthCheck']> = {};
  const failureWindow = typeof p.failureWindow === 'number' ? `${p.failureWindow}s` : optString(p.failureWindow, `${at}.failureWindow`);
  if (failureWindow !== undefined) out.failureWindow = failureWindow;
  const maxFailedAttempts = optInteger(p.maxFailedAttempts, `${at}.maxFailedAttempts`, 1);
  if (maxFailedAttempts !== undefined) out.maxFailedAttempts = maxFailedAttempts;
  return out;
}

function healthCheck(raw: unknown, at: string): NonNullable<LoadBalancerService['healthCheck']> {
  const h = asObject(raw, at);
  checkKeys(h, ['path', 'interval', 'timeout', 'scheme', 'hostname', 'port'], at);
  // Traefik's CRD lets durations be integers (seconds).
  const duration = (v: unknown, field: string) => (typeof v === 'number' ? `${v}s` : optString(v, `${at}.${field}`));
  const out: NonNullable<LoadBalancerService['healthCheck']> = { path: reqString(h.path, `${at}.path`) };
  const interval = duration(h.interval, 'interval');
  if (interval !== undefined) out.interval = interval;
  const timeout = duration(h.timeout, 'timeout');
  if (timeout !== undefined) out.timeout = timeout;
  const scheme = optString(h.scheme, `${at}.scheme`);
  if (scheme !== undefined) out.scheme = scheme;
  const hostname = optString(h.hostname, `${at}.hostname`);
  if (hostname !== undefined) out.hostname = hostname;
  const port = optInteger(h.port, `${at}.port`, 1);
  if (port !== undefined) out.port = port;
  return out;
}
