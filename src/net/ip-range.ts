/**
 * IP addresses and CIDR ranges: the ClientIP rule matcher, the ipAllowList
 * middleware and forwarded-header trust all ask "is this peer in that set?"
 * on every request, so addresses are parsed by hand into numbers (no
 * allocation) and looked up by binary search in merged, sorted intervals.
 *
 * Conventions (as Go's net package, which Traefik uses):
 * - an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, also in hex) is the IPv4
 *   address it carries, and a mapped range `::ffff:10.0.0.0/104` is 10.0.0.0/8;
 * - otherwise IPv4 addresses match only IPv4 ranges and IPv6 only IPv6
 *   (`::/0` does not contain 1.2.3.4; list `0.0.0.0/0` too);
 * - zones (`fe80::1%eth0`) are ignored; leading zeros in IPv4 (`010.0.0.1`,
 *   octal to some parsers) are refused;
 * - a CIDR with host bits set (`10.1.2.3/8`) means its network (10.0.0.0/8).
 */

/** Scratch for the parser: 8 groups of 16 bits; family in [8]. Reused, so parsing allocates nothing. */
const scratch = new Uint32Array(9);
const V4 = 4;
const V6 = 6;

function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    let n = 0;
    let digits = 0;
    const first = s.charCodeAt(i);
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && first === 0x30)) return -1;
    value = value * 256 + n;
    octets++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x2e || octets === 4) return -1;
    i++;
    if (i === end) return -1;
  }
  return octets === 4 ? value : -1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Parse s[start, end) as IPv6 into scratch[0..7]; false when malformed. */
function parseV6(s: string, start: number, end: number): boolean {
  let group = 0;
  let gap = -1;
  let i = start;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      scratch.fill(0, 0, 8);
      return true;
    }
  }
  while (i < end) {
    if (group === 8) return false;
    // An embedded IPv4 tail takes the last two groups.
    let j = i;
    let n = 0;
    let digits = 0;
    while (j < end) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      n = n * 16 + d;
      digits++;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 0x2e) {
      if (group > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      scratch[group++] = Math.floor(v4 / 65536);
      scratch[group++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    scratch[group++] = n;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = group;
      i++;
      if (i === end) break;
    } else if (i === end) return false;
  }
  if (gap < 0) return group === 8;
  if (group === 8) return false;
  const move = group - gap;
  for (let k = 0; k < move; k++) scratch[7 - k] = scratch[group - 1 - k]!;
  for (let k = gap; k < 8 - move; k++) scratch[k] = 0;
  return true;
}

/**
 * Parse an address into scratch: family in scratch[8] (4 or 6), IPv4 value in
 * scratch[0] or IPv6 groups in scratch[0..7]. Mapped addresses become IPv4.
 * Zones are ignored. Returns the family, 0 when s is not an address.
 */
function parseAddress(s: string, start = 0, end = s.length): number {
  if (end - start < 2) return 0;
  const zone = s.indexOf('%', start);
  if (zone >= 0 && zone < end) end = zone;
  if (s.indexOf(':', start) < 0 || s.indexOf(':', start) >= end) {
    const v4 = parseV4(s, start, end);
    if (v4 < 0) return 0;
    scratch[0] = v4;
    return (scratch[8] = V4);
  }
  if (!parseV6(s, start, end)) return 0;
  if (scratch[0] === 0 && scratch[1] === 0 && scratch[2] === 0 && scratch[3] === 0 && scratch[4] === 0 && scratch[5] === 0xffff) {
    scratch[0] = scratch[6]! * 65536 + scratch[7]!;
    return (scratch[8] = V4);
  }
  return (scratch[8] = V6);
}

/** IPv6 groups as four 32-bit words, most significant first. */
function v6Words(): [number, number, number, number] {
  return [scratch[0]! * 65536 + scratch[1]!, scratch[2]! * 65536 + scratch[3]!, scratch[4]! * 65536 + scratch[5]!, scratch[6]! * 65536 + scratch[7]!];
}

function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text: lower-case, longest run (≥ 2) of zero groups as `::`. */
function formatV6(groups: ArrayLike<number>): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => groups[from + k]!.toString(16)).join(':');
  if (bestStart < 0) return part(0, 8);
  return `${part(0, bestStart)}::${part(bestStart + bestLen, 8)}`;
}

/**
 * A client address as the router and middlewares compare it: zone dropped,
 * brackets and port removed (`[::1]:443`, `1.2.3.4:80`), IPv4-mapped IPv6
 * unwrapped to dotted IPv4, IPv6 in RFC 5952 form. Text that is not an
 * address is returned trimmed, unchanged otherwise (it matches no range).
 */
export function normalizeClientAddress(address: string): string {
  let a = address.trim();
  if (a.charCodeAt(0) === 0x5b) {
    const close = a.indexOf(']');
    if (close > 0) a = a.slice(1, close);
  } else if (a.indexOf(':') > 0 && a.indexOf(':') === a.lastIndexOf(':') && a.indexOf('.') > 0) {
    a = a.slice(0, a.indexOf(':')); // IPv4 with a port
  }
  const family = parseAddress(a);
  if (family === V4) return formatV4(scratch[0]!);
  if (family === V6) return formatV6(scratch);
  return a;
}

/** True when s is an IPv4 or IPv6 address (mapped and zoned forms included). */
export function isIpAddress(s: string): boolean {
  return parseAddress(s) !== 0;
}

