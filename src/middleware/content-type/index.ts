/**
 * `contentType`: when the backend sent a body without Content-Type, set one
 * sniffed from the first bytes (at most 512 are held to look). Portico never
 * guesses otherwise: a router without this middleware passes the header, or
 * its absence, through untouched. `autoDetect: false` (Traefik v2's switch,
 * deprecated there) keeps that pass-through explicitly.
 */
import type { MiddlewareType } from '../middleware-type.js';
import type { ResponseInterceptor } from '../../exchange/exchange.js';
import { HeldHeadSink } from '../held-head-sink.js';
import { SNIFF_BYTES, sniffContentType } from './sniff.js';

interface Options {
  autoDetect?: boolean;
}

/** Sniff a Content-Type for a body that came without one (holding at most SNIFF_BYTES). */
const detectContentType: (method: string) => ResponseInterceptor = (method) => (status, headers, open) => {
  if (headers['content-type'] !== undefined || status === 204 || status === 304 || status < 200 || method === 'HEAD') return open(status, headers);
  return new HeldHeadSink(SNIFF_BYTES, (held) => {
    if (held.length > 0) headers['content-type'] = sniffContentType(held);
    return open(status, headers);
  });
};

export const contentType: MiddlewareType<Options> = {
  type: 'contentType',
  optionsSchema: { properties: { autoDetect: { type: 'boolean' } } },
  build: (o) => {
    if (o.autoDetect === false) return (next) => next;
    return (next) => (ex) => {
      ex.interceptResponse(detectContentType(ex.method));
      return next(ex);
    };
  },
};
