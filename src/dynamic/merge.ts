/**
 * Merge provider snapshots into one configuration with provider-qualified
 * names (`whoami@file`), as Traefik does. References without `@` are
 * qualified with the referring object's provider, so a file can say
 * `service: whoami` and a chain can name `auth`. TLS option sets named
 * `default` are the global default and stay unqualified.
 */
import type { ConfigError, DynamicConfig, ObjectLines, ProviderSnapshot, Router, Service, Middleware } from './model.js';
import { emptyDynamicConfig } from './model.js';

export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

export function qualifyTlsOptions(name: string | undefined, provider: string): string {
  if (!name || name === 'default') return 'default';
  return qualify(name, provider);
}

export interface MergedConfig {
  config: DynamicConfig;
  errors: ConfigError[];
  /** Where each qualified object came from, for error messages (`http.routers.api@file` → file path, and its lines there). */
  origins: Map<string, ObjectOrigin>;
}

export interface ObjectOrigin {
  provider: string;
  source?: string;
  lines?: ObjectLines;
}

export function mergeSnapshots(snapshots: Iterable<ProviderSnapshot>): MergedConfig {
  const out = emptyDynamicConfig();
  const errors: ConfigError[] = [];
  const origins = new Map<string, ObjectOrigin>();
  for (const snap of snapshots) {
    const p = snap.provider;
    errors.push(...snap.errors);
    const src = (kind: string, name: string) => snap.origins?.[`${kind}.${name}`];
    const from = (kind: string, name: string): ObjectOrigin => {
      const lines = snap.originLines?.[`${kind}.${name}`];
      return { provider: p, source: src(kind, name), ...(lines ? { lines } : {}) };
    };
    for (const [name, r] of Object.entries(snap.config.http.routers)) {
      const q = qualify(name, p);
      const router: Router = {
        ...r,
        service: r.service === undefined ? undefined : qualify(r.service, p),
        middlewares: r.middlewares?.map((m) => qualify(m, p)),
        parentRefs: r.parentRefs?.map((m) => qualify(m, p)),
      };
      if (r.tls) router.tls = { ...r.tls, options: qualifyTlsOptions(r.tls.options, p) };
      out.http.routers[q] = router;
      origins.set(`http.routers.${q}`, from('http.routers', name));
    }
    for (const [name, s] of Object.entries(snap.config.http.services)) {
      const q = qualify(name, p);
      const svc: Service = { ...s };
      if (s.loadBalancer?.serversTransport) svc.loadBalancer = { ...s.loadBalancer, serversTransport: qualify(s.loadBalancer.serversTransport, p) };
      if (s.weighted) svc.weighted = { ...s.weighted, services: s.weighted.services.map((w) => ({ ...w, name: qualify(w.name, p) })) };
      if (s.mirroring)
        svc.mirroring = {
          ...s.mirroring,
          service: qualify(s.mirroring.service, p),
          mirrors: s.mirroring.mirrors?.map((m) => ({ ...m, name: qualify(m.name, p) })),
        };
      if (s.failover) svc.failover = { ...s.failover, service: qualify(s.failover.service, p), fallback: qualify(s.failover.fallback, p) };
      out.http.services[q] = svc;
      origins.set(`http.services.${q}`, from('http.services', name));
    }
    for (const [name, m] of Object.entries(snap.config.http.middlewares)) {
      const q = qualify(name, p);
      const mw: Middleware = { ...m };
      const chain = m.chain as { middlewares?: unknown } | undefined;
      if (chain && Array.isArray(chain.middlewares))
        mw.chain = { ...chain, middlewares: chain.middlewares.map((c) => (typeof c === 'string' ? qualify(c, p) : c)) };
      out.http.middlewares[q] = mw;
      origins.set(`http.middlewares.${q}`, from('http.middlewares', name));
    }
    for (const [name, t] of Object.entries(snap.config.http.serversTransports)) {
      out.http.serversTransports[qualify(name, p)] = t;
    }
    for (const [name, r] of Object.entries(snap.config.udp.routers)) {
      const q = qualify(name, p);
      out.udp.routers[q] = { ...r, service: qualify(r.service, p) };
      origins.set(`udp.routers.${q}`, from('udp.routers', name));
    }
    for (const [name, s] of Object.entries(snap.config.udp.services)) {
      const q = qualify(name, p);
      out.udp.services[q] = s.weighted ? { weighted: { services: s.weighted.services.map((w) => ({ ...w, name: qualify(w.name, p) })) } } : s;
      origins.set(`udp.services.${q}`, from('udp.services', name));
    }
    const tcp = snap.config.tcp;
    if (tcp) {
      const outTcp = out.tcp!;
      for (const [name, r] of Object.entries(tcp.routers)) {
        const q = qualify(name, p);
        outTcp.routers[q] = {
          ...r,
          service: qualify(r.service, p),
          middlewares: r.middlewares?.map((m) => qualify(m, p)),
          ...(r.tls ? { tls: { ...r.tls, options: r.tls.options === undefined ? undefined : qualifyTlsOptions(r.tls.options, p) } } : {}),
        };
        origins.set(`tcp.routers.${q}`, from('tcp.routers', name));
      }
      for (const [name, s] of Object.entries(tcp.services)) {
        const q = qualify(name, p);
        outTcp.services[q] = {
          ...(s.loadBalancer
            ? {
                loadBalancer: {
                  ...s.loadBalancer,
                  ...(s.loadBalancer.serversTransport ? { serversTransport: qualify(s.loadBalancer.serversTransport, p) } : {}),
                },
              }
            : {}),
          ...(s.weighted ? { weighted: { services: s.weighted.services.map((w) => ({ ...w, name: qualify(w.name, p) })) } } : {}),
        };
        origins.set(`tcp.services.${q}`, from('tcp.services', name));
      }
      for (const [name, m] of Object.entries(tcp.middlewares)) {
        outTcp.middlewares[qualify(name, p)] = m;
        origins.set(`tcp.middlewares.${qualify(name, p)}`, from('tcp.middlewares', name));
      }
      for (const [name, t] of Object.entries(tcp.serversTransports)) outTcp.serversTransports[qualify(name, p)] = t;
    }
    out.tls.certificates.push(...snap.config.tls.certificates);
    for (const [name, o] of Object.entries(snap.config.tls.options)) {
      const q = qualifyTlsOptions(name, p);
      if (q === 'default' && out.tls.options.default) {
        errors.push({
          provider: p,
          source: src('tls.options', name) ?? p,
          path: 'tls.options.default',
          message: 'TLS option "default" is defined by more than one provider; the first one is used',
        });
        continue;
      }
      out.tls.options[q] = o;
      origins.set(`tls.options.${q}`, from('tls.options', name));
    }
    for (const [name, store] of Object.entries(snap.config.tls.stores)) {
      if (name !== 'default') {
        errors.push({
          provider: p,
          source: src('tls.stores', name) ?? p,
          path: `tls.stores.${name}`,
          message: `only the TLS store named "default" exists; rename "${name}" to "default"`,
        });
        continue;
      }
      if (out.tls.stores.default?.defaultCertificate && store.defaultCertificate) {
        errors.push({
          provider: p,
          source: src('tls.stores', name) ?? p,
          path: 'tls.stores.default.defaultCertificate',
          message: 'a default certificate is already set by another provider; this one is ignored',
        });
        continue;
      }
      out.tls.stores.default = { ...out.tls.stores.default, ...store };
    }
  }
  return { config: out, errors, origins };
}
