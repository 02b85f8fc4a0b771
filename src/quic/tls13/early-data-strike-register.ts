/**
 * 0-RTT anti-replay (RFC 8446 §8.2, "ClientHello recording"): the PSK
 * binders of the ClientHellos whose early data we accepted, kept as long as
 * the ticket-age check could still let a copy of them in. A binder seen
 * again inside that window is a replay: its connection goes on in 1-RTT.
 * Bounded: when the register is full, 0-RTT is refused (fail safe) until
 * entries age out. Sans-I/O: time comes in as `now` (ms).
 */
import { EARLY_DATA_AGE_TOLERANCE_MS } from './server.js';

/** A copy of a ClientHello passes the ticket-age check for at most twice the tolerance after the original. */
export const EARLY_DATA_REPLAY_WINDOW_MS = 2 * EARLY_DATA_AGE_TOLERANCE_MS;

export class EarlyDataStrikeRegister {
  /** Binder (hex) → when it may be forgotten; insertion order is time order, so expired entries sit at the front. */
  private readonly seen = new Map<string, number>();

  constructor(
    /** How long a ClientHello's early data stays acceptable (twice the ticket-age tolerance). */
    private readonly windowMs = EARLY_DATA_REPLAY_WINDOW_MS,
    private readonly maxEntries = 100_000,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /** True the first time `binder` is offered in the window (and records it); false for a replay or a full register. */
  firstUse(binder: Buffer, now: number): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    const key = binder.toString('hex');
    if (this.seen.has(key) || this.seen.size >= this.maxEntries) return false;
    this.seen.set(key, now + this.windowMs);
    return true;
  }
}
