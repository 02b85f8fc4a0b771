/**
 * `grpcWeb`: lets browsers call a gRPC service. A gRPC-Web request
 * (`application/grpc-web[+proto]`, or `-text` with a base64 body) goes to the
 * service as gRPC (`application/grpc[+proto]`, `te: trailers`; the service
 * must speak HTTP/2, e.g. an `h2c://` server); its answer comes back as
 * gRPC-Web: the gRPC trailers as a final 0x80 frame in the body (base64 for
 * `-text` clients). Browsers' CORS preflights from `allowOrigins` (`*`: any)
 * are answered here. Other requests pass untouched.
 */
import type { Exchange, HeaderMap, ResponseSink } from '../../exchange/exchange.js';
import type { MiddlewareType } from '../middleware-type.js';
import { stringList } from '../options-schema.js';
import { Base64Decoder, trailerFrame } from './grpc-web-frames.js';

interface Options {
  allowOrigins?: string[];
}

const GRPC_WEB = /^application\/grpc-web(-text)?(\+[a-z0-9.-]+)?\s*(;.*)?$/i;
/** What a browser's gRPC-Web client reads from the response. */
const EXPOSED = 'grpc-status,grpc-message,grpc-status-details-bin';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The gRPC response as gRPC-Web: same head (content type changed), trailers appended as a frame, base64 for text. */
function grpcWebSink(sink: ResponseSink, text: boolean): ResponseSink {
  let trailers: Record<string, string> = {};
  const encode = (chunk: Buffer | string) => (text ? Buffer.from(chunk).toString('base64') : chunk);
  // base64 of each write on its own is still valid gRPC-Web text (padded groups may follow one another).
  return {
    get headersSent() {
      return sink.headersSent;
    },
    get destroyed() {
      return sink.destroyed;
    },
    write: (chunk) => sink.write(encode(chunk)),
    end: (chunk) => {
      if (chunk !== undefined && chunk.length) sink.write(encode(chunk));
      sink.end(encode(trailerFrame(trailers)));
    },
    addTrailers: (t) => {
      trailers = { ...trailers, ...t };
    },
    once: (e, l) => sink.once(e, l),
    on: (e, l) => sink.on(e, l),
    removeListener: (e, l) => sink.removeListener(e, l),
    destroy: (err) => sink.destroy(err),
  };
}

export const grpcWeb: MiddlewareType<Options> = {
  type: 'grpcWeb',
  optionsSchema: { properties: { allowOrigins: stringList } },
  build: (o) => {
    const origins = new Set(o.allowOrigins ?? []);
    const allowed = (origin: string | undefined) => origin !== undefined && (origins.has('*') || origins.has(origin));
    const allowOriginValue = (origin: string) => (origins.has('*') ? '*' : origin);

    const preflight = (ex: Exchange, origin: string) => {
      const headers: HeaderMap = {
        'access-control-allow-origin': allowOriginValue(origin),
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': first(ex.requestHeaders['access-control-request-headers']) ?? 'content-type, x-grpc-web, x-user-agent',
        'access-control-max-age': '600',
        vary: 'Origin',
      };
      ex.respond(200, headers);
    };

    return (next) => (ex) => {
      const origin = first(ex.requestHeaders.origin);
      if (ex.method === 'OPTIONS' && ex.requestHeaders['access-control-request-method'] !== undefined && allowed(origin)) return preflight(ex, origin!);
      const type = first(ex.requestHeaders['content-type']);
      const m = ex.method === 'POST' && type ? GRPC_WEB.exec(type) : null;
      if (!m) return next(ex);
      const text = !!m[1];
      ex.requestHeaders['content-type'] = `application/grpc${m[2] ?? ''}`;
      ex.requestHeaders.te = 'trailers';
      if (text) {
        ex.requestHeaders['content-length'] = undefined;
        ex.replaceBody(ex.body.pipe(new Base64Decoder()));
      }
      ex.interceptResponse((status, headers, open) => {
        const out: HeaderMap = { ...headers, 'content-length': undefined };
        const responseType = first(headers['content-type']);
        out['content-type'] = responseType?.startsWith('application/grpc')
          ? responseType.replace(/^application\/grpc/, text ? 'application/grpc-web-text' : 'application/grpc-web')
          : responseType;
        if (allowed(origin)) {
          out['access-control-allow-origin'] = allowOriginValue(origin!);
          out['access-control-expose-headers'] = EXPOSED;
          out.vary = 'Origin';
        }
        return grpcWebSink(open(status, out), text);
      });
      return next(ex);
    };
  },
};
