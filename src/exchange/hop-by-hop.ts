/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not
 * be forwarded, nor may any header the Connection header names.
 */
import type { HeaderMap } from './exchange.js';

const HOP_BY_HOP_LIST = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
];
const HOP_BY_HOP = new Set(HOP_BY_HOP_LIST);

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/**
 * Remove hop-by-hop headers in place. `te: trailers` survives on requests
 * (it announces trailer support end to end). Most messages carry none or
 * only `connection`, so the common path is one scan of the keys and no
 * `delete` (which would push the object into slow dictionary mode).
 */
export function stripHopByHop(headers: HeaderMap, keepTeTrailers: boolean): void {
  if (hasHopByHop(headers)) removeHopByHop(headers, keepTeTrailers);
}

/** One scan of the keys: most messages carry no hop-by-hop field at all. */
function hasHopByHop(headers: HeaderMap): boolean {
  for (const k in headers) if (HOP_BY_HOP.has(k)) return true;
  return false;
}

function removeHopByHop(headers: HeaderMap, keepTeTrailers: boolean): void {
  const connection = headers.connection;
  const named: string[] = [];
  if (connection !== undefined) {
    for (const value of Array.isArray(connection) ? connection : [connection])
      for (const token of value.split(',')) {
        const name = token.trim().toLowerCase();
        if (name && name !== 'close' && name !== 'keep-alive') named.push(name);
      }
  }
  const te = headers.te;
  for (let i = 0; i < HOP_BY_HOP_LIST.length; i++) {
    const name = HOP_BY_HOP_LIST[i]!;
    if (headers[name] !== undefined) headers[name] = undefined;
  }
  for (const name of named) if (headers[name] !== undefined) headers[name] = undefined;
  if (keepTeTrailers && typeof te === 'string' && /(^|,)\s*trailers\s*(,|$)/i.test(te)) headers.te = 'trailers';
}

/**
 * The same message's headers without hop-by-hop fields, for a header object we
 * own (a backend's response): itself when it has none, else one copy without
 * them, so nothing downstream has to skip undefined values or copy again.
 */
export function withoutHopByHop(headers: HeaderMap): HeaderMap {
  if (!hasHopByHop(headers)) return headers;
  removeHopByHop(headers, false);
  const out: HeaderMap = {};
  for (const k in headers) if (headers[k] !== undefined) out[k] = headers[k];
  return out;
}

/** A copy without undefined values and without HTTP/2-forbidden connection headers. */
export function definedHeaders(headers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
  }
  return out;
}
