/**
 * X-Forwarded-* and X-Real-Ip. Values a client sent are kept only when the
 * client is trusted (entryPoints.<n>.forwardedHeaders.trustedIPs or insecure);
 * otherwise they are replaced, so nobody can spoof their address to a backend
 * or to an ipAllowList behind us.
 */
import type { Exchange, HeaderMap } from './exchange.js';
import type { IpRangeSet } from '../net/ip-range.js';

export interface ForwardedHeadersPolicy {
  insecure: boolean;
  trusted: IpRangeSet | undefined;
  /** Value of X-Forwarded-Server (our hostname). */
  serverName: string;
}

const FORWARDED = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-real-ip',
  'x-forwarded-prefix',
  'forwarded',
];

export function isTrustedPeer(policy: ForwardedHeadersPolicy, ip: string): boolean {
  return policy.insecure || (policy.trusted !== undefined && policy.trusted.contains(ip));
}

/** Clean client-sent forwarding headers on arrival (before middlewares read them). */
export function sanitizeForwardedHeaders(headers: HeaderMap, trusted: boolean): void {
  if (trusted) return;
  for (const name of FORWARDED) if (headers[name] !== undefined) delete headers[name];
}

/** Add our hop to the forwarding headers just before the request leaves for the backend. */
export function addForwardedHeaders(ex: Exchange, headers: HeaderMap, serverName: string): void {
  const ip = ex.facts.clientIp;
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}` : ip;
  headers['x-forwarded-proto'] ??= ex.scheme === 'https' ? 'https' : 'http';
  headers['x-forwarded-host'] ??= ex.authority;
  headers['x-forwarded-port'] ??= String(ex.localPort);
  headers['x-forwarded-server'] ??= serverName;
  headers['x-real-ip'] ??= ip;
}
