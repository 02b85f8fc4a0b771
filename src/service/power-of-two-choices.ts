/**
 * Traefik's `p2c` strategy: pick two different usable members at random and
 * send to the one with fewer requests in flight (ties go to the first). Weights
 * play no part, as in Traefik. A pick scans the members twice and allocates
 * nothing.
 */
export interface InFlightCounted {
  /** Requests sent to this member and not finished yet. */
  inflight: number;
}

export class PowerOfTwoChoices<T extends InFlightCounted> {
  constructor(
    private readonly members: readonly T[],
    /** [0, 1) — Math.random unless a test fixes it. */
    private readonly random: () => number = Math.random,
  ) {}

  next(usable: (member: T) => boolean): T | undefined {
    let count = 0;
    for (const m of this.members) if (usable(m)) count++;
    if (count === 0) return undefined;
    if (count === 1) return this.nth(usable, 0);
    const first = Math.floor(this.random() * count);
    let second = Math.floor(this.random() * count);
    if (second === first) second = (second + 1) % count;
    const a = this.nth(usable, first)!;
    const b = this.nth(usable, second)!;
    return b.inflight < a.inflight ? b : a;
  }

  private nth(usable: (member: T) => boolean, n: number): T | undefined {
    for (const m of this.members) if (usable(m) && n-- === 0) return m;
    return undefined;
  }
}
