/**
 * What the service layer refused or gave up to protect the backends, by
 * entrypoint and reason, read when scraped:
 * - `portico_upstream_requests_shed_total`: answered 503 without reaching a
 *   backend because its pool was saturated (`queue-full`: the bounded queue of
 *   requests waiting for a connection was full; `queue-timeout`: no connection
 *   freed within the wait).
 * - `portico_upstream_requests_abandoned_total`: backend requests aborted for
 *   the client's sake (`client-gone`: it reset or closed; `client-stall`: it
 *   stopped reading its response), which released their backend connection.
 *
 * The counts are per process (one Portico per process; workers are summed by
 * the primary like every other family): the service layer that counts has no
 * handle on the server's registry, and each registry renders the same numbers.
 */
import type { Registry } from 'prom-client';
import { scrapeTimeMetric, type MetricValue } from './scrape-time-metric.js';

export type ShedReason = 'queue-full' | 'queue-timeout';
export type AbandonReason = 'client-gone' | 'client-stall';

export class UpstreamOverloadCounters {
  private readonly shedCounts = new Map<string, number>();
  private readonly abandonedCounts = new Map<string, number>();

  shed(entryPoint: string, reason: ShedReason): void {
    bump(this.shedCounts, entryPoint, reason);
  }

  abandoned(entryPoint: string, reason: AbandonReason): void {
    bump(this.abandonedCounts, entryPoint, reason);
  }

  /** How many so far, for one entrypoint and reason (tests, logs). */
  count(kind: 'shed' | 'abandoned', entryPoint: string, reason: ShedReason | AbandonReason): number {
    return (kind === 'shed' ? this.shedCounts : this.abandonedCounts).get(`${entryPoint}\n${reason}`) ?? 0;
  }

  register(registry: Registry): void {
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_upstream_requests_shed_total',
        'Requests answered 503 because their backend pool was saturated, by entrypoint and reason',
        'counter',
        () => values(this.shedCounts),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_upstream_requests_abandoned_total',
        'Backend requests aborted (their connection released) because the client left or stopped reading, by entrypoint and reason',
        'counter',
        () => values(this.abandonedCounts),
      ),
    );
  }
}

function bump(counts: Map<string, number>, entryPoint: string, reason: string): void {
  const key = `${entryPoint}\n${reason}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function values(counts: Map<string, number>): MetricValue[] {
  return [...counts].map(([key, value]) => {
    const [entrypoint, reason] = key.split('\n') as [string, string];
    return { labels: { entrypoint, reason }, value };
  });
}

/** The process's counters (see the header for why one per process). */
export const upstreamOverload = new UpstreamOverloadCounters();
