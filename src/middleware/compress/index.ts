/**
 * `compress`: encode the response with zstd (when this Node has it), br or
 * gzip, as the client's Accept-Encoding prefers (no header: `defaultEncoding`
 * if set, else nothing), streaming through node:zlib
 * with back-pressure. Left alone: HEAD, 1xx/204/206/304, bodies already
 * encoded or marked no-transform, requests or responses of content types outside the include/exclude
 * lists, and bodies under `minResponseBodyBytes` (when the length is not
 * declared, up to that many bytes are held to find out — never more).
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { MiddlewareType } from '../middleware-type.js';
import type { HeaderMap, ResponseHeadersHook, ResponseInterceptor, ResponseSink } from '../../exchange/exchange.js';
import { stringList } from '../options-schema.js';
import { EncodingNegotiator } from './accept-encoding.js';
import { CompressingSink } from './compressing-sink.js';
import { HeldHeadSink } from '../held-head-sink.js';

interface Options {
  excludedContentTypes?: string[];
  includedContentTypes?: string[];
  minResponseBodyBytes?: number;
  encodings?: string[];
  defaultEncoding?: string;
}

type ZstdZlib = { createZstdCompress?: (options?: object) => Transform };

/** zstd arrived in node:zlib with Node 22.15 / 23.8; on older Nodes it is simply not offered. */
export const ZSTD_AVAILABLE = typeof (zlib as unknown as ZstdZlib).createZstdCompress === 'function';

const KNOWN_ENCODINGS = ['zstd', 'br', 'gzip'];
/** Streams whose framing a compressor would break or delay: gRPC (`application/grpc`, `+proto`, `-web`…) and server-sent events. */
function alwaysExcluded(mediaType: string): boolean {
  return mediaType.startsWith('application/grpc') || mediaType === 'text/event-stream';
}

function createCompressor(encoding: string): Transform {
  if (encoding === 'br') return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
  if (encoding === 'zstd') return (zlib as unknown as Required<ZstdZlib>).createZstdCompress();
  return zlib.createGzip({ level: 5 });
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Matches `text/html`, and `text/*` or `*\/*` wildcards, against a media type. */
function mediaTypeMatcher(patterns: readonly string[]): (type: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    const t = mediaType(p);
    if (t === '*/*') prefixes.push('');
    else if (t.endsWith('/*')) prefixes.push(t.slice(0, -1));
    else exact.add(t);
  }
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}

function addVary(headers: HeaderMap, value: string): void {
  const vary = headers.vary;
  if (vary === undefined) {
    headers.vary = value;
    return;
  }
  const joined = Array.isArray(vary) ? vary.join(', ') : vary;
  if (!joined.toLowerCase().includes(value.toLowerCase()) && joined.trim() !== '*') headers.vary = `${joined}, ${value}`;
}

/** Per-request state: one object instead of several closures. */
class CompressionAttempt {
  constructor(
    private readonly encoding: string,
    private readonly settings: CompiledSettings,
  ) {}

  readonly intercept: ResponseInterceptor = (status, headers, open) => {
    if (!this.settings.eligible(status, headers)) return open(status, headers);
    addVary(headers, 'Accept-Encoding');
    const declared = headers['content-length'];
    if (declared !== undefined) {
      const length = Number(first(declared));
      if (!(length >= this.settings.minBytes)) return open(status, headers);
      return this.compressed(status, headers, open);
    }
    if (this.settings.minBytes <= 0) return this.compressed(status, headers, open);
    // Length unknown: hold the first minBytes to learn whether the body is worth compressing.
    return new HeldHeadSink(this.settings.minBytes, (held, ended) => {
      if (ended && held.length < this.settings.minBytes) {
        headers['content-length'] = String(held.length);
        return open(status, headers);
      }
      return this.compressed(status, headers, open);
    });
  };

  private compressed(status: number, headers: HeaderMap, open: (status: number, headers: HeaderMap) => ResponseSink): ResponseSink {
    headers['content-encoding'] = this.encoding;
    headers['content-length'] = undefined;
    // The encoded bytes are a different representation: a strong validator would lie.
    const etag = first(headers.etag);
    if (etag && !etag.startsWith('W/')) headers.etag = 'W/' + etag;
    return new CompressingSink(open(status, headers), createCompressor(this.encoding));
  }
}

interface CompiledSettings {
  minBytes: number;
  eligible(status: number, headers: HeaderMap): boolean;
}

export const compress: MiddlewareType<Options> = {
  type: 'compress',
  optionsSchema: {
    properties: {
      excludedContentTypes: stringList,
      includedContentTypes: stringList,
      minResponseBodyBytes: { type: 'integer', minimum: 0 },
      encodings: { type: 'array', minItems: 1, items: { enum: KNOWN_ENCODINGS } },
      defaultEncoding: { enum: KNOWN_ENCODINGS },
    },
  },
  validate: (o) =>
    o.excludedContentTypes?.length && o.includedContentTypes?.length
      ? [['includedContentTypes', 'set either includedContentTypes or excludedContentTypes, not both']]
      : [],
  build: (o) => {
    const encodings = (o.encodings ?? KNOWN_ENCODINGS).filter((e) => e !== 'zstd' || ZSTD_AVAILABLE);
    const negotiator = new EncodingNegotiator(encodings, o.defaultEncoding);
    const excluded = mediaTypeMatcher(o.excludedContentTypes ?? []);
    const included = o.includedContentTypes?.length ? mediaTypeMatcher(o.includedContentTypes) : undefined;
    const typeQualifies = (contentType: string | undefined): boolean => {
      const t = mediaType(contentType);
      if (alwaysExcluded(t)) return false;
      return included ? included(t) : !excluded(t);
    };
    const settings: CompiledSettings = {
      minBytes: o.minResponseBodyBytes ?? 1024,
      eligible: (status, headers) =>
        status >= 200 &&
        status !== 204 &&
        status !== 206 &&
        status !== 304 &&
        headers['content-encoding'] === undefined &&
        !/no-transform/i.test(String(headers['cache-control'] ?? '')) &&
        typeQualifies(first(headers['content-type'])),
    };
    // Responses we would compress for another client still vary by Accept-Encoding, for caches.
    const varyOnly: ResponseHeadersHook = (status, headers) => {
      if (settings.eligible(status, headers)) addVary(headers, 'Accept-Encoding');
    };
    // A request whose own body is of an excluded type (gRPC above all) speaks a protocol that must not be touched.
    const requestExcluded = (contentType: string | string[] | undefined): boolean => {
      if (contentType === undefined) return false;
      const t = mediaType(first(contentType));
      return alwaysExcluded(t) || excluded(t);
    };
    return (next) => (ex) => {
      const encoding =
        ex.method === 'HEAD' || requestExcluded(ex.requestHeaders['content-type']) ? undefined : negotiator.choose(first(ex.requestHeaders['accept-encoding']));
      if (encoding) ex.interceptResponse(new CompressionAttempt(encoding, settings).intercept);
      else ex.onResponseHeaders(varyOnly);
      return next(ex);
    };
  },
};
