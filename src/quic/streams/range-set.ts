/**
 * A set of byte offsets kept as sorted, disjoint, non-adjacent half-open
 * ranges [start, end) in one flat number array (start0, end0, start1, …): the
 * send side's acknowledged and lost ranges. Ranges count at most what we sent
 * in separate frames, so the size is bounded by our own sending.
 */
export class RangeSet {
  /** start0, end0, start1, end1, … */
  private bounds: number[] = [];

  get rangeCount(): number {
    return this.bounds.length / 2;
  }

  get isEmpty(): boolean {
    return this.bounds.length === 0;
  }

  /** Start of the lowest range (undefined when empty). */
  get firstStart(): number | undefined {
    return this.bounds[0];
  }

  /** End of the lowest range (undefined when empty). */
  get firstEnd(): number | undefined {
    return this.bounds[1];
  }

  /** The ranges as [start, end) pairs, lowest first (a copy, for tests and logs). */
  ranges(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.bounds.length; i += 2) out.push([this.bounds[i]!, this.bounds[i + 1]!]);
    return out;
  }

  clear(): void {
    this.bounds.length = 0;
  }

  /** Index (even) of the first range whose end is >= `offset`. */
  private firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.bounds.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[mid * 2 + 1]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const b = this.bounds;
    // Fast path: appending above everything (the common, in-order case).
    const n = b.length;
    if (n === 0 || b[n - 1]! < start) {
      b.push(start, end);
      return;
    }
    if (b[n - 1] === start) {
      b[n - 1] = end;
      return;
    }
    // Merge with every range that touches or overlaps [start, end).
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let newStart = start;
    let newEnd = end;
    while (j < b.length && b[j]! <= end) {
      newStart = Math.min(newStart, b[j]!);
      newEnd = Math.max(newEnd, b[j + 1]!);
      j += 2;
    }
    b.splice(i, j - i, newStart, newEnd);
  }

  /** Removes [start, end) from the set. */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const b = this.bounds;
    const i = this.firstEndingAtOrAfter(start + 1);
    const replacement: number[] = [];
    let j = i;
    while (j < b.length && b[j]! < end) {
      const s = b[j]!;
      const e = b[j + 1]!;
      if (s < start) replacement.push(s, start);
      if (e > end) replacement.push(end, e);
      j += 2;
    }
    if (j > i) b.splice(i, j - i, ...replacement);
  }

  /** True when every offset of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.bounds.length && this.bounds[i]! <= start && this.bounds[i + 1]! >= end;
  }

  /** Calls `visit` for each part of [start, end) NOT in the set, lowest first. */
  forEachGap(start: number, end: number, visit: (gapStart: number, gapEnd: number) => void): void {
    const b = this.bounds;
    let cursor = start;
    for (let i = this.firstEndingAtOrAfter(start + 1); i < b.length && b[i]! < end && cursor < end; i += 2) {
      if (b[i]! > cursor) visit(cursor, b[i]!);
      cursor = Math.max(cursor, b[i + 1]!);
    }
    if (cursor < end) visit(cursor, end);
  }
}
