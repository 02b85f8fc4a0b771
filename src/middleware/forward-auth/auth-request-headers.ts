/**
 * The headers forwardAuth sends to the authentication server: the client's
 * (all, or only `authRequestHeaders`), without hop-by-hop fields, plus
 * Traefik's X-Forwarded-* set describing the original request. With
 * `trustForwardHeader`, X-Forwarded-* the client sent are believed and kept.
 */
import type { Exchange } from '../../exchange/exchange.js';
import { isHopByHop } from '../../exchange/hop-by-hop.js';

/** Not copied: they describe the client's message, not the (bodiless, unless forwardBody) auth request. */
const MESSAGE_HEADERS = new Set(['host', 'content-length']);

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function authRequestHeaders(ex: Exchange, allowed: readonly string[] | undefined, trustForwardHeader: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const allow = allowed?.length ? new Set(allowed.map((h) => h.toLowerCase())) : undefined;
  for (const [name, value] of Object.entries(ex.requestHeaders)) {
    if (value === undefined || name.startsWith(':') || isHopByHop(name) || MESSAGE_HEADERS.has(name)) continue;
    if (allow && !allow.has(name)) continue;
    out[name] = value;
  }
  const sent = ex.requestHeaders;
  const trusted = (name: string) => (trustForwardHeader ? first(sent[name]) : undefined);
  const prior = sent['x-forwarded-for'];
  out['x-forwarded-for'] = trustForwardHeader && prior !== undefined ? `${[prior].flat().join(', ')}, ${ex.remoteAddress}` : ex.remoteAddress;
  out['x-forwarded-method'] = trusted('x-forwarded-method') ?? ex.method;
  out['x-forwarded-proto'] = trusted('x-forwarded-proto') ?? ex.scheme;
  const port = trusted('x-forwarded-port');
  if (port !== undefined) out['x-forwarded-port'] = port;
  else delete out['x-forwarded-port'];
  out['x-forwarded-host'] = trusted('x-forwarded-host') ?? ex.authority;
  out['x-forwarded-uri'] = trusted('x-forwarded-uri') ?? ex.url;
  return out;
}
