/**
 * `compress`: gzip or brotli the response when the client accepts it and the
 * content type qualifies, streaming through node:zlib with back-pressure
 * (no whole-body buffering). Responses below `minResponseBodyBytes` (when
 * their length is known), already encoded, or to HEAD stay as they are.
 */
import { EventEmitter } from 'node:events';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { MiddlewareType } from '../middleware-type.js';
import type { Exchange, HeaderMap, ResponseSink } from '../exchange.js';
import { optionsValidator, stringList } from '../options-schema.js';

interface Options {
  excludedContentTypes?: string[];
  includedContentTypes?: string[];
  minResponseBodyBytes?: number;
  encodings?: string[];
  defaultEncoding?: string;
}

const SUPPORTED = ['br', 'gzip'];

/** Pick an encoding from Accept-Encoding (q-values honoured), in our preference order. */
export function negotiateEncoding(accept: string | undefined, allowed: string[]): string | undefined {
  if (!accept) return undefined;
  const q = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qp = params.find((p) => p.trim().startsWith('q='));
    q.set(name!.trim(), qp ? Number(qp.trim().slice(2)) : 1);
  }
  return allowed.find((e) => (q.get(e) ?? q.get('*') ?? 0) > 0);
}

/** A ResponseSink that compresses into the real sink, forwarding back-pressure both ways. */
class CompressingSink extends EventEmitter implements ResponseSink {
  headersSent = true;
  private ended = false;

  constructor(
    private readonly inner: ResponseSink,
    private readonly zip: Transform,
  ) {
    super();
    zip.on('data', (chunk: Buffer) => {
      if (!inner.write(chunk)) {
        zip.pause();
        inner.once('drain', () => zip.resume());
      }
    });
    zip.on('drain', () => this.emit('drain'));
    zip.on('end', () => {
      inner.end();
      this.emit('finish');
    });
    inner.on('close', () => this.emit('close'));
  }

  get destroyed(): boolean {
    return this.inner.destroyed;
  }

  write(chunk: Buffer | string): boolean {
    return this.zip.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    if (this.ended) return;
    this.ended = true;
    if (chunk !== undefined) this.zip.end(chunk);
    else this.zip.end();
  }

  addTrailers(trailers: Record<string, string>): void {
    this.inner.addTrailers(trailers);
  }

  destroy(error?: Error): void {
    this.zip.destroy();
    this.inner.destroy(error);
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export const compress: MiddlewareType<Options> = {
  type: 'compress',
  validate: (o) => {
    const problems = optionsValidator({
      properties: {
        excludedContentTypes: stringList,
        includedContentTypes: stringList,
        minResponseBodyBytes: { type: 'integer', minimum: 0 },
        encodings: { type: 'array', items: { enum: ['br', 'gzip', 'zstd'] } },
        defaultEncoding: { type: 'string' },
      },
    })(o);
    const opts = (o ?? {}) as Options;
    if (opts.excludedContentTypes?.length && opts.includedContentTypes?.length)
      problems.push(['includedContentTypes', 'set either includedContentTypes or excludedContentTypes, not both']);
    return problems;
  },
  build: (o) => {
    const min = o.minResponseBodyBytes ?? 1024;
    const encodings = (o.encodings ?? ['gzip', 'br']).filter((e) => SUPPORTED.includes(e));
    const excluded = (o.excludedContentTypes ?? ['application/grpc', 'text/event-stream']).map((t) => t.toLowerCase());
    const included = o.includedContentTypes?.map((t) => t.toLowerCase());
    const typeAllowed = (ct: string | undefined) => {
      const base = (ct ?? '').split(';')[0]!.trim().toLowerCase();
      if (included) return included.includes(base);
      return !excluded.includes(base);
    };
    return (next) => (ex) => {
      const encoding = ex.method === 'HEAD' ? undefined : negotiateEncoding(first(ex.requestHeaders['accept-encoding']), encodings);
      if (!encoding) return next(ex);
      const writeHead = ex.writeHead.bind(ex) as Exchange['writeHead'];
      ex.writeHead = (status: number, headers: HeaderMap): ResponseSink => {
        const length = headers['content-length'] !== undefined ? Number(first(headers['content-length'])) : undefined;
        const skip =
          status < 200 || status === 204 || status === 304 ||
          headers['content-encoding'] !== undefined ||
          (length !== undefined && length < min) ||
          !typeAllowed(first(headers['content-type']));
        const vary = headers.vary;
        headers.vary = vary ? (/accept-encoding/i.test(String(vary)) ? vary : `${Array.isArray(vary) ? vary.join(', ') : vary}, Accept-Encoding`) : 'Accept-Encoding';
        if (skip) return writeHead(status, headers);
        headers['content-encoding'] = encoding;
        headers['content-length'] = undefined;
        const zip = encoding === 'br' ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }) : zlib.createGzip({ level: 5 });
        return new CompressingSink(writeHead(status, headers), zip);
      };
      return next(ex);
    };
  },
};
