/**
 * Every compiled middleware runs inside this guard (the registry applies it),
 * so no middleware or plugin can hang or crash a request by throwing:
 *
 * - its request phase: a throw or a rejected promise ends the request with a
 *   500 (or aborts it if the head has left) through `ex.middlewareFailed`;
 * - its response hooks, interceptors and body transforms: the exchange blames
 *   them on `ex.runningMiddleware`, which the guard sets around the
 *   middleware's synchronous code, when they throw (exchange-base.ts).
 *
 * What the handler behind it (`next`) throws is not this middleware's fault:
 * it passes through untouched, wrapped in DownstreamFailure so that outer
 * guards do not claim it either, up to the pipeline's own 500.
 */
import type { Exchange, Handler, MiddlewareHandler } from './exchange.js';
import type { OpenSpan } from './exchange-trace.js';

/** An error from further down the pipeline (a later middleware's guard already ran, or the service). */
export class DownstreamFailure extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'DownstreamFailure';
    if (failure instanceof Error) this.stack = failure.stack;
  }
}

function passDown(error: unknown): never {
  throw error instanceof DownstreamFailure ? error : new DownstreamFailure(error);
}

function isPromise(value: unknown): value is Promise<void> {
  return typeof (value as Promise<void> | undefined)?.then === 'function';
}

/** `next` as this middleware sees it: its failures marked as not ours. */
function markingDownstream(next: Handler): Handler {
  return (ex) => {
    let result: void | Promise<void>;
    try {
      result = next(ex);
    } catch (error) {
      passDown(error);
    }
    return isPromise(result) ? result.then(undefined, passDown) : result;
  };
}

function fail(ex: Exchange, middleware: string, error: unknown): void {
  if (error instanceof DownstreamFailure) throw error;
  ex.middlewareFailed({ middleware, phase: 'request', error });
}

/** `type` (`stripPrefix`, a plugin's name) names the middleware's span when tracing is on, as Traefik's do. */
export function guardMiddleware(middleware: string, handler: MiddlewareHandler, type?: string): MiddlewareHandler {
  return (next) => {
    let inner: Handler;
    try {
      inner = handler(markingDownstream(next));
    } catch (error) {
      // Wrapping happens when the configuration is built; a middleware that cannot wrap fails its requests, not the build.
      return (ex) => fail(ex, middleware, error);
    }
    const run: Handler = (ex) => {
      const outer = ex.runningMiddleware;
      ex.runningMiddleware = middleware;
      let result: void | Promise<void>;
      try {
        result = inner(ex);
      } catch (error) {
        return fail(ex, middleware, error);
      } finally {
        ex.runningMiddleware = outer;
      }
      return isPromise(result) ? result.then(undefined, (error: unknown) => fail(ex, middleware, error)) : result;
    };
    // With tracing on, the middleware's span covers it and what it calls, as Traefik's does.
    return (ex) => (ex.trace === undefined ? run(ex) : traced(ex, ex.trace.middleware(middleware, type), run));
  };
}

function traced(ex: Exchange, span: OpenSpan, run: Handler): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = run(ex);
  } catch (error) {
    span.end(ex.statusCode);
    throw error;
  }
  if (!isPromise(result)) {
    span.end(ex.statusCode);
    return result;
  }
  return result.finally(() => span.end(ex.statusCode));
}
