/**
 * The UDP routers and services of one configuration version as Traefik v3's
 * API represents them (`UDPRouterInfo`, `UDPServiceInfo`): the configured
 * fields, then `error` (omitted when empty), `status`, `using` (the UDP
 * entrypoints a router serves) or `usedBy` (the routers reaching a service),
 * `name`, `provider` and, for services, `type`.
 */
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import { errorsOf, providerOf, typeOf, withErrors, type ObjectStatus, type ServiceObject } from './api-objects.js';

export interface UdpRouterObject {
  [field: string]: unknown;
  name: string;
  provider: string;
  status: ObjectStatus;
  service: string;
  entryPoints?: string[];
}

export interface UdpObjects {
  routers: Map<string, UdpRouterObject>;
  services: Map<string, ServiceObject>;
}

export function udpObjects(rt: RuntimeConfig): UdpObjects {
  const { udp } = rt.config;
  const routers = new Map<string, UdpRouterObject>();
  const users = new Map<string, string[]>();
  const use = (service: string, router: string) => (users.get(service) ?? users.set(service, []).get(service)!).push(router);
  for (const [name, router] of Object.entries(udp.routers)) {
    const st = rt.udpRouterStatus.get(name);
    const problems = [...new Set([...(st?.errors ?? []), ...errorsOf(rt.errors, 'routers', name, 'udp')])];
    const enabled = st?.status === 'enabled';
    routers.set(name, {
      ...withErrors({ ...router, entryPoints: router.entryPoints?.length ? router.entryPoints : (st?.entryPoints ?? []) }, problems),
      status: !enabled ? 'disabled' : problems.length ? 'warning' : 'enabled',
      ...(enabled ? { using: st.entryPoints } : {}),
      name,
      provider: providerOf(name),
    } as UdpRouterObject);
    use(router.service, name);
    // A weighted service reaches its members too.
    for (const child of udp.services[router.service]?.weighted?.services ?? []) use(child.name, name);
  }
  const services = new Map<string, ServiceObject>();
  for (const [name, def] of Object.entries(udp.services)) {
    const problems = errorsOf(rt.errors, 'services', name, 'udp');
    const type = typeOf(def);
    services.set(name, {
      ...withErrors(def, problems),
      status: problems.length ? 'disabled' : 'enabled',
      usedBy: [...new Set(users.get(name) ?? [])].sort(),
      name,
      provider: providerOf(name),
      ...(type ? { type } : {}),
    });
  }
  return { routers, services };
}
