/**
 * Traefik's HTTP status lists: `"404"`, `"500-599"` (inclusive), and, as its
 * docs also allow, several in one string (`"404,418,500-599"`). Parsed once
 * per configuration version; `contains` is what a response is checked with.
 */

export class StatusRanges {
  private constructor(private readonly ranges: ReadonlyArray<readonly [number, number]>) {}

  /** Parse the entries; throws naming the first entry that is not a status or a range of statuses. */
  static parse(entries: readonly string[]): StatusRanges {
    const ranges: Array<[number, number]> = [];
    for (const entry of entries)
      for (const part of entry.split(',')) {
        const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
        const low = m ? Number(m[1]) : NaN;
        const high = m?.[2] !== undefined ? Number(m[2]) : low;
        if (!m || low < 100 || high > 599 || low > high) throw new Error(`"${part.trim()}" is not a status (100-599) or a range of them ("500-599")`);
        ranges.push([low, high]);
      }
    return new StatusRanges(ranges);
  }

  contains(status: number): boolean {
    for (const [low, high] of this.ranges) if (status >= low && status <= high) return true;
    return false;
  }
}
