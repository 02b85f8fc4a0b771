/**
 * Token buckets per source key, with bounded memory: a bucket that has been
 * full long enough is indistinguishable from a new one, so the least recently
 * used are dropped past `maxSources`.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    /** Tokens added per millisecond. */
    private readonly ratePerMs: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxSources = 100_000,
  ) {}

  /** Take one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b) this.buckets.delete(key);
    else b = { tokens: this.burst, updated: t };
    b.tokens = Math.min(this.burst, b.tokens + (t - b.updated) * this.ratePerMs);
    b.updated = t;
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.ratePerMs);
  }
}
