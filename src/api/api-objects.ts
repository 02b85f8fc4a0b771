/**
 * The routers, services and middlewares of one configuration version as
 * Traefik v3's API represents them (its `runtime.RouterInfo`,
 * `ServiceInfo`, `MiddlewareInfo`): the configured fields, then `error`
 * (omitted when empty), `status`, `using` (routers: the entrypoints they
 * serve on) or `usedBy` (the routers that reach a service or middleware),
 * `serverStatus` (a load balancer's servers, `UP`/`DOWN` by health check),
 * then `name`, `provider` and `type`. Built per request from the runtime:
 * the API is not on the request path of user traffic.
 */
import type { StaticConfig } from '../config/static-config.js';
import type { ConfigError } from '../dynamic/model.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';

export type ObjectStatus = 'enabled' | 'disabled' | 'warning';

export interface RouterObject {
  [field: string]: unknown;
  name: string;
  provider: string;
  status: ObjectStatus;
  rule: string;
  service: string;
  middlewares?: string[];
  entryPoints?: string[];
  priority?: number;
}

export interface ServiceObject {
  [field: string]: unknown;
  name: string;
  provider: string;
  status: ObjectStatus;
  usedBy: string[];
  serverStatus?: Record<string, string>;
  type?: string;
}

export interface MiddlewareObject {
  [field: string]: unknown;
  name: string;
  provider: string;
  status: ObjectStatus;
  usedBy: string[];
  type?: string;
}

export interface HttpObjects {
  routers: Map<string, RouterObject>;
  services: Map<string, ServiceObject>;
  middlewares: Map<string, MiddlewareObject>;
}

/** `who@file` → `file` (Traefik's getProviderName). */
export function providerOf(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? '' : name.slice(at + 1);
}

/** The kind of a service or middleware: its one configured key, lower-cased (`loadbalancer`, `addprefix`). */
export function typeOf(def: object): string | undefined {
  return Object.keys(def)[0]?.toLowerCase();
}

/** The problems reported against `<section>.<kind>.<name>` (or a field of it), as `field: message`. */
export function errorsOf(errors: readonly ConfigError[], kind: string, name: string, section: 'http' | 'udp' = 'http'): string[] {
  const path = `${section}.${kind}.${name}`;
  const out: string[] = [];
  for (const e of errors) {
    if (e.path === path) out.push(e.message);
    else if (e.path.startsWith(path + '.')) out.push(`${e.path.slice(path.length + 1)}: ${e.message}`);
  }
  return out;
}

export function withErrors(fields: object, errors: string[]): Record<string, unknown> {
  return errors.length ? { ...fields, error: errors } : { ...fields };
}

export function httpObjects(rt: RuntimeConfig, s: StaticConfig): HttpObjects {
  const { http } = rt.config;
  const routers = new Map<string, RouterObject>();
  const serviceUsers = new Map<string, string[]>();
  const middlewareUsers = new Map<string, string[]>();
  const use = (users: Map<string, string[]>, key: string, router: string) => {
    const list = users.get(key) ?? users.set(key, []).get(key)!;
    if (!list.includes(router)) list.push(router);
  };

  for (const [name, router] of Object.entries(http.routers)) {
    const st = rt.routerStatus.get(name);
    const problems = [...new Set([...(st?.errors ?? []), ...errorsOf(rt.errors, 'routers', name)])];
    const enabled = st?.status === 'enabled';
    const status: ObjectStatus = !enabled ? 'disabled' : problems.length ? 'warning' : 'enabled';
    // As served: a router without its own tls is a TLS router on an entrypoint with http.tls (Traefik shows it so too).
    const tls = router.tls ? { ...router.tls, options: router.tls.options ?? 'default' } : st?.tls;
    routers.set(name, {
      ...withErrors({ ...router, entryPoints: router.entryPoints?.length ? router.entryPoints : (st?.entryPoints ?? []), ...(tls ? { tls } : {}) }, problems),
      status,
      ...(enabled ? { using: st.entryPoints } : {}),
      name,
      provider: providerOf(name),
    } as RouterObject);
    if (router.service !== undefined) use(serviceUsers, router.service, name);
    for (const m of router.middlewares ?? []) use(middlewareUsers, m, name);
    // An entrypoint's middlewares run for every router it serves.
    for (const ep of enabled ? st.entryPoints : [])
      for (const ref of s.entryPoints[ep]?.http?.middlewares ?? []) use(middlewareUsers, ref.includes('@') ? ref : `${ref}@file`, name);
  }

  const services = new Map<string, ServiceObject>();
  const serviceEntry = (name: string, def: object | undefined): ServiceObject => {
    const problems = errorsOf(rt.errors, 'services', name);
    const serverStatus = rt.serverStatus(name);
    const type = def && typeOf(def);
    return {
      ...withErrors(def ?? {}, problems),
      status: problems.length ? 'disabled' : 'enabled',
      usedBy: (serviceUsers.get(name) ?? []).sort(),
      ...(serverStatus ? { serverStatus: { ...serverStatus } } : {}),
      name,
      provider: providerOf(name),
      ...(type ? { type } : {}),
    };
  };
  for (const [name, def] of Object.entries(http.services)) services.set(name, serviceEntry(name, def));
  // Portico's own services (api@internal, ping@internal...) are listed once a router uses them, as Traefik does.
  for (const name of serviceUsers.keys()) if (name.endsWith('@internal') && !services.has(name)) services.set(name, serviceEntry(name, undefined));

  const middlewares = new Map<string, MiddlewareObject>();
  for (const [name, def] of Object.entries(http.middlewares)) {
    const problems = errorsOf(rt.errors, 'middlewares', name);
    middlewares.set(name, {
      ...withErrors(def, problems),
      status: problems.length ? 'disabled' : 'enabled',
      usedBy: (middlewareUsers.get(name) ?? []).sort(),
      name,
      provider: providerOf(name),
      type: typeOf(def),
    });
  }
  return { routers, services, middlewares };
}

/** `/api/overview`'s count of one kind: all, those with a warning, those disabled (Traefik's "errors"). */
export function section(objects: Iterable<{ status: ObjectStatus }>): { total: number; warnings: number; errors: number } {
  const out = { total: 0, warnings: 0, errors: 0 };
  for (const o of objects) {
    out.total++;
    if (o.status === 'warning') out.warnings++;
    else if (o.status === 'disabled') out.errors++;
  }
  return out;
}
