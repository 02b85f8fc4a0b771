/**
 * The services of one configuration version, built on first use (a service
 * no router names costs nothing) and shared by every router that names them.
 * Weighted services refer to others; a cycle among them is an error.
 */
import type { DynamicConfig } from '../dynamic/model.js';
import type { Handler } from '../middleware/exchange.js';
import { buildLoadBalancer, type UpstreamServer } from '../service/load-balancer.js';
import type { HealthChecker } from '../service/health-check.js';
import { SmoothWeightedRoundRobin } from '../service/smooth-weighted-round-robin.js';
import type { UpstreamPools } from '../service/upstream-pools.js';
import { readPem } from '../tls/pem-source.js';
import type { ConfigErrors } from './config-errors.js';

export interface InternalServices {
  /** `whoami@internal`, `api@internal`, `ping@internal`, `prometheus@internal`, `noop@internal`. */
  get(name: string): Handler | undefined;
}

export interface ServiceBuildDeps {
  pools: UpstreamPools;
  internal: InternalServices;
  /** Directory relative file paths (CA files) are read from. */
  baseDir: string;
  serverName: string;
  onHealthChange?: (service: string, url: string, healthy: boolean) => void;
}

export interface ServiceTable {
  /** The handler of a qualified service name; undefined when there is none or it is broken (reported). */
  get(name: string): Handler | undefined;
  /** Active health checks of the load balancers built so far; started when the version goes live. */
  readonly healthChecks: readonly HealthChecker[];
  /** For the API: configured server URL → `UP`/`DOWN` (active health check) of a load balancer built so far. */
  serverStatus(name: string): Record<string, 'UP' | 'DOWN'> | undefined;
}

export function buildServiceTable(http: DynamicConfig['http'], deps: ServiceBuildDeps, errors: ConfigErrors): ServiceTable {
  const healthChecks: HealthChecker[] = [];
  const servers = new Map<string, Array<{ url: string; server: UpstreamServer }>>();
  const built = new Map<string, Handler | null>();
  const building = new Set<string>();
  const report = (name: string, field: string, message: string) => errors.report('http.services', name, field, message);

  const get = (name: string): Handler | undefined => {
    if (name.endsWith('@internal')) return deps.internal.get(name);
    if (built.has(name)) return built.get(name) ?? undefined;
    const def = http.services[name];
    if (!def) return undefined;
    if (building.has(name)) {
      report(name, 'weighted', 'weighted services refer to each other in a cycle');
      return undefined;
    }
    building.add(name);
    let handler: Handler | undefined;
    try {
      if (def.loadBalancer) {
        const transportName = def.loadBalancer.serversTransport;
        const transport = transportName ? http.serversTransports[transportName] : undefined;
        if (transportName && !transport) report(name, 'loadBalancer.serversTransport', `no serversTransport named "${transportName}"`);
        else {
          const lb = buildLoadBalancer(def.loadBalancer, {
            pools: deps.pools,
            transport: transport ? { name: transportName!, options: transport, baseDir: deps.baseDir } : undefined,
            serverName: deps.serverName,
            upgradeTls: transport
              ? {
                  rejectUnauthorized: !transport.insecureSkipVerify,
                  servername: transport.serverName,
                  ca: transport.rootCAs?.map((c) => readPem(c, deps.baseDir)),
                }
              : undefined,
            onHealthChange: (url, healthy) => deps.onHealthChange?.(name, url, healthy),
          });
          handler = lb.handler;
          servers.set(name, lb.servers.map((server, i) => ({ url: def.loadBalancer!.servers[i]!.url, server })));
          if (lb.healthCheck) healthChecks.push(lb.healthCheck);
        }
      } else if (def.weighted) {
        const members: Array<{ value: Handler; weight: number }> = [];
        def.weighted.services.forEach((w, i) => {
          const h = get(w.name);
          if (!h) report(name, `weighted.services[${i}].name`, `no service named "${w.name}"`);
          else members.push({ value: h, weight: w.weight ?? 1 });
        });
        if (members.length === def.weighted.services.length) {
          const rr = new SmoothWeightedRoundRobin(members);
          handler = (ex) => rr.next()!(ex);
        }
      }
    } catch (e) {
      report(name, '', (e as Error).message);
    }
    building.delete(name);
    built.set(name, handler ?? null);
    return handler;
  };
  const serverStatus = (name: string) => {
    const list = servers.get(name);
    return list && Object.fromEntries(list.map(({ url, server }) => [url, server.healthy ? 'UP' : 'DOWN'] as const));
  };
  return { get, healthChecks, serverStatus };
}
