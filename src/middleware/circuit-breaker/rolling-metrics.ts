/**
 * What the circuit breaker's expression reads: the responses of the last
 * WINDOW_BUCKETS seconds (as oxy's memmetrics, which Traefik uses), in
 * one-second buckets so old results fall out as time passes.
 */
import type { BreakerMetrics } from './expression.js';

const WINDOW_BUCKETS = 10;
const BUCKET_MS = 1000;
/** Latency samples kept per bucket; beyond it, a uniform reservoir sample. */
const LATENCY_SAMPLES = 1024;

interface Bucket {
  second: number;
  total: number;
  networkErrors: number;
  codes: Map<number, number>;
  latencies: number[];
}

/** The proxy's own answers when the backend could not be reached or timed out. */
const isNetworkError = (status: number) => status === 502 || status === 504;

export class RollingMetrics implements BreakerMetrics {
  private readonly buckets: Bucket[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  record(status: number, latencyMs: number): void {
    const b = this.current();
    b.total++;
    if (isNetworkError(status)) b.networkErrors++;
    b.codes.set(status, (b.codes.get(status) ?? 0) + 1);
    if (b.latencies.length < LATENCY_SAMPLES) b.latencies.push(latencyMs);
    else {
      const slot = Math.floor(Math.random() * b.total);
      if (slot < LATENCY_SAMPLES) b.latencies[slot] = latencyMs;
    }
  }

  /** Forget everything (after the breaker trips, recovery starts from a clean window). */
  reset(): void {
    this.buckets.length = 0;
  }

  networkErrorRatio(): number {
    const live = this.live();
    const total = live.reduce((n, b) => n + b.total, 0);
    return total ? live.reduce((n, b) => n + b.networkErrors, 0) / total : 0;
  }

  responseCodeRatio(from: number, to: number, dividendFrom: number, dividendTo: number): number {
    let part = 0;
    let whole = 0;
    for (const b of this.live())
      for (const [code, count] of b.codes) {
        if (code >= from && code < to) part += count;
        if (code >= dividendFrom && code < dividendTo) whole += count;
      }
    return whole ? part / whole : 0;
  }

  latencyAtQuantileMs(quantile: number): number {
    const all = this.live()
      .flatMap((b) => b.latencies)
      .sort((a, b) => a - b);
    if (!all.length) return 0;
    const index = Math.min(all.length - 1, Math.max(0, Math.ceil((quantile / 100) * all.length) - 1));
    return all[index]!;
  }

  private second(): number {
    return Math.floor(this.now() / BUCKET_MS);
  }

  private live(): Bucket[] {
    const oldest = this.second() - WINDOW_BUCKETS + 1;
    while (this.buckets.length && this.buckets[0]!.second < oldest) this.buckets.shift();
    return this.buckets;
  }

  private current(): Bucket {
    const second = this.second();
    const live = this.live();
    const last = live[live.length - 1];
    if (last?.second === second) return last;
    const b: Bucket = { second, total: 0, networkErrors: 0, codes: new Map(), latencies: [] };
    live.push(b);
    return b;
  }
}
