/**
 * `failover` services (Traefik's semantics): requests go to the main service
 * while its health check says it is up, to the fallback while the main is
 * down, and get a 503 when the fallback reports down too. The main service
 * must report health (a load balancer with `healthCheck`, or a weighted /
 * mirroring / failover service with `healthCheck: {}`); the table refuses it
 * otherwise. With `healthCheck: {}` the failover reports up while either is.
 */
import type { Handler } from '../exchange/exchange.js';
import { respondError } from '../exchange/http-error.js';
import { anyUp, type ServiceHealth } from './service-health.js';

export interface HealthReportingService {
  handler: Handler;
  health: ServiceHealth | undefined;
}

export function buildFailoverService(
  main: { handler: Handler; health: ServiceHealth },
  fallback: HealthReportingService,
  reportsHealth: boolean,
): { handler: Handler; health: ServiceHealth | undefined } {
  // Without healthCheck the fallback's own health is not followed (Traefik's rule).
  const fallbackHealth = reportsHealth ? fallback.health : undefined;
  const handler: Handler = (ex) => {
    if (main.health.up) return main.handler(ex);
    if (fallbackHealth === undefined || fallbackHealth.up) return fallback.handler(ex);
    return respondError(ex, 503);
  };
  const health = reportsHealth ? anyUp(fallbackHealth ? [main.health, fallbackHealth] : [main.health]) : undefined;
  return { handler, health };
}
