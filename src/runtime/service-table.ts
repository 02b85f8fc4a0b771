/**
 * The services of one configuration version, built on first use (a service
 * no router names costs nothing) and shared by every router that names them.
 * Weighted, mirroring and failover services refer to others; a cycle among
 * them is an error. Each built service may report its health to the services
 * that use it (service/service-health.ts).
 */
import type { DynamicConfig, Service } from '../dynamic/model.js';
import type { Handler } from '../exchange/exchange.js';
import { buildLoadBalancer, type UpstreamServer } from '../service/load-balancer.js';
import type { HealthChecker } from '../service/health-check.js';
import type { UpstreamPools } from '../service/upstream-pools.js';
import type { ServiceHealth } from '../service/service-health.js';
import { buildWeightedService, type WeightedChild } from '../service/weighted-service.js';
import { buildMirroringService, type Mirror } from '../service/mirroring-service.js';
import { buildFailoverService } from '../service/failover-service.js';
import { readPem } from '../tls/pem-source.js';
import type { ConfigErrors } from './config-errors.js';

export interface InternalServices {
  /** `whoami@internal`, `api@internal`, `ping@internal`, `prometheus@internal`, `noop@internal`, `unresolved-backend@internal`. */
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

interface BuiltService {
  handler: Handler;
  health: ServiceHealth | undefined;
}

/** Weighted children are hashed into the sticky cookie by the name the configuration wrote, without our own provider suffix. */
function writtenName(child: string, parent: string): string {
  const at = parent.lastIndexOf('@');
  return at >= 0 && child.endsWith(parent.slice(at)) ? child.slice(0, child.length - (parent.length - at)) : child;
}

export function buildServiceTable(http: DynamicConfig['http'], deps: ServiceBuildDeps, errors: ConfigErrors): ServiceTable {
  const healthChecks: HealthChecker[] = [];
  const servers = new Map<string, Array<{ url: string; server: UpstreamServer }>>();
  const built = new Map<string, BuiltService | null>();
  const building = new Set<string>();
  const report = (name: string, field: string, message: string) => errors.report('http.services', name, field, message);

  const build = (name: string): BuiltService | undefined => {
    if (name.endsWith('@internal')) {
      const handler = deps.internal.get(name);
      return handler ? { handler, health: undefined } : undefined;
    }
    if (built.has(name)) return built.get(name) ?? undefined;
    const def = http.services[name];
    if (!def) return undefined;
    if (building.has(name)) {
      report(name, kindOf(def), `${kindOf(def)} services refer to each other in a cycle`);
      return undefined;
    }
    building.add(name);
    let service: BuiltService | undefined;
    try {
      service = buildOne(name, def);
    } catch (e) {
      report(name, '', (e as Error).message);
    }
    building.delete(name);
    built.set(name, service ?? null);
    return service;
  };

  /** A child service by name, reported under `field` of `parent` when it is missing or must report health and does not. */
  const child = (parent: string, field: string, name: string, needsHealth: boolean): BuiltService | undefined => {
    const s = build(name);
    if (!s) report(parent, field, `no service named "${name}"`);
    else if (needsHealth && !s.health)
      report(
        parent,
        field,
        `service "${name}" does not report its health: give it a healthCheck (healthCheck: {} on weighted, mirroring and failover services)`,
      );
    else return s;
    return undefined;
  };

  const buildOne = (name: string, def: Service): BuiltService | undefined => {
    if (def.loadBalancer) {
      const transportName = def.loadBalancer.serversTransport;
      const transport = transportName ? http.serversTransports[transportName] : undefined;
      if (transportName && !transport) {
        report(name, 'loadBalancer.serversTransport', `no serversTransport named "${transportName}"`);
        return undefined;
      }
      const lb = buildLoadBalancer(def.loadBalancer, {
        serviceName: name,
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
      if (lb.healthCheck) healthChecks.push(lb.healthCheck);
      servers.set(
        name,
        lb.servers.map((server, i) => ({ url: def.loadBalancer!.servers[i]!.url, server })),
      );
      return { handler: lb.handler, health: lb.health };
    }
    if (def.weighted) {
      const checked = def.weighted.healthCheck !== undefined;
      const children: WeightedChild[] = [];
      def.weighted.services.forEach((w, i) => {
        const s = child(name, `weighted.services[${i}].name`, w.name, checked);
        if (s) children.push({ name: writtenName(w.name, name), weight: w.weight ?? 1, handler: s.handler, health: s.health });
      });
      if (children.length !== def.weighted.services.length) return undefined;
      return buildWeightedService(def.weighted, name, children);
    }
    if (def.mirroring) {
      const m = def.mirroring;
      const main = child(name, 'mirroring.service', m.service, m.healthCheck !== undefined);
      const mirrors: Mirror[] = [];
      (m.mirrors ?? []).forEach((mirror, i) => {
        const s = child(name, `mirroring.mirrors[${i}].name`, mirror.name, false);
        if (s) mirrors.push({ handler: s.handler, percent: mirror.percent ?? 0, count: 0 });
      });
      if (!main || mirrors.length !== (m.mirrors ?? []).length) return undefined;
      return buildMirroringService(m, main, mirrors, () => undefined);
    }
    if (def.failover) {
      const f = def.failover;
      const main = child(name, 'failover.service', f.service, true);
      const fallback = child(name, 'failover.fallback', f.fallback, f.healthCheck !== undefined);
      if (!main || !fallback) return undefined;
      return buildFailoverService({ handler: main.handler, health: main.health! }, fallback, f.healthCheck !== undefined);
    }
    return undefined;
  };

  const serverStatus = (name: string) => {
    const list = servers.get(name);
    return list && Object.fromEntries(list.map(({ url, server }) => [url, server.healthy ? 'UP' : 'DOWN'] as const));
  };
  return { get: (name) => build(name)?.handler, healthChecks, serverStatus };
}

function kindOf(def: Service): string {
  return def.weighted ? 'weighted' : def.mirroring ? 'mirroring' : def.failover ? 'failover' : 'loadBalancer';
}
