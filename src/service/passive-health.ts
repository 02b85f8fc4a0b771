/**
 * Traefik's `passiveHealthCheck` on a load balancer's servers: an answer of
 * 500 or more, or a request that never reached the server, is a failure; any
 * other answer forgets the server's failures. `maxFailedAttempts` failures
 * within `failureWindow` take the server out: for `failureWindow`, or, when
 * the service also has an active health check, until that check finds it
 * healthy again.
 */
import { parseDurationMs } from '../config/duration.js';
import type { LoadBalancerService } from '../dynamic/model.js';

export interface PassivelyChecked {
  url: URL;
  healthy: boolean;
  /** Skipped until this time (ms since epoch). */
  downUntil: number;
  /** Times of the recent failures, oldest first; allocated on the first failure. */
  failures?: number[];
}

export class PassiveHealth {
  private readonly windowMs: number;
  private readonly maxFailedAttempts: number;

  constructor(
    config: NonNullable<LoadBalancerService['passiveHealthCheck']>,
    private readonly hasActiveCheck: boolean,
    /** Told when a server is taken out (only under an active check, which brings it back). */
    private readonly onUnhealthy: (server: PassivelyChecked) => void,
  ) {
    this.windowMs = parseDurationMs(config.failureWindow ?? '10s', 'passiveHealthCheck.failureWindow');
    this.maxFailedAttempts = config.maxFailedAttempts ?? 1;
  }

  record(server: PassivelyChecked, failed: boolean, now = Date.now()): void {
    if (!failed) {
      if (server.failures !== undefined) server.failures.length = 0;
      return;
    }
    const failures = (server.failures ??= []);
    failures.push(now);
    let expired = 0;
    while (expired < failures.length && failures[expired]! <= now - this.windowMs) expired++;
    if (expired > 0) failures.splice(0, expired);
    if (failures.length < this.maxFailedAttempts) return;
    // Already out: the first request to fail it set how long.
    if (!server.healthy || server.downUntil > now) return;
    failures.length = 0;
    if (this.hasActiveCheck) {
      server.healthy = false;
      this.onUnhealthy(server);
    } else server.downUntil = now + this.windowMs;
  }
}
