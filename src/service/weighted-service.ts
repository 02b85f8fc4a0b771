/**
 * `weighted` services: smooth weighted round robin over child services, with
 * Traefik's sticky cookie (its value names the child, so a child load
 * balancer's own cookie then picks the server) and, with `healthCheck: {}`,
 * children whose health is down left out.
 */
import type { Handler } from '../exchange/exchange.js';
import type { WeightedService } from '../dynamic/model.js';
import { respondError } from '../exchange/http-error.js';
import { SmoothWeightedRoundRobin } from './smooth-weighted-round-robin.js';
import { StickySessions } from './sticky-cookie.js';
import { anyUp, type ServiceHealth } from './service-health.js';

export interface WeightedChild {
  /** As the configuration names it (the sticky cookie's value hashes it). */
  name: string;
  weight: number;
  handler: Handler;
  /** Present when the child reports its health. */
  health: ServiceHealth | undefined;
}

export function buildWeightedService(
  config: WeightedService,
  serviceName: string,
  children: readonly WeightedChild[],
): { handler: Handler; health: ServiceHealth | undefined } {
  const checked = config.healthCheck !== undefined;
  const rr = new SmoothWeightedRoundRobin(children.map((c) => ({ value: c, weight: c.weight })));
  const up = (c: WeightedChild) => !checked || c.health === undefined || c.health.up;
  const cookie = config.sticky?.cookie !== undefined ? (config.sticky.cookie ?? {}) : undefined;
  const sticky = cookie
    ? new StickySessions(
        cookie,
        serviceName,
        children.map((c) => ({ member: c, name: c.name })),
      )
    : undefined;
  const handler: Handler = (ex) => {
    let child = sticky?.stuck(ex, up);
    if (child === undefined) {
      child = checked ? rr.next(up) : rr.next();
      if (child === undefined) return respondError(ex, 503);
      sticky?.stick(ex, child);
    }
    return child.handler(ex);
  };
  // Only children that report health count; one that does not is taken as always up.
  const health = checked ? anyUp(children.map((c) => c.health).filter((h): h is ServiceHealth => h !== undefined)) : undefined;
  return { handler, health };
}
