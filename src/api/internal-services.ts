/**
 * Services that live inside Portico: `ping@internal` (liveness), `api@internal`
 * (the read-only JSON API in Traefik's shape, api-handler.ts, and with
 * `api.dashboard` the dashboard at /dashboard/, dashboard-handler.ts),
 * `prometheus@internal`, `whoami@internal`, `noop@internal`,
 * `unresolved-backend@internal` (500: where the Gateway API sends the
 * requests meant for a backendRef it cannot follow) and, with ACME
 * resolvers, `acme-http@internal` (HTTP-01 challenges). The API is
 * reachable only when `api.insecure` puts it on the internal entrypoint or a
 * user router names `api@internal` explicitly — never by default.
 */
import type { Handler } from '../exchange/exchange.js';
import { whoamiHandler } from '../service/internal/whoami.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import type { StaticConfig } from '../config/static-config.js';
import { splitUrl } from '../middleware/url-parts.js';
import { createApiHandler } from './api-handler.js';
import { dashboardDirectory, loadDashboardAssets } from './dashboard-assets.js';
import { createDashboardHandler, isDashboardPath } from './dashboard-handler.js';
import { httpChallengeHandler } from '../acme/http-challenge-handler.js';
import type { AcmeProvider } from '../acme/acme-provider.js';

export interface InternalServiceDeps {
  /** The Prometheus exposition (this process's registry, or all workers' summed by the primary). */
  metrics: () => Promise<{ text: string; contentType: string }>;
  runtime: () => RuntimeConfig | undefined;
  /** The API lists the entrypoints, providers and features it configures. */
  static: StaticConfig;
  isReady: () => boolean;
  /** The ACME resolvers, when the static configuration has any: `acme-http@internal` answers their HTTP-01 challenges, the API lists their state. */
  acme?: AcmeProvider;
}

export function createInternalServices(deps: InternalServiceDeps) {
  const services = new Map<string, Handler>([
    ['whoami@internal', whoamiHandler],
    ['noop@internal', (ex) => ex.respond(200, {}, '')],
    [
      'unresolved-backend@internal',
      (ex) =>
        ex.respond(500, { 'content-type': 'text/plain; charset=utf-8' }, '500 Internal Server Error: the route refers to a backend that cannot be resolved\n'),
    ],
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
    ['api@internal', apiWithDashboard(deps)],
  ]);
  if (deps.acme) services.set('acme-http@internal', httpChallengeHandler(deps.acme.challenges));
  return { get: (name: string) => services.get(name) };
}

/** `api@internal`: the API, and the dashboard beside it unless `api.dashboard: false` (then its paths are the API's 404s). */
function apiWithDashboard(deps: InternalServiceDeps): Handler {
  const api = createApiHandler({ static: deps.static, runtime: deps.runtime, acmeStatus: deps.acme && (() => deps.acme!.status()) });
  if (!deps.static.api?.dashboard) return api;
  let dashboard: Handler | undefined;
  const loadDashboard = () => {
    const dir = dashboardDirectory();
    return createDashboardHandler(dir ? loadDashboardAssets(dir) : undefined, 'the dashboard files (dashboard/ in the Portico package) were not found');
  };
  return (ex) => (isDashboardPath(splitUrl(ex.url)[0]) ? (dashboard ??= loadDashboard())(ex) : api(ex));
}
