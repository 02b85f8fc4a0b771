/**
 * Build the routing facts of a request from what any HTTP version gives us:
 * method, authority (Host or :authority), request-target and the peer
 * address. Returns a reason when the request must be refused with 400.
 */
import type { RequestFacts } from '../router/request-facts.js';
import type { HeaderMap } from '../exchange/exchange.js';
import { normalizePath } from '../router/normalize-path.js';

export type FactsResult = { ok: true; facts: RequestFacts; upstreamUrl: string; authority: string } | { ok: false; reason: string };

/**
 * Authorities seen recently and their host (or undefined when invalid). Nearly every
 * request repeats one of a few Host values, so the parse runs once per value; the
 * cache is emptied when full, so hostile Host headers cannot grow it.
 */
const recentHosts = new Map<string, string | undefined>();
const RECENT_HOSTS_MAX = 1024;

/** `Host: a.com:8443` → `a.com`; `[::1]:8443` → `::1`; lower-case, no trailing dot. */
export function hostFromAuthority(authority: string): string | undefined {
  const cached = recentHosts.get(authority);
  if (cached !== undefined || recentHosts.has(authority)) return cached;
  const host = parseAuthorityHost(authority);
  if (recentHosts.size >= RECENT_HOSTS_MAX) recentHosts.clear();
  recentHosts.set(authority, host);
  return host;
}

function parseAuthorityHost(authority: string): string | undefined {
  let host = authority.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    host = host.slice(1, end);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      if (!/^\d*$/.test(host.slice(colon + 1))) return undefined;
      host = host.slice(0, colon);
    }
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (!/^[a-z0-9._~!$&'()*+,;=%-]*$/.test(host)) return undefined;
  }
  return host;
}

/**
 * `clientIp` is the peer address as normalizeClientAddress gives it (entrypoints compute it once per connection).
 * `absoluteForm`: whether the protocol allows an absolute-form request-target (HTTP/1.1 does, to proxies;
 * an h2/h3 `:path` must be origin-form). When one is given, its authority is the request's: RFC 9112 §3.2.2
 * has the server ignore Host then, so routing and the backend see the same name.
 */
export function buildRequestFacts(
  method: string,
  hostAuthority: string,
  target: string,
  headers: HeaderMap,
  clientIp: string,
  absoluteForm = false,
): FactsResult {
  const norm = normalizePath(target, method);
  if (!norm.ok) return { ok: false, reason: norm.reason };
  if (norm.authority !== undefined && !absoluteForm) return { ok: false, reason: 'request-target must be origin-form ("/path") in this protocol' };
  const authority = norm.authority ?? hostAuthority;
  const host = hostFromAuthority(authority);
  if (host === undefined) return { ok: false, reason: 'invalid Host' };
  const facts: RequestFacts = {
    method,
    host,
    path: norm.path,
    query: norm.query,
    headers,
    clientIp,
  };
  // What we send upstream is what routing saw: the normalised path, so a backend cannot be reached by a path the router did not match.
  return { ok: true, facts, upstreamUrl: norm.query ? `${norm.path}?${norm.query}` : norm.path, authority };
}
