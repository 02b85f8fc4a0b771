/**
 * Token buckets per source key, in this process's memory. Bounded memory: a
 * bucket untouched long enough is full again, indistinguishable from a new
 * one, so past `maxSources` the least recently used are dropped.
 */
export interface RateLimitStore {
  /**
   * Take one token for `key`. Returns the milliseconds until it is ready: 0
   * means now; up to `maxDelayMs` means it is reserved and the caller waits;
   * more means refused, nothing taken, and that is when to retry.
   */
  take(key: string): number | Promise<number>;
}

export interface BucketShape {
  /** Tokens added per millisecond. */
  ratePerMs: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
  /** Longest wait a request may be held for instead of refused. */
  maxDelayMs: number;
}

export class TokenBuckets implements RateLimitStore {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly shape: BucketShape,
    private readonly now: () => number = Date.now,
    private readonly maxSources = 100_000,
  ) {}

  take(key: string): number {
    const { ratePerMs, burst, maxDelayMs } = this.shape;
    const t = this.now();
    let b = this.buckets.get(key);
    if (b)
      this.buckets.delete(key); // re-inserted below: Map order is our LRU order
    else b = { tokens: burst, updated: t };
    b.tokens = Math.min(burst, b.tokens + Math.max(0, t - b.updated) * ratePerMs);
    b.updated = t;
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
    const wait = b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / ratePerMs);
    if (wait <= maxDelayMs) b.tokens -= 1;
    return wait;
  }
}
