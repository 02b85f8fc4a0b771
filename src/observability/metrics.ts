/** Prometheus metrics (prom-client): requests by entrypoint/protocol/code, durations, malformed input, config reloads. */
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class PorticoMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'portico_entrypoint_requests_total',
    help: 'Requests handled, by entrypoint, protocol and status code',
    labelNames: ['entrypoint', 'protocol', 'code'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'portico_entrypoint_request_duration_seconds',
    help: 'Time from request head to response end',
    labelNames: ['entrypoint', 'protocol'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'portico_malformed_requests_total',
    help: 'Requests or packets refused as malformed, by kind',
    labelNames: ['entrypoint', 'kind'] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'portico_config_reloads_total',
    help: 'Configuration versions applied',
    registers: [this.registry],
  });
  readonly configErrors = new Gauge({
    name: 'portico_config_errors',
    help: 'Problems in the current configuration',
    registers: [this.registry],
  });

  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();

  /** Count one finished exchange. Label children are cached: prom-client hashes labels on every lookup. */
  recordExchange(entrypoint: string, protocol: string, code: number, seconds: number): void {
    const key = `${entrypoint}\0${protocol}\0${code}`;
    let c = this.requestChildren.get(key);
    if (!c) {
      c = this.requests.labels(entrypoint, protocol, String(code));
      this.requestChildren.set(key, c);
    }
    c.inc();
    const dkey = `${entrypoint}\0${protocol}`;
    let d = this.durationChildren.get(dkey);
    if (!d) {
      d = this.duration.labels(entrypoint, protocol);
      this.durationChildren.set(dkey, d);
    }
    d.observe(seconds);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'portico_' });
  }
}
