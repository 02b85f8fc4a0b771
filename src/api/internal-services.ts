/**
 * Services that live inside Portico: `ping@internal` (liveness), `api@internal`
 * (the read-only JSON API: routers, services, middlewares, errors, version),
 * `prometheus@internal`, `whoami@internal` and `noop@internal`. The API is
 * reachable only when `api.insecure` puts it on the internal entrypoint or a
 * user router names `api@internal` explicitly — never by default.
 */
import type { Handler } from '../exchange/exchange.js';
import { whoamiHandler } from '../service/internal/whoami.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import { PORTICO_VERSION } from '../version.js';

export interface InternalServiceDeps {
  /** The Prometheus exposition (this process's registry, or all workers' summed by the primary). */
  metrics: () => Promise<{ text: string; contentType: string }>;
  runtime: () => RuntimeConfig | undefined;
  isReady: () => boolean;
}

export function createInternalServices(deps: InternalServiceDeps) {
  const services = new Map<string, Handler>([
    ['whoami@internal', whoamiHandler],
    ['noop@internal', (ex) => ex.respond(200, {}, '')],
    [
      'ping@internal',
      (ex) => {
        const ok = deps.isReady();
        ex.respond(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }, ok ? 'OK' : 'starting');
      },
    ],
    [
      'prometheus@internal',
      async (ex) => {
        const { text, contentType } = await deps.metrics();
        ex.respond(200, { 'content-type': contentType }, text);
      },
    ],
    [
      'api@internal',
      (ex) => {
        const rt = deps.runtime();
        const path = ex.facts.path.replace(/\/+$/, '');
        const send = (status: number, body: unknown) =>
          ex.respond(status, { 'content-type': 'application/json' }, JSON.stringify(body, null, 2) + '\n');
        if (!rt) return send(503, { error: 'no configuration applied yet' });
        switch (path) {
          case '/api/version':
            return send(200, { version: PORTICO_VERSION });
          case '/api/overview':
            return send(200, {
              version: PORTICO_VERSION,
              configVersion: rt.version,
              routers: rt.routerStatus.size,
              services: Object.keys(rt.config.http.services).length,
              middlewares: Object.keys(rt.config.http.middlewares).length,
              errors: rt.errors.length,
            });
          case '/api/http/routers':
            return send(
              200,
              [...rt.routerStatus].map(([name, st]) => ({ name, ...rt.config.http.routers[name], ...st })),
            );
          case '/api/http/services':
            return send(200, Object.entries(rt.config.http.services).map(([name, s]) => ({ name, ...s })));
          case '/api/http/middlewares':
            return send(200, Object.entries(rt.config.http.middlewares).map(([name, m]) => ({ name, ...m })));
          case '/api/errors':
            return send(200, rt.errors);
          case '/api/rawdata':
            return send(200, { ...rt.config, errors: rt.errors });
          default: {
            const m = /^\/api\/http\/(routers|services|middlewares)\/(.+)$/.exec(path);
            if (m) {
              const name = decodeURIComponent(m[2]!);
              const kind = m[1] as 'routers' | 'services' | 'middlewares';
              const obj = rt.config.http[kind][name];
              if (!obj) return send(404, { error: `no ${kind.slice(0, -1)} named "${name}"` });
              return send(200, { name, ...obj, ...(kind === 'routers' ? rt.routerStatus.get(name) : {}) });
            }
            return send(404, { error: 'not found' });
          }
        }
      },
    ],
  ]);
  services.set('dashboard@internal', services.get('api@internal')!);
  return { get: (name: string) => services.get(name) };
}
