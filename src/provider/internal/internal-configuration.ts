/**
 * What the static configuration asks Portico itself to serve, as ordinary
 * dynamic configuration (Traefik's `internal` provider does the same): the
 * `ping`, `api` (with `dashboard`) and `prometheus` routers on their entrypoints, and for each
 * entrypoint with `http.redirections.entryPoint` a catch-all router whose
 * redirectScheme middleware sends every request to the target entrypoint,
 * and `acme-http` on the ACME resolvers' `httpChallenge.entryPoint`s, which
 * answers the CA's HTTP-01 validation (src/acme/http-challenge-handler.ts).
 * Names are qualified `@internal` when merged; the services are the
 * `<name>@internal` handlers (api/internal-services.ts).
 */
import type { StaticConfig } from '../../config/static-config.js';
import { emptyDynamicConfig, type DynamicConfig } from '../../dynamic/model.js';

/** Above every user router: Portico's own endpoints answer on their paths whatever users route. */
const INTERNAL_PRIORITY = Number.MAX_SAFE_INTEGER - 2;
/** A redirection takes every request of its entrypoint, Portico's own endpoints included. */
const REDIRECTION_PRIORITY = Number.MAX_SAFE_INTEGER - 1;
/** ACME HTTP-01 validation comes first, redirections included: the CA must reach the token over plain HTTP (Traefik's `acme-http` router). */
const ACME_CHALLENGE_PRIORITY = Number.MAX_SAFE_INTEGER;

/**
 * `portOf(entryPoint)`: the port a redirection sends clients to (the target's real
 * port once it listens, which differs from its address with `:0`).
 */
export function internalConfiguration(s: StaticConfig, portOf: (entryPoint: string) => number): DynamicConfig {
  const config = emptyDynamicConfig();
  const { routers, middlewares } = config.http;
  if (s.ping) routers.ping = { entryPoints: [s.ping.entryPoint ?? 'portico'], rule: 'Path(`/ping`)', priority: INTERNAL_PRIORITY, service: 'ping@internal' };
  if (s.api?.insecure)
    routers.api = { entryPoints: [s.api.entryPoint ?? 'portico'], rule: 'PathPrefix(`/api`)', priority: INTERNAL_PRIORITY, service: 'api@internal' };
  // The dashboard (api@internal serves it too) and Traefik's redirect of `/` to it; narrower than Traefik's PathPrefix(`/`), so routers users put on this entrypoint still match.
  if (s.api?.insecure && s.api.dashboard)
    routers.dashboard = {
      entryPoints: [s.api.entryPoint ?? 'portico'],
      rule: 'Path(`/`) || PathPrefix(`/dashboard`)',
      priority: INTERNAL_PRIORITY - 1,
      service: 'api@internal',
    };
  if (s.metrics?.prometheus)
    routers.prometheus = {
      entryPoints: [s.metrics.prometheus.entryPoint ?? 'portico'],
      rule: 'Path(`/metrics`)',
      priority: INTERNAL_PRIORITY,
      service: 'prometheus@internal',
    };
  const challengeEntryPoints = new Set(
    Object.values(s.certificatesResolvers ?? {}).flatMap((r) => (r.acme.httpChallenge ? [r.acme.httpChallenge.entryPoint] : [])),
  );
  if (challengeEntryPoints.size)
    routers['acme-http'] = {
      entryPoints: [...challengeEntryPoints],
      rule: 'PathPrefix(`/.well-known/acme-challenge/`)',
      priority: ACME_CHALLENGE_PRIORITY,
      service: 'acme-http@internal',
    };
  for (const [from, ep] of Object.entries(s.entryPoints)) {
    const redirection = ep.http?.redirections?.entryPoint;
    if (!redirection) continue;
    const name = `${from}-to-${redirection.to}`;
    middlewares[`redirect-${name}`] = {
      redirectScheme: { scheme: redirection.scheme ?? 'https', port: String(portOf(redirection.to)), permanent: redirection.permanent ?? true },
    };
    routers[name] = {
      entryPoints: [from],
      rule: 'PathPrefix(`/`)',
      priority: REDIRECTION_PRIORITY,
      middlewares: [`redirect-${name}`],
      service: 'noop@internal',
    };
  }
  return config;
}
