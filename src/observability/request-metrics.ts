/**
 * Request counts and durations per entrypoint and protocol, kept as plain
 * numbers on the hot path and turned into Prometheus series only when
 * scraped. prom-client's labelled children hash their label values and
 * allocate a closure on every inc()/observe(); at 20k requests/s that was
 * about 6 % of the proxy's throughput (bench/proxy-h1-h2.ts), so the two
 * per-request metrics are recorded here and exposed through the registry as
 * ordinary counter and histogram families.
 */
import type { Registry } from 'prom-client';
import { scrapeTimeMetric, type MetricValue } from './scrape-time-metric.js';

/** Upper bounds (seconds) of the duration histogram's buckets; +Inf is implied. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] as const;

/** One entrypoint × protocol: status-code counts and the duration histogram. */
class ProtocolSeries {
  readonly codes = new Map<number, number>();
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  constructor(
    readonly entryPoint: string,
    readonly protocol: string,
  ) {}

  record(code: number, seconds: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** What one entrypoint records into: series by protocol, created on first use. */
export class EntryPointRequestMetrics {
  private readonly byProtocol = new Map<string, ProtocolSeries>();

  constructor(
    private readonly name: string,
    private readonly all: ProtocolSeries[],
  ) {}

  record(protocol: string, code: number, seconds: number): void {
    let s = this.byProtocol.get(protocol);
    if (!s) {
      s = new ProtocolSeries(this.name, protocol);
      this.byProtocol.set(protocol, s);
      this.all.push(s);
    }
    s.record(code, seconds);
  }
}

export class RequestMetrics {
  private readonly series: ProtocolSeries[] = [];
  private readonly entryPoints = new Map<string, EntryPointRequestMetrics>();

  constructor(
    registry: Registry,
    readonly requestsName = 'portico_entrypoint_requests_total',
    readonly durationName = 'portico_entrypoint_request_duration_seconds',
  ) {
    registry.registerMetric(scrapeTimeMetric(requestsName, 'Requests handled, by entrypoint, protocol and status code', 'counter', () => this.requestValues()));
    registry.registerMetric(scrapeTimeMetric(durationName, 'Time from request head to response end', 'histogram', () => this.durationValues()));
  }

  forEntryPoint(name: string): EntryPointRequestMetrics {
    let m = this.entryPoints.get(name);
    if (!m) {
      m = new EntryPointRequestMetrics(name, this.series);
      this.entryPoints.set(name, m);
    }
    return m;
  }

  private requestValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const s of this.series)
      for (const [code, n] of [...s.codes].sort((a, b) => a[0] - b[0]))
        out.push({ labels: { entrypoint: s.entryPoint, protocol: s.protocol, code: String(code) }, value: n });
    return out;
  }

  private durationValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const s of this.series) {
      const labels = { entrypoint: s.entryPoint, protocol: s.protocol };
      let cumulative = 0;
      for (let i = 0; i <= DURATION_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        const le = i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i]! : '+Inf';
        out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.durationName}_bucket` });
      }
      out.push({ labels, value: s.sum, metricName: `${this.durationName}_sum` });
      out.push({ labels, value: s.count, metricName: `${this.durationName}_count` });
    }
    return out;
  }
}
