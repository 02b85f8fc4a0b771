/**
 * The TCP routers, services and middlewares for the API (`/api/tcp/...`), in
 * the shape api-objects.ts gives HTTP ones (Traefik's): each with its status,
 * provider, the routers using it and its errors.
 */
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import { providerOf, type MiddlewareObject, type ObjectStatus, type RouterObject, type ServiceObject } from './api-objects.js';

export interface TcpObjects {
  routers: Map<string, RouterObject>;
  services: Map<string, ServiceObject>;
  middlewares: Map<string, MiddlewareObject>;
}

function errorsAt(rt: RuntimeConfig, kind: string, name: string): string[] {
  const path = `tcp.${kind}.${name}`;
  return rt.errors
    .filter((e) => e.path === path || e.path.startsWith(path + '.'))
    .map((e) => (e.path === path ? e.message : `${e.path.slice(path.length + 1)}: ${e.message}`));
}

export function tcpObjects(rt: RuntimeConfig): TcpObjects {
  const tcp = rt.config.tcp;
  const out: TcpObjects = { routers: new Map(), services: new Map(), middlewares: new Map() };
  if (!tcp) return out;
  const usedBy = new Map<string, string[]>();
  const use = (key: string, router: string) => (usedBy.get(key) ?? usedBy.set(key, []).get(key)!).push(router);
  for (const [name, router] of Object.entries(tcp.routers)) {
    const st = rt.tcpRouterStatus.get(name);
    const errors = [...new Set([...(st?.errors ?? []), ...errorsAt(rt, 'routers', name)])];
    const status: ObjectStatus = st?.status !== 'enabled' ? 'disabled' : errors.length ? 'warning' : 'enabled';
    out.routers.set(name, {
      ...router,
      entryPoints: router.entryPoints?.length ? router.entryPoints : (st?.entryPoints ?? []),
      ...(errors.length ? { error: errors } : {}),
      status,
      ...(st?.status === 'enabled' ? { using: st.entryPoints } : {}),
      name,
      provider: providerOf(name),
    });
    use(`s:${router.service}`, name);
    for (const m of router.middlewares ?? []) use(`m:${m}`, name);
  }
  for (const [name, svc] of Object.entries(tcp.services)) {
    const errors = errorsAt(rt, 'services', name);
    out.services.set(name, {
      ...svc,
      ...(errors.length ? { error: errors } : {}),
      status: errors.length ? 'disabled' : 'enabled',
      usedBy: usedBy.get(`s:${name}`) ?? [],
      name,
      provider: providerOf(name),
      type: svc.loadBalancer ? 'loadbalancer' : 'weighted',
    });
  }
  for (const [name, mw] of Object.entries(tcp.middlewares)) {
    const errors = errorsAt(rt, 'middlewares', name);
    out.middlewares.set(name, {
      ...mw,
      ...(errors.length ? { error: errors } : {}),
      status: errors.length ? 'disabled' : 'enabled',
      usedBy: usedBy.get(`m:${name}`) ?? [],
      name,
      provider: providerOf(name),
      type: Object.keys(mw)[0]?.toLowerCase(),
    });
  }
  return out;
}
