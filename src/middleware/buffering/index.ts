/**
 * `buffering`: read the whole request body before forwarding (so a backend
 * never sees a slow upload), refusing bodies over `maxRequestBodyBytes`
 * with 413. The only middleware that buffers, and only when asked to.
 */
import { Readable } from 'node:stream';
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator } from '../options-schema.js';

interface Options {
  maxRequestBodyBytes?: number;
  memRequestBodyBytes?: number;
  maxResponseBodyBytes?: number;
  memResponseBodyBytes?: number;
  retryExpression?: string;
}

export const buffering: MiddlewareType<Options> = {
  type: 'buffering',
  validate: optionsValidator({
    properties: {
      maxRequestBodyBytes: { type: 'integer', minimum: 0 },
      memRequestBodyBytes: { type: 'integer', minimum: 0 },
      maxResponseBodyBytes: { type: 'integer', minimum: 0 },
      memResponseBodyBytes: { type: 'integer', minimum: 0 },
      retryExpression: { type: 'string' },
    },
  }),
  build: (o) => {
    const max = o.maxRequestBodyBytes || Infinity;
    return (next) => async (ex) => {
      const declared = Number(ex.requestHeaders['content-length'] ?? 0);
      if (declared > max) {
        ex.respond(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, '413 Payload Too Large\n');
        return;
      }
      if (ex.hasBody === false) return next(ex);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of ex.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max) {
          ex.respond(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, '413 Payload Too Large\n');
          return;
        }
        chunks.push(chunk);
      }
      const body = Buffer.concat(chunks);
      (ex as { body: Readable }).body = Readable.from([body]);
      ex.requestHeaders['content-length'] = String(body.length);
      delete ex.requestHeaders['transfer-encoding'];
      return next(ex);
    };
  },
};
