/**
 * `buffering`: read the whole request body before forwarding, so a backend
 * never waits on a slow upload: up to `memRequestBodyBytes` (1 MiB) in
 * memory, the rest in a temporary file; over `maxRequestBodyBytes` → 413.
 * With `maxResponseBodyBytes`, the response is also read whole (in memory,
 * at most that much) and one over the limit becomes a 500. The only
 * middleware that buffers bodies, and only because it is asked to.
 */
import type { MiddlewareType } from '../middleware-type.js';
import type { Exchange } from '../../exchange/exchange.js';
import { spoolBody } from './spooled-body.js';
import { ResponseBufferingSink } from './response-buffering-sink.js';

interface Options {
  maxRequestBodyBytes?: number;
  memRequestBodyBytes?: number;
  maxResponseBodyBytes?: number;
  memResponseBodyBytes?: number;
  retryExpression?: string;
}

const TOO_LARGE = '413 Request Entity Too Large\n';

function refuse(ex: Exchange): void {
  // The rest of the upload is not read: close the connection rather than drain it.
  ex.respond(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, TOO_LARGE);
}

export const buffering: MiddlewareType<Options> = {
  type: 'buffering',
  optionsSchema: {
    properties: {
      maxRequestBodyBytes: { type: 'integer', minimum: 0 },
      memRequestBodyBytes: { type: 'integer', minimum: 0 },
      maxResponseBodyBytes: { type: 'integer', minimum: 0 },
      memResponseBodyBytes: { type: 'integer', minimum: 0 },
      retryExpression: { type: 'string' },
    },
  },
  validate: (o) =>
    o.retryExpression !== undefined ? [['retryExpression', "retries are not supported by Portico's buffering middleware; remove retryExpression"]] : [],
  build: (o) => {
    const maxRequest = o.maxRequestBodyBytes || Infinity;
    const memRequest = o.memRequestBodyBytes ?? 1024 * 1024;
    const maxResponse = o.maxResponseBodyBytes || 0;
    return (next) => async (ex) => {
      const declared = Number(ex.requestHeaders['content-length'] ?? 0);
      if (declared > maxRequest) return refuse(ex);
      let dispose: (() => void) | undefined;
      if (ex.hasBody !== false) {
        const spooled = await spoolBody(ex.body as AsyncIterable<Buffer>, maxRequest, memRequest);
        if (spooled.tooLarge) return refuse(ex);
        ex.replaceBody(spooled.body);
        ex.requestHeaders['content-length'] = String(spooled.size);
        delete ex.requestHeaders['transfer-encoding'];
        dispose = spooled.dispose;
      }
      if (maxResponse > 0) ex.interceptResponse((status, headers, open) => new ResponseBufferingSink(ex, status, headers, maxResponse, open));
      try {
        return await next(ex);
      } finally {
        // Whoever answered may never have read the body (a later middleware refused the request): no file outlives its exchange.
        dispose?.();
      }
    };
  },
};
