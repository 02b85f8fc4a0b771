/**
 * The compiled configuration: what the listeners use for one configuration
 * version — per entrypoint an immutable route table whose targets are ready
 * handlers, and one TLS runtime — built once per version, off the request
 * path, by the small builders beside this file. Problems are reported, never
 * thrown: a broken object is left out and the rest still compiles.
 */
import type { ConfigError, DynamicConfig } from '../dynamic/model.js';
import type { MergedConfig } from '../dynamic/merge.js';
import type { StaticConfig } from '../config/static-config.js';
import type { EntryPointRoutes } from '../exchange/route-lookup.js';
import type { MiddlewareRegistry } from '../middleware/registry.js';
import type { StoredCertificate } from '../tls/sni-certificate-store.js';
import type { TlsRuntime } from '../tls/tls-runtime.js';
import type { TlsAlpnChallenges } from '../tls/alpn-challenge.js';
import { ConfigErrors } from './config-errors.js';
import { buildMiddlewareTable } from './middleware-table.js';
import { buildRoutes, type RouterStatus } from './route-build.js';
import { buildServiceTable, type ServiceBuildDeps } from './service-table.js';
import { buildTlsRuntime, compileTlsOptionSets } from './tls-build.js';
import { buildUdpRoutes, type UdpRoute } from './udp-routes.js';
import { isUdpEntryPoint } from '../config/listen-address.js';
import { buildTcp, type TcpRouterStatus } from './tcp-build.js';
import type { TcpRouteLookup } from '../exchange/tcp-route-lookup.js';
import { emptyTcpConfig } from '../dynamic/tcp-model.js';

export type { InternalServices } from './service-table.js';
export type { RouterStatus } from './route-build.js';
export type { UdpRoute } from './udp-routes.js';
export type { TcpRouterStatus } from './tcp-build.js';

export interface RuntimeConfig {
  version: number;
  routes: Map<string, EntryPointRoutes>;
  tls: TlsRuntime;
  errors: ConfigError[];
  /** Router name → status for the API. */
  routerStatus: Map<string, RouterStatus>;
  /** UDP entrypoint → the route new datagram sessions take (none: no usable UDP router). */
  udpRoutes: Map<string, UdpRoute>;
  /** UDP router name → status for the API. */
  udpRouterStatus: Map<string, RouterStatus>;
  /** Per entrypoint, its TCP routers (tcp-build.ts). */
  tcpRoutes: Map<string, TcpRouteLookup>;
  tcpRouterStatus: Map<string, TcpRouterStatus>;
  config: DynamicConfig;
  /** Configured server URL → `UP`/`DOWN` of a load-balancer service routers use (undefined for others), read by the API. */
  serverStatus(service: string): Readonly<Record<string, 'UP' | 'DOWN'>> | undefined;
  /** Begin background work (active health checks) once this version is live. */
  start(): void;
  /** Stop it, and release what middlewares acquired, when a newer version replaces this one. */
  dispose(): void;
}

export interface BuildDeps extends Omit<ServiceBuildDeps, 'baseDir'> {
  static: StaticConfig;
  middlewares: MiddlewareRegistry;
  generatedDefault: StoredCertificate;
  /** Pending ACME TLS-ALPN-01 challenges, answered on every TLS entrypoint. */
  alpnChallenges?: TlsAlpnChallenges;
}

export function buildRuntime(merged: MergedConfig, deps: BuildDeps, version: number): RuntimeConfig {
  const { http, tls } = merged.config;
  const baseDir = deps.static.baseDir;
  const errors = new ConfigErrors(merged.origins, merged.errors);
  deps.pools.beginGeneration();
  const services = buildServiceTable(http, { ...deps, baseDir }, errors);
  const middlewares = buildMiddlewareTable(http, deps.middlewares, errors, services);
  const tlsOptionSets = compileTlsOptionSets(tls, baseDir, errors);
  const built = buildRoutes(
    {
      http,
      entryPoints: deps.static.entryPoints,
      defaultEntryPoints: userEntryPoints(deps.static),
      services,
      middlewares,
      tlsOptionNames: new Set(tlsOptionSets.keys()),
    },
    errors,
  );
  middlewares.validateUnused();
  const udp = buildUdpRoutes(merged.config.udp, deps.static.entryPoints, errors);
  const tcp = buildTcp(
    {
      tcp: merged.config.tcp ?? emptyTcpConfig(),
      entryPoints: deps.static.entryPoints,
      defaultEntryPoints: userEntryPoints(deps.static),
      tlsOptionNames: new Set(tlsOptionSets.keys()),
      baseDir,
    },
    errors,
  );
  // TLS terminated for a TCP router uses the option set its HostSNI names vote for, as an HTTP router's Host does.
  for (const [host, names] of tcp.hostTlsVotes)
    for (const n of names) (built.hostTlsVotes.get(host) ?? built.hostTlsVotes.set(host, new Set()).get(host)!).add(n);
  const tlsRuntime = buildTlsRuntime(
    tls,
    tlsOptionSets,
    built.hostTlsVotes,
    { baseDir, generatedDefault: deps.generatedDefault, alpnChallenges: deps.alpnChallenges },
    errors,
  );
  deps.pools.sweep();
  return {
    version,
    routes: built.routes,
    tls: tlsRuntime,
    errors: errors.list,
    routerStatus: built.routerStatus,
    udpRoutes: udp.routes,
    udpRouterStatus: udp.routerStatus,
    tcpRoutes: tcp.routes,
    tcpRouterStatus: tcp.routerStatus,
    config: merged.config,
    serverStatus: services.serverStatus,
    start: () => services.healthChecks.forEach((h) => h.start()),
    dispose: () => {
      services.healthChecks.forEach((h) => h.stop());
      middlewares.dispose();
    },
  };
}

/** Entrypoints an HTTP router without `entryPoints` attaches to: all but the internal one (ping/api/metrics; `portico`, or Traefik's `traefik`), which routers must name, and the UDP ones. */
export function userEntryPoints(s: StaticConfig): string[] {
  return Object.keys(s.entryPoints).filter(
    (name) =>
      name !== 'portico' &&
      name !== 'traefik' &&
      name !== s.ping?.entryPoint &&
      name !== s.metrics?.prometheus?.entryPoint &&
      !isUdpEntryPoint(s.entryPoints[name]!),
  );
}
