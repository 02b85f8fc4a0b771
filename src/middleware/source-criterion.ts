/**
 * Who a request comes from, for ipAllowList, rateLimit and inFlightReq
 * (Traefik's ipStrategy / sourceCriterion): the peer address by default; with
 * `depth`, the Nth address from the right of X-Forwarded-For; with
 * `excludedIPs`, the first address from the right not in those ranges.
 * X-Forwarded-For is only what trusted proxies let through (the entrypoint
 * drops it from untrusted peers).
 */
import type { Exchange } from './exchange.js';
import { IpRangeSet } from '../net/ip-range.js';

export interface IpStrategy {
  depth?: number;
  excludedIPs?: string[];
}

export function clientIpResolver(strategy: IpStrategy | undefined): (ex: Exchange) => string {
  if (!strategy || (!strategy.depth && !strategy.excludedIPs?.length)) return (ex) => ex.facts.clientIp;
  const excluded = strategy.excludedIPs?.length ? new IpRangeSet(strategy.excludedIPs) : undefined;
  const depth = strategy.depth ?? 0;
  return (ex) => {
    const raw = ex.requestHeaders['x-forwarded-for'];
    const list = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (depth > 0) return list.length >= depth ? list[list.length - depth]! : '';
    for (let i = list.length - 1; i >= 0; i--) if (!excluded!.contains(list[i]!)) return list[i]!;
    return '';
  };
}

export interface SourceCriterion {
  ipStrategy?: IpStrategy;
  requestHeaderName?: string;
  requestHost?: boolean;
}

/** The key requests are grouped by (rate limits, in-flight limits). */
export function sourceKey(criterion: SourceCriterion | undefined): (ex: Exchange) => string {
  if (criterion?.requestHeaderName) {
    const name = criterion.requestHeaderName.toLowerCase();
    return (ex) => {
      const v = ex.requestHeaders[name];
      return Array.isArray(v) ? v.join(',') : v ?? '';
    };
  }
  if (criterion?.requestHost) return (ex) => ex.facts.host;
  return clientIpResolver(criterion?.ipStrategy);
}
