/**
 * UDP routers and services → one route per UDP entrypoint: which backend a
 * new datagram session goes to. UDP has no request to match, so a router
 * only ties entrypoints to a service, and an entrypoint has one router: with
 * several, the first by name serves and the others are reported (Traefik
 * warns and uses the first too). A load balancer hands new sessions to its
 * servers in turn; a weighted service splits them between its services by
 * weight. Sessions themselves live in the listener (src/entrypoint/udp-entrypoint.ts)
 * and outlast configuration versions; `key` tells the listener whether a
 * session's route is still the one it was picked from.
 */
import type { StaticConfig } from '../config/static-config.js';
import { isUdpEntryPoint } from '../config/listen-address.js';
import type { UdpConfig } from '../dynamic/model.js';
import { SmoothWeightedRoundRobin } from '../service/smooth-weighted-round-robin.js';
import type { ConfigErrors } from './config-errors.js';
import type { RouterStatus } from './route-build.js';

/** One backend of a UDP load balancer. */
export interface UdpBackend {
  /** As configured: `host:port`. */
  address: string;
  host: string;
  port: number;
}

export interface UdpRoute {
  router: string;
  service: string;
  /** The same while the router, its service and everything below it are unchanged; a session picked under another key is picked again. */
  key: string;
  /** The backend for a new session (undefined: none to send to). */
  pick(): UdpBackend | undefined;
}

export interface BuiltUdpRoutes {
  /** UDP entrypoint → its route; an entrypoint without a usable router has none. */
  routes: Map<string, UdpRoute>;
  routerStatus: Map<string, RouterStatus>;
}

type Picker = () => UdpBackend | undefined;

/** `host:port` or `[v6]:port` → its parts; undefined when it is not one. */
export function parseUdpAddress(address: string): UdpBackend | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s[\]]+)):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { address, host: (m[1] ?? m[2])!, port };
}

export function buildUdpRoutes(udp: UdpConfig, entryPoints: StaticConfig['entryPoints'], errors: ConfigErrors): BuiltUdpRoutes {
  const udpEntryPoints = Object.keys(entryPoints).filter((n) => isUdpEntryPoint(entryPoints[n]!));
  const services = new UdpServiceCompiler(udp, errors);
  const routerStatus = new Map<string, RouterStatus>();
  const routes = new Map<string, UdpRoute>();

  for (const name of Object.keys(udp.routers).sort()) {
    const router = udp.routers[name]!;
    const problems: string[] = [];
    const fail = (field: string, message: string) => {
      problems.push(`${field}: ${message}`);
      errors.report('udp.routers', name, field, message);
    };
    router.entryPoints?.forEach((e, i) => {
      if (!entryPoints[e]) fail(`entryPoints[${i}]`, `no entrypoint named "${e}"`);
      else if (!isUdpEntryPoint(entryPoints[e]))
        fail(`entryPoints[${i}]`, `"${e}" is not a UDP entrypoint; UDP routers attach to entrypoints whose address ends in /udp`);
    });
    const eps = router.entryPoints?.length ? router.entryPoints : udpEntryPoints;
    const picker = services.get(router.service);
    if (!picker) fail('service', `no usable UDP service named "${router.service}"`);
    if (problems.length) {
      routerStatus.set(name, { status: 'disabled', entryPoints: eps, errors: problems });
      continue;
    }
    const key = JSON.stringify([name, router.service, services.definitionOf(router.service)]);
    const attached: string[] = [];
    for (const e of eps) {
      const taken = routes.get(e);
      if (taken) {
        fail('entryPoints', `entrypoint "${e}" is already served by UDP router "${taken.router}" (a UDP entrypoint has one router; the first by name is used)`);
        continue;
      }
      routes.set(e, { router: name, service: router.service, key, pick: picker! });
      attached.push(e);
    }
    routerStatus.set(
      name,
      attached.length ? { status: 'enabled', entryPoints: attached, errors: problems } : { status: 'disabled', entryPoints: eps, errors: problems },
    );
  }
  // Services no router uses are still checked, so `portico check` reports them.
  for (const name of Object.keys(udp.services)) services.get(name);
  return { routes, routerStatus };
}

/** Compiles each UDP service once, reporting its problems once; weighted services refer to others by name. */
class UdpServiceCompiler {
  private readonly built = new Map<string, Picker | undefined>();
  private readonly building = new Set<string>();

  constructor(
    private readonly udp: UdpConfig,
    private readonly errors: ConfigErrors,
  ) {}

  /** The service and everything it refers to, as configured (for the route's key). */
  definitionOf(name: string, seen = new Set<string>()): unknown {
    const def = this.udp.services[name];
    if (!def?.weighted || seen.has(name)) return def;
    seen.add(name);
    return { ...def, children: def.weighted.services.map((s) => this.definitionOf(s.name, seen)) };
  }

  get(name: string): Picker | undefined {
    if (this.built.has(name)) return this.built.get(name);
    if (this.building.has(name)) return undefined;
    this.building.add(name);
    const picker = this.compile(name);
    this.building.delete(name);
    this.built.set(name, picker);
    return picker;
  }

  private compile(name: string): Picker | undefined {
    const def = this.udp.services[name];
    if (!def) return undefined;
    if (def.loadBalancer) {
      const backends: UdpBackend[] = [];
      def.loadBalancer.servers.forEach((s, i) => {
        const b = parseUdpAddress(s.address);
        if (b) backends.push(b);
        else
          this.errors.report(
            'udp.services',
            name,
            `loadBalancer.servers[${i}].address`,
            `"${s.address}" is not host:port (a port from 1 to 65535; IPv6 in brackets)`,
          );
      });
      if (backends.length < def.loadBalancer.servers.length) return undefined;
      const rr = new SmoothWeightedRoundRobin(backends.map((value) => ({ value, weight: 1 })));
      return () => rr.next();
    }
    if (def.weighted) {
      const members: Array<{ value: Picker; weight: number }> = [];
      let broken = false;
      def.weighted.services.forEach((s, i) => {
        if (s.name === name || this.building.has(s.name)) {
          this.errors.report('udp.services', name, `weighted.services[${i}].name`, `"${s.name}" refers back to this service (a loop)`);
          broken = true;
          return;
        }
        const child = this.get(s.name);
        if (!child) {
          this.errors.report(
            'udp.services',
            name,
            `weighted.services[${i}].name`,
            this.udp.services[s.name] ? `UDP service "${s.name}" is invalid (see its own error)` : `no UDP service named "${s.name}"`,
          );
          broken = true;
          return;
        }
        members.push({ value: child, weight: s.weight ?? 1 });
      });
      if (broken) return undefined;
      const rr = new SmoothWeightedRoundRobin(members);
      return () => rr.next()?.();
    }
    return undefined;
  }
}
