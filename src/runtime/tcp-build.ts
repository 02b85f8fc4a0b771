/**
 * TCP routers, services and middlewares → per entrypoint a TcpRouteLookup
 * (exchange/tcp-route-lookup.ts) whose routes carry ready handlers: the
 * router's middlewares (ipAllowList, inFlightConn) around its service (a
 * weighted round robin over servers, relayed by service/tcp-relay.ts). Pure:
 * nothing listens or dials here. A router with a problem is reported and left
 * out; the others compile.
 */
import type { ConnectionOptions } from 'node:tls';
import type { StaticConfig } from '../config/static-config.js';
import { parseDurationMs } from '../config/duration.js';
import type { TcpConfig, TcpServersTransport } from '../dynamic/tcp-model.js';
import type { TcpHandler, TcpRoute, TcpRouteFacts, TcpRouteLookup } from '../exchange/tcp-route-lookup.js';
import { IpRangeSet } from '../net/ip-range.js';
import { compileTcpRule, type TcpRuleMatcher } from '../router/tcp-rule-matcher.js';
import { defaultPriority } from '../router/route-table.js';
import { SmoothWeightedRoundRobin } from '../service/smooth-weighted-round-robin.js';
import { relayConnection, splitHostPort, type TcpUpstream } from '../service/tcp-relay.js';
import type { ConfigErrors } from './config-errors.js';
import { readPem } from '../tls/pem-source.js';

export interface TcpRouterStatus {
  status: 'enabled' | 'disabled';
  entryPoints: string[];
  errors: string[];
}

export interface TcpBuildInput {
  tcp: TcpConfig;
  entryPoints: StaticConfig['entryPoints'];
  defaultEntryPoints: readonly string[];
  tlsOptionNames: ReadonlySet<string>;
  baseDir: string;
}

export interface BuiltTcp {
  routes: Map<string, TcpRouteLookup>;
  routerStatus: Map<string, TcpRouterStatus>;
  /** Host → TLS option sets asked for by terminating routers (HostSNI names), for tls-build.ts. */
  hostTlsVotes: Map<string, Set<string>>;
}

const DEFAULT_DIAL_TIMEOUT_S = 30;
/** Traefik sets no idle limit on TCP relays; Portico bounds every connection's life. */
const DEFAULT_IDLE_TIMEOUT_S = 180;
/** Go's net.Dialer default, which Traefik keeps. */
const DEFAULT_KEEP_ALIVE_MS = 15_000;

interface Compiled extends TcpRoute {
  priority: number;
  match: TcpRuleMatcher;
}

