/**
 * Nginx's smooth weighted round robin: each pick adds every member's weight to
 * its running score, takes the highest, and subtracts the total from it. With
 * weights 5,1,1 the order is a a b a c a a — spread out, not bursty.
 */
export class SmoothWeightedRoundRobin<T> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly members: ReadonlyArray<{ value: T; weight: number }>) {
    this.current = members.map(() => 0);
    this.total = members.reduce((sum, m) => sum + m.weight, 0);
  }

  get size(): number {
    return this.members.length;
  }

  /** Pick the next member among those `usable` accepts; undefined if none. */
  next(usable?: (value: T) => boolean): T | undefined {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i]!;
      if (m.weight <= 0 || (usable && !usable(m.value))) continue;
      this.current[i]! += m.weight;
      total += m.weight;
      if (best < 0 || this.current[i]! > this.current[best]!) best = i;
    }
    if (best < 0) return undefined;
    this.current[best]! -= total || this.total;
    return this.members[best]!.value;
  }
}
