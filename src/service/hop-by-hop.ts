/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not
 * be forwarded, nor may any header the Connection header names.
 */
import type { HeaderMap } from '../middleware/exchange.js';

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

/** Remove hop-by-hop headers in place. `te: trailers` survives on requests (it announces trailer support end to end). */
export function stripHopByHop(headers: HeaderMap, keepTeTrailers: boolean): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const value of Array.isArray(connection) ? connection : [connection])
      for (const token of value.split(',')) {
        const name = token.trim().toLowerCase();
        if (name) delete headers[name];
      }
  }
  const te = headers.te;
  for (let i = 0; i < HOP_BY_HOP_LIST.length; i++) {
    const name = HOP_BY_HOP_LIST[i]!;
    if (headers[name] !== undefined) delete headers[name];
  }
  if (keepTeTrailers && typeof te === 'string' && /(^|,)\s*trailers\s*(,|$)/i.test(te)) headers.te = 'trailers';
}
