/**
 * Who a request comes from, for ipAllowList, rateLimit and inFlightReq
 * (Traefik's ipStrategy / sourceCriterion): the peer address by default; with
 * `depth`, the Nth address from the right of X-Forwarded-For; with
 * `excludedIPs`, the first address from the right not in those ranges; with
 * `ipv6Subnet`, IPv6 addresses stand for their /N subnet (one household,
 * many addresses). X-Forwarded-For is only what trusted proxies let through
 * (the entrypoint drops it from untrusted peers).
 */
import { isIPv6 } from 'node:net';
import type { Exchange } from '../exchange/exchange.js';
import { IpRangeSet } from '../net/ip-range.js';

export interface IpStrategy {
  depth?: number;
  excludedIPs?: string[];
  ipv6Subnet?: number;
}

export interface SourceCriterion {
  ipStrategy?: IpStrategy;
  requestHeaderName?: string;
  requestHost?: boolean;
}

/** Problems ajv cannot see: ranges that do not parse. `at` is the field path of the strategy. */
export function ipStrategyProblems(strategy: unknown, at: string): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const list = (strategy as IpStrategy | undefined)?.excludedIPs;
  if (!Array.isArray(list)) return problems;
  list.forEach((r, i) => {
    if (typeof r !== 'string') return;
    try {
      new IpRangeSet([r]);
    } catch (err) {
      problems.push([`${at}.excludedIPs[${i}]`, (err as Error).message]);
    }
  });
  return problems;
}

/** The /bits prefix of an IPv6 address, as text (`2001:db8:1:2::`). */
export function ipv6Prefix(address: string, bits: number): string {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g || '0', 16));
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push(((groups[i]! & mask) >>> 0).toString(16));
  }
  return out.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function clientIpResolver(strategy: IpStrategy | undefined): (ex: Exchange) => string {
  const base = baseResolver(strategy);
  const subnet = strategy?.ipv6Subnet;
  if (!subnet) return base;
  return (ex) => {
    const ip = base(ex);
    return isIPv6(ip) ? ipv6Prefix(ip, subnet) : ip;
  };
}

function forwardedList(ex: Exchange): string[] {
  const raw = ex.requestHeaders['x-forwarded-for'];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const out: string[] = [];
  for (const part of joined.split(',')) {
    const t = part.trim();
    if (t) out.push(t);
  }
  return out;
}

function baseResolver(strategy: IpStrategy | undefined): (ex: Exchange) => string {
  if (!strategy || (!strategy.depth && !strategy.excludedIPs?.length)) return (ex) => ex.facts.clientIp;
  const depth = strategy.depth ?? 0;
  if (depth > 0)
    return (ex) => {
      const list = forwardedList(ex);
      return list.length >= depth ? list[list.length - depth]! : '';
    };
  const excluded = new IpRangeSet(strategy.excludedIPs!);
  return (ex) => {
    const list = forwardedList(ex);
    for (let i = list.length - 1; i >= 0; i--) if (!excluded.contains(list[i]!)) return list[i]!;
    return '';
  };
}

/** The key requests are grouped by (rate limits, in-flight limits). */
export function sourceKey(criterion: SourceCriterion | undefined): (ex: Exchange) => string {
  if (criterion?.requestHeaderName) {
    const name = criterion.requestHeaderName.toLowerCase();
    return (ex) => {
      const v = ex.requestHeaders[name];
      return Array.isArray(v) ? v.join(',') : (v ?? '');
    };
  }
  if (criterion?.requestHost) return (ex) => ex.facts.host;
  return clientIpResolver(criterion?.ipStrategy);
}

/** Validation shared by rateLimit and inFlightReq. */
export function sourceCriterionProblems(criterion: unknown): Array<[string, string]> {
  const c = criterion as SourceCriterion | undefined;
  if (!c || typeof c !== 'object') return [];
  const problems = ipStrategyProblems(c.ipStrategy, 'sourceCriterion.ipStrategy');
  const set = [c.ipStrategy !== undefined, !!c.requestHeaderName, c.requestHost === true].filter(Boolean).length;
  if (set > 1) problems.push(['sourceCriterion', 'set only one of ipStrategy, requestHeaderName and requestHost']);
  return problems;
}
