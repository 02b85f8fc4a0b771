/** Prometheus metrics (prom-client): requests by entrypoint/protocol/code, durations, malformed input, config reloads. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';
import { QuicListenerMetrics } from './quic-listener-metrics.js';
import { upstreamOverload } from './upstream-overload-metrics.js';
import { EntryPointLoadMetrics } from './entrypoint-load-metrics.js';
import { UdpSessionMetrics } from './udp-session-metrics.js';

export class PorticoMetrics {
  readonly registry = new Registry();
  /** Per-request counts and durations (plain numbers on the hot path, rendered when scraped). */
  readonly requests = new RequestMetrics(this.registry);
  /** Counters of the HTTP/3 entrypoints' QUIC listeners. */
  readonly quic = new QuicListenerMetrics(this.registry);
  /** TCP entrypoints' open connections, active requests, shed load and timeouts. */
  readonly entryPoints = new EntryPointLoadMetrics(this.registry);
  /** UDP entrypoints' sessions, datagrams and drops. */
  readonly udp = new UdpSessionMetrics(this.registry);
  readonly malformed = new Counter({
    name: 'portico_malformed_requests_total',
    help: 'Requests or packets refused as malformed, by kind',
    labelNames: ['entrypoint', 'kind'] as const,
    registers: [this.registry],
  });
  readonly middlewareFailures = new Counter({
    name: 'portico_middleware_failures_total',
    help: 'Requests ended with 500 (or aborted) because middleware or plugin code threw, by middleware and phase',
    labelNames: ['middleware', 'phase'] as const,
    registers: [this.registry],
  });
  // With several workers (each applies every configuration itself) these are summed by the primary with
  // their `aggregator`: the highest worker's value, not N times it.
  readonly reloads = new Counter({
    name: 'portico_config_reloads_total',
    help: 'Configuration versions applied',
    registers: [this.registry],
    aggregator: 'max',
  });
  readonly configErrors = new Gauge({
    name: 'portico_config_errors',
    help: 'Problems in the current configuration',
    registers: [this.registry],
    aggregator: 'max',
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'portico_' });
    upstreamOverload.register(this.registry);
  }
}
