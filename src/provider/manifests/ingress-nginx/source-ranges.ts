/**
 * `allowlist-source-range` (and its old name `whitelist-source-range`) and
 * `denylist-source-range` → `ipAllowList` middlewares answering 403, as
 * nginx's allow/deny do. Portico has no deny list middleware, so a deny list
 * is its complement: the CIDRs covering every address outside the denied
 * ranges (at most 32 per IPv4 range and 128 per IPv6 range). Deny is checked
 * first, then allow, as ingress-nginx writes them.
 */
import type { Middleware } from '../../../dynamic/model.js';
import { parseIpRange } from '../../../net/ip-range.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export const SOURCE_RANGE_ANNOTATIONS = ['allowlist-source-range', 'whitelist-source-range', 'denylist-source-range'];

interface Interval {
  lo: bigint;
  hi: bigint;
}

export function sourceRangeMiddlewares(ann: NginxAnnotations): Middleware[] {
  const out: Middleware[] = [];
  const deny = ranges(ann, 'denylist-source-range');
  if (deny?.length) out.push({ ipAllowList: { sourceRange: complement(deny) } });
  // ingress-nginx reads the new name first and falls back to the old one.
  const allowKey = ann.has('allowlist-source-range') ? 'allowlist-source-range' : 'whitelist-source-range';
  if (allowKey === 'allowlist-source-range' && ann.has('whitelist-source-range'))
    ann.report('whitelist-source-range', 'is ignored: allowlist-source-range is set too and wins');
  const allow = ranges(ann, allowKey);
  if (allow?.length) out.push({ ipAllowList: { sourceRange: allow } });
  return out;
}

function ranges(ann: NginxAnnotations, key: string): string[] | undefined {
  const list = ann.list(key);
  if (!list) return undefined;
  const good: string[] = [];
  for (const r of list) {
    try {
      parseIpRange(r);
      good.push(r);
    } catch (err) {
      ann.report(key, `${(err as Error).message}; left out`);
    }
  }
  // A list whose every entry is bad would let nobody in (allow) or nobody out (deny): ingress-nginx drops it whole.
  if (!good.length) ann.report(key, 'has no valid address or CIDR; ignored');
  return good;
}

/** CIDRs covering every IPv4 and IPv6 address outside `denied`. */
export function complement(denied: string[]): string[] {
  const v4: Interval[] = [];
  const v6: Interval[] = [];
  for (const entry of denied) {
    const r = parseIpRange(entry);
    if (r.family === 4) v4.push({ lo: BigInt(r.lo), hi: BigInt(r.hi) });
    else v6.push({ lo: words(r.lo), hi: words(r.hi) });
  }
  return [...gaps(v4, 32).flatMap((g) => cidrs(g, 32, formatV4)), ...gaps(v6, 128).flatMap((g) => cidrs(g, 128, formatV6))];
}

function words(w: readonly number[]): bigint {
  return w.reduce((acc, x) => (acc << 32n) | BigInt(x), 0n);
}

/** The intervals of [0, 2^bits) not covered by `taken`. */
function gaps(taken: Interval[], bits: number): Interval[] {
  const top = (1n << BigInt(bits)) - 1n;
  const sorted = [...taken].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  let next = 0n;
  for (const t of sorted) {
    if (t.lo > next) out.push({ lo: next, hi: t.lo - 1n });
    if (t.hi + 1n > next) next = t.hi + 1n;
  }
  if (next <= top) out.push({ lo: next, hi: top });
  return out;
}

/** The fewest CIDR blocks covering exactly [lo, hi]. */
function cidrs({ lo, hi }: Interval, bits: number, format: (n: bigint) => string): string[] {
  const out: string[] = [];
  let start = lo;
  while (start <= hi) {
    let size = 0;
    // Grow the block while it stays aligned at `start` and inside the interval.
    while (size < bits && (start & ((1n << BigInt(size + 1)) - 1n)) === 0n && start + (1n << BigInt(size + 1)) - 1n <= hi) size++;
    out.push(`${format(start)}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return out;
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}

function formatV6(n: bigint): string {
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16));
  return groups.join(':');
}
