/**
 * `contentType`: when the backend sent a body without Content-Type, set one
 * sniffed from the first bytes (at most 512 are held to look). Portico never
 * guesses otherwise: a router without this middleware passes the header, or
 * its absence, through untouched. `autoDetect: false` (Traefik v2's switch,
 * deprecated there) keeps that pass-through explicitly.
 */
import type { MiddlewareType } from '../middleware-type.js';
import type { Exchange, HeaderMap, ResponseSink } from '../exchange.js';
import { optionsValidator } from '../options-schema.js';
import { HeldHeadSink } from '../held-head-sink.js';
import { SNIFF_BYTES, sniffContentType } from './sniff.js';

interface Options {
  autoDetect?: boolean;
}

/** Per-request state: one object rather than a set of closures. */
class ContentTypeDetection {
  private readonly writeHeadOriginal: Exchange['writeHead'];

  constructor(private readonly ex: Exchange) {
    this.writeHeadOriginal = ex.writeHead;
    ex.writeHead = this.writeHead;
  }

  readonly writeHead = (status: number, headers: HeaderMap): ResponseSink => {
    const ex = this.ex;
    ex.writeHead = this.writeHeadOriginal;
    if (headers['content-type'] !== undefined || status === 204 || status === 304 || status < 200 || ex.method === 'HEAD')
      return ex.writeHead(status, headers);
    return new HeldHeadSink(SNIFF_BYTES, (held) => {
      if (held.length > 0) headers['content-type'] = sniffContentType(held);
      return ex.writeHead(status, headers);
    });
  };
}

export const contentType: MiddlewareType<Options> = {
  type: 'contentType',
  validate: optionsValidator({ properties: { autoDetect: { type: 'boolean' } } }),
  build: (o) => {
    if (o.autoDetect === false) return (next) => next;
    return (next) => (ex) => {
      new ContentTypeDetection(ex);
      return next(ex);
    };
  },
};