export function buildTcp(input: TcpBuildInput, errors: ConfigErrors): BuiltTcp {
  const { tcp } = input;
  const services = new Map<string, TcpHandler | undefined>();
  const serviceFor = (name: string, seen: string[] = []): TcpHandler | undefined => {
    if (services.has(name)) return services.get(name);
    if (seen.includes(name)) {
      errors.report('tcp.services', name, 'weighted', `services refer to each other in a loop (${[...seen, name].join(' → ')})`);
      return undefined;
    }
    const handler = buildService(name, input, errors, (child) => serviceFor(child, [...seen, name]));
    services.set(name, handler);
    return handler;
  };
  const middlewares = new Map<string, ((next: TcpHandler) => TcpHandler) | undefined>();
  for (const [name, m] of Object.entries(tcp.middlewares)) middlewares.set(name, buildMiddleware(name, m, errors));

  const routerStatus = new Map<string, TcpRouterStatus>();
  const perEntryPoint = new Map<string, Compiled[]>();
  for (const n of Object.keys(input.entryPoints)) perEntryPoint.set(n, []);
  const hostTlsVotes = new Map<string, Set<string>>();

  for (const [name, router] of Object.entries(tcp.routers)) {
    const problems: string[] = [];
    const fail = (field: string, message: string) => {
      problems.push(`${field}: ${message}`);
      errors.report('tcp.routers', name, field, message);
    };
    const eps = router.entryPoints?.length ? router.entryPoints : [...input.defaultEntryPoints];
    router.entryPoints?.forEach((e, i) => {
      if (!input.entryPoints[e]) fail(`entryPoints[${i}]`, `no entrypoint named "${e}"`);
    });
    const tls = router.tls ? (router.tls.passthrough ? 'passthrough' : 'terminate') : undefined;
    let match: TcpRuleMatcher | undefined;
    try {
      match = compileTcpRule(router.rule, tls !== undefined);
    } catch (e) {
      fail('rule', (e as Error).message);
    }
    const service = serviceFor(router.service);
    if (!service)
      fail(
        'service',
        tcp.services[router.service] ? `service "${router.service}" is invalid (see its own error)` : `no usable TCP service named "${router.service}"`,
      );
    const tlsOptions = tls === 'terminate' ? (router.tls?.options ?? 'default') : undefined;
    if (tlsOptions && !input.tlsOptionNames.has(tlsOptions)) fail('tls.options', `no TLS option set named "${tlsOptions}"`);
    let handler = service;
    for (let i = (router.middlewares?.length ?? 0) - 1; i >= 0 && handler; i--) {
      const ref = router.middlewares![i]!;
      const mw = middlewares.get(ref);
      if (!mw) {
        fail(`middlewares[${i}]`, tcp.middlewares[ref] ? `middleware "${ref}" is invalid (see its own error)` : `no TCP middleware named "${ref}"`);
        handler = undefined;
      } else handler = mw(handler);
    }
    if (problems.length || !match || !handler) {
      routerStatus.set(name, { status: 'disabled', entryPoints: eps, errors: problems });
      continue;
    }
    const attached = eps.filter((e) => input.entryPoints[e]);
    for (const e of attached) perEntryPoint.get(e)!.push({ name, tls, tlsOptions, handler, match, priority: router.priority || defaultPriority(router.rule) });
    if (tlsOptions) for (const h of sniNames(router.rule)) (hostTlsVotes.get(h) ?? hostTlsVotes.set(h, new Set()).get(h)!).add(tlsOptions);
    routerStatus.set(name, { status: 'enabled', entryPoints: attached, errors: [] });
  }

  const routes = new Map<string, TcpRouteLookup>();
  for (const [ep, list] of perEntryPoint) {
    // Higher priority first; ties by name, as HTTP routes.
    list.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const tlsRoutes = list.filter((r) => r.tls);
    const clearRoutes = list.filter((r) => !r.tls);
    const first = (routes: Compiled[], f: TcpRouteFacts) => routes.find((r) => r.match(f));
    routes.set(ep, {
      matchTls: (f) => first(tlsRoutes, f),
      matchClear: (f) => first(clearRoutes, f),
      hasTls: tlsRoutes.length > 0,
      hasClear: clearRoutes.length > 0,
    });
  }
  return { routes, routerStatus, hostTlsVotes };
}

/** The exact names of HostSNI(`…`) matchers in a rule (for TLS option votes). */
function sniNames(rule: string): string[] {
  return [...rule.matchAll(/HostSNI\(\s*[`"]([^`"*]+)[`"]\s*\)/g)].map((m) => m[1]!.toLowerCase());
}

