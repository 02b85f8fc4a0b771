/**
 * How many requests one backend pool carries at once, and what happens to the
 * rest: at most `maxActive` in flight (the pool's connections), at most
 * `maxQueued` waiting for one of them, each for at most `queueTimeoutMs`.
 * A request beyond the queue, or one that waited too long, is shed: the caller
 * answers 503 and counts why. undici's own queue has neither bound, so without
 * this a saturated pool made every later request wait as long as the pool
 * stayed full (issue 9: forever, when the pool was pinned).
 *
 * The cap on pending backend requests is per pool (one backend server under
 * one transport), not per entrypoint: the resource that runs out is the pool's
 * connections, and a per-entrypoint cap would let one slow backend shed the
 * traffic of every healthy route on the same entrypoint.
 */
import type { Exchange } from '../exchange/exchange.js';
import type { ShedReason } from '../observability/upstream-overload-metrics.js';

export interface AdmissionLimits {
  maxActive: number;
  maxQueued: number;
  queueTimeoutMs: number;
}

/** Why a request did not get in: shed by the queue, or its client left while it waited. */
export type AdmissionRefusal = ShedReason | 'client-gone';

interface Waiter {
  admit(): void;
}

export class BackendAdmission {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  /** In flight now (tests, debugging). */
  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Take a slot: `true` at once when one is free (the common case, no promise),
   * else a promise of `true` once one frees, or of why not. Every `true` must
   * be paired with one `leave()`.
   */
  enter(ex: Exchange): true | Promise<true | AdmissionRefusal> {
    if (this.active < this.limits.maxActive) {
      this.active++;
      return true;
    }
    if (this.queue.length >= this.limits.maxQueued) return Promise.resolve('queue-full');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          this.active++;
          resolve(true);
        },
      };
      const out = (why: AdmissionRefusal) => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return;
        this.queue.splice(i, 1);
        clearTimeout(timer);
        resolve(why);
      };
      const timer = setTimeout(() => out('queue-timeout'), this.limits.queueTimeoutMs);
      this.queue.push(waiter);
      // The upstream client replaces this once admitted; until then a client that leaves frees its place.
      ex.setUpstreamAbort(() => out('client-gone'));
    });
  }

  /** A request admitted with `enter` is done with the backend: its slot goes to the longest waiter. */
  leave(): void {
    this.active--;
    const next = this.queue.shift();
    next?.admit();
  }
}
