/**
 * Load and shedding per TCP entrypoint as Prometheus families, read when
 * scraped from plain numbers the entrypoint keeps: connections open, requests
 * in progress, load shed by reason (the overload policy) and connections
 * closed by a deadline by phase.
 */
import type { Registry } from 'prom-client';
import { scrapeTimeMetric, type MetricValue } from './scrape-time-metric.js';

/** Why a connection or request was refused: the limit it would have passed. */
export type ShedReason = 'connections' | 'requests' | 'memory';

/** Which deadline closed a connection or a response. */
export type TimeoutPhase = 'head' | 'body' | 'idle' | 'unresponsive' | 'write' | 'stalled';

/** What one entrypoint counts; the entrypoint increments, the registry reads. */
export class EntryPointLoad {
  readonly shed = new Map<ShedReason, number>();
  readonly timeouts = new Map<TimeoutPhase, number>();

  constructor(
    readonly openConnections: () => number,
    readonly activeRequests: () => number,
  ) {}

  countShed(reason: ShedReason): void {
    this.shed.set(reason, (this.shed.get(reason) ?? 0) + 1);
  }

  countTimeout(phase: TimeoutPhase): void {
    this.timeouts.set(phase, (this.timeouts.get(phase) ?? 0) + 1);
  }
}

export class EntryPointLoadMetrics {
  private readonly entryPoints = new Map<string, EntryPointLoad>();

  constructor(registry: Registry) {
    const each = (f: (entrypoint: string, load: EntryPointLoad) => MetricValue[]) => () => [...this.entryPoints].flatMap(([n, l]) => f(n, l));
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_entrypoint_connections_open',
        'TCP connections open now (past their TLS handshake)',
        'gauge',
        each((entrypoint, l) => [{ labels: { entrypoint }, value: l.openConnections() }]),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_entrypoint_requests_active',
        'Requests in progress (HTTP/1.1 responses not yet closed, HTTP/2 streams open)',
        'gauge',
        each((entrypoint, l) => [{ labels: { entrypoint }, value: l.activeRequests() }]),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_entrypoint_shed_total',
        'Connections closed at accept and requests refused (503, REFUSED_STREAM) by the overload policy, by the limit that was reached',
        'counter',
        each((entrypoint, l) => [...l.shed].map(([reason, value]) => ({ labels: { entrypoint, reason }, value }))),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        'portico_entrypoint_timeouts_total',
        'Connections or responses closed because a deadline passed, by phase (head, body, idle, unresponsive h2 peer, write, stalled response)',
        'counter',
        each((entrypoint, l) => [...l.timeouts].map(([phase, value]) => ({ labels: { entrypoint, phase }, value }))),
      ),
    );
  }

  add(entryPoint: string, load: EntryPointLoad): void {
    this.entryPoints.set(entryPoint, load);
  }
}