interface Interval6 {
  lo: [number, number, number, number];
  hi: [number, number, number, number];
}

function compare6(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  return 0;
}

/** The address just after a (for merging adjacent intervals); undefined past the top. */
function successor6(a: readonly number[]): [number, number, number, number] | undefined {
  const r = [...a] as [number, number, number, number];
  for (let k = 3; k >= 0; k--) {
    if (r[k]! < 0xffffffff) {
      r[k] = r[k]! + 1;
      return r;
    }
    r[k] = 0;
  }
  return undefined;
}

/** A parsed entry: an IPv4 interval or an IPv6 interval. */
export type IpRange = { family: 4; lo: number; hi: number } | { family: 6; lo: [number, number, number, number]; hi: [number, number, number, number] };

/** Parse one address or CIDR; throws an Error naming the entry and the problem. */
export function parseIpRange(entry: string): IpRange {
  const text = entry.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (addr.includes('%')) throw new Error(`"${entry}": a range cannot carry a zone (%…)`);
  const family = parseAddress(addr);
  if (!family) throw new Error(`"${entry}" is not an IP address or CIDR range`);
  const max = family === V4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) throw new Error(`"${entry}": prefix length must be a number 0..${addr.includes(':') ? 128 : 32}`);
    prefix = Number(p);
    // `::ffff:10.0.0.0/104` is 10.0.0.0/8 written as IPv6.
    if (family === V4 && addr.includes(':')) {
      if (prefix > 128) throw new Error(`"${entry}": prefix length must be 0..128`);
      if (prefix < 96) throw new Error(`"${entry}": an IPv4-mapped range needs a prefix of at least 96`);
      prefix -= 96;
    }
    if (prefix > max) throw new Error(`"${entry}": prefix length must be 0..${max}`);
  }
  if (family === V4) {
    const size = 2 ** (32 - prefix);
    const lo = Math.floor(scratch[0]! / size) * size;
    return { family: 4, lo, hi: lo + size - 1 };
  }
  const words = v6Words();
  const lo = [0, 0, 0, 0] as [number, number, number, number];
  const hi = [0, 0, 0, 0] as [number, number, number, number];
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * k));
    const size = 2 ** (32 - bits);
    lo[k] = Math.floor(words[k]! / size) * size;
    hi[k] = lo[k] + size - 1;
  }
  return { family: 6, lo, hi };
}

/**
 * An immutable set of addresses and CIDR ranges. `contains` parses the
 * address without allocating and binary-searches merged intervals.
 */
export class IpRangeSet {
  /** Merged IPv4 intervals: lo at 2k, hi at 2k+1. */
  private readonly v4: Float64Array;
  private readonly v6: Interval6[];
  /** Number of entries given. */
  readonly size: number;

  /** @throws Error naming the first entry that is neither an IP address nor a CIDR range. */
  constructor(ranges: readonly string[]) {
    const v4: Array<[number, number]> = [];
    const v6: Interval6[] = [];
    for (const entry of ranges) {
      const r = parseIpRange(entry);
      if (r.family === 4) v4.push([r.lo, r.hi]);
      else v6.push({ lo: r.lo, hi: r.hi });
    }
    v4.sort((a, b) => a[0] - b[0]);
    const merged4: number[] = [];
    for (const [lo, hi] of v4) {
      const n = merged4.length;
      if (n && lo <= merged4[n - 1]! + 1) merged4[n - 1] = Math.max(merged4[n - 1]!, hi);
      else merged4.push(lo, hi);
    }
    this.v4 = Float64Array.from(merged4);
    v6.sort((a, b) => compare6(a.lo, b.lo));
    const merged6: Interval6[] = [];
    for (const r of v6) {
      const last = merged6[merged6.length - 1];
      const next = last && successor6(last.hi);
      if (last && (!next || compare6(r.lo, next) <= 0)) {
        if (compare6(r.hi, last.hi) > 0) last.hi = r.hi;
      } else merged6.push({ lo: r.lo, hi: r.hi });
    }
    this.v6 = merged6;
    this.size = ranges.length;
  }

  contains(address: string): boolean {
    const family = parseAddress(address);
    if (family === V4) return this.containsV4(scratch[0]!);
    if (family === V6) return this.containsV6();
    return false;
  }

  private containsV4(ip: number): boolean {
    const a = this.v4;
    let lo = 0;
    let hi = a.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ip < a[2 * mid]!) hi = mid - 1;
      else if (ip > a[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private containsV6(): boolean {
    const list = this.v6;
    if (!list.length) return false;
    const w0 = scratch[0]! * 65536 + scratch[1]!;
    const w1 = scratch[2]! * 65536 + scratch[3]!;
    const w2 = scratch[4]! * 65536 + scratch[5]!;
    const w3 = scratch[6]! * 65536 + scratch[7]!;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid]!;
      if (cmpWords(w0, w1, w2, w3, r.lo) < 0) hi = mid - 1;
      else if (cmpWords(w0, w1, w2, w3, r.hi) > 0) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

function cmpWords(w0: number, w1: number, w2: number, w3: number, b: readonly number[]): number {
  if (w0 !== b[0]) return w0 < b[0]! ? -1 : 1;
  if (w1 !== b[1]) return w1 < b[1]! ? -1 : 1;
  if (w2 !== b[2]) return w2 < b[2]! ? -1 : 1;
  if (w3 !== b[3]) return w3 < b[3]! ? -1 : 1;
  return 0;
}