function buildService(name: string, input: TcpBuildInput, errors: ConfigErrors, child: (name: string) => TcpHandler | undefined): TcpHandler | undefined {
  const svc = input.tcp.services[name];
  if (!svc) return undefined;
  if (svc.weighted) {
    const members: Array<{ value: TcpHandler; weight: number }> = [];
    for (const [i, w] of svc.weighted.services.entries()) {
      const h = child(w.name);
      if (!h) {
        errors.report('tcp.services', name, `weighted.services[${i}].name`, `no usable TCP service named "${w.name}"`);
        return undefined;
      }
      members.push({ value: h, weight: w.weight ?? 1 });
    }
    const pick = new SmoothWeightedRoundRobin(members);
    return (conn) => {
      const h = pick.next();
      if (h) h(conn);
      else conn.socket.destroy();
    };
  }
  const lb = svc.loadBalancer!;
  let transport: TcpServersTransport = {};
  if (lb.serversTransport) {
    const t = input.tcp.serversTransports[lb.serversTransport];
    if (!t) {
      errors.report('tcp.services', name, 'loadBalancer.serversTransport', `no TCP serversTransport named "${lb.serversTransport}"`);
      return undefined;
    }
    transport = t;
  }
  let timing: Pick<TcpUpstream, 'dialTimeoutMs' | 'idleTimeoutMs' | 'keepAliveMs' | 'terminationDelayMs'>;
  let transportTls: ConnectionOptions | undefined;
  try {
    timing = {
      dialTimeoutMs: parseDurationMs(transport.dialTimeout ?? DEFAULT_DIAL_TIMEOUT_S, 'dialTimeout'),
      idleTimeoutMs: parseDurationMs(transport.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S, 'idleTimeout'),
      keepAliveMs: durationOrOff(transport.dialKeepAlive, 'dialKeepAlive') ?? DEFAULT_KEEP_ALIVE_MS,
      terminationDelayMs: durationOrOff(transport.terminationDelay, 'terminationDelay'),
    };
    // Go's zero keep-alive means "the default interval".
    if (timing.keepAliveMs === 0) timing.keepAliveMs = DEFAULT_KEEP_ALIVE_MS;
    if (transport.tls) transportTls = clientTls(transport.tls, input.baseDir);
  } catch (e) {
    errors.report('tcp.services', name, 'loadBalancer.serversTransport', (e as Error).message);
    return undefined;
  }
  const members: Array<{ value: TcpUpstream; weight: number }> = [];
  for (const [i, s] of lb.servers.entries()) {
    if (!splitHostPort(s.address)) {
      errors.report('tcp.services', name, `loadBalancer.servers[${i}].address`, `"${s.address}" is not host:port`);
      return undefined;
    }
    // As in Traefik, only a server marked tls is dialled with TLS: the transport's tls says how (without one, verified against the system CAs).
    const tls = s.tls ? (transportTls ?? {}) : undefined;
    members.push({
      value: { address: s.address, proxyProtocol: lb.proxyProtocol ? (lb.proxyProtocol.version ?? 2) : undefined, ...timing, tls },
      weight: s.weight ?? 1,
    });
  }
  const pick = new SmoothWeightedRoundRobin(members);
  return (conn) => {
    const up = pick.next();
    if (up) relayConnection(conn, up);
    else conn.socket.destroy();
  };
}

/** A duration where Traefik lets a negative value mean "off": undefined when unset or negative. */
function durationOrOff(value: number | string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' ? value < 0 : value.trim().startsWith('-')) return undefined;
  return parseDurationMs(value, what);
}

/** A serversTransport's tls → Node's client options: verification, CAs, client certificates, and a URI SAN in place of the host name check. */
function clientTls(tls: NonNullable<TcpServersTransport['tls']>, baseDir: string): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.serverName) out.servername = tls.serverName;
  if (tls.rootCAs?.length) out.ca = tls.rootCAs.map((c) => readPem(c, baseDir));
  if (tls.certificates?.length) {
    // Node offers one client certificate per key type; the first is the one a server asking for any gets.
    out.cert = tls.certificates.map((c) => readPem(c.certFile, baseDir));
    out.key = tls.certificates.map((c) => readPem(c.keyFile, baseDir));
  }
  const uri = tls.peerCertURI;
  if (uri)
    out.checkServerIdentity = (_host, cert) => {
      const sans = (cert.subjectaltname ?? '').split(/,\s*/);
      return sans.includes(`URI:${uri}`) ? undefined : new Error(`the server's certificate has no URI SAN ${uri} (peerCertURI)`);
    };
  return out;
}

function buildMiddleware(name: string, m: TcpConfig['middlewares'][string], errors: ConfigErrors): ((next: TcpHandler) => TcpHandler) | undefined {
  if (m.ipAllowList) {
    let set: IpRangeSet;
    try {
      set = new IpRangeSet(m.ipAllowList.sourceRange);
    } catch (e) {
      errors.report('tcp.middlewares', name, 'ipAllowList.sourceRange', (e as Error).message);
      return undefined;
    }
    // Refused connections are closed at once: TCP has no status to answer with.
    return (next) => (conn) => (set.contains(conn.clientIp) ? next(conn) : conn.socket.destroy());
  }
  if (m.inFlightConn) {
    const amount = m.inFlightConn.amount;
    // Per client IP, as Traefik counts them.
    const open = new Map<string, number>();
    return (next) => (conn) => {
      const n = open.get(conn.clientIp) ?? 0;
      if (n >= amount) return void conn.socket.destroy();
      open.set(conn.clientIp, n + 1);
      conn.socket.once('close', () => {
        const left = (open.get(conn.clientIp) ?? 1) - 1;
        if (left > 0) open.set(conn.clientIp, left);
        else open.delete(conn.clientIp);
      });
      next(conn);
    };
  }
  errors.report('tcp.middlewares', name, '', 'expected ipAllowList or inFlightConn');
  return undefined;
}
