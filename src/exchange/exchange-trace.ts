/**
 * What the pipeline tells a request's trace, when tracing is on
 * (src/observability/tracing/ implements it; `ex.trace` is undefined when it
 * is off, so the pipeline's only cost then is that one check). The layers
 * open a span as they take the request and end it when their handler settles;
 * each span's parent is the innermost one still open, as the layers nest.
 */
import type { Exchange, HeaderMap } from './exchange.js';

/** A span that is open; `end` once. */
export interface OpenSpan {
  /** The status the layer produced, when it knows it (sets the span's status as Traefik does). */
  end(status?: number): void;
}

export interface ExchangeTrace {
  /** W3C trace id (32 hex digits) and the entrypoint span's id (16), for the access log. */
  readonly traceId: string;
  readonly spanId: string;
  /** The router matched: Traefik's `Router` span. */
  router(name: string, service: string | undefined, rule: string | undefined): OpenSpan;
  /** A middleware takes the request: a span named after its type (`traefik.middleware.name` is its name). */
  middleware(name: string, type: string | undefined): OpenSpan;
  /** A service takes the request: Traefik's `Service` span. */
  service(name: string): OpenSpan;
  /**
   * The request leaves for `url`: Traefik's `ReverseProxy` client span, and
   * its context written into `headers` (traceparent, tracestate, baggage).
   */
  upstream(url: string, method: string, headers: HeaderMap): OpenSpan;
}

/** Starts the trace of each exchange an entrypoint dispatches, once routed; undefined for one it does not trace (internal routers). */
export interface ExchangeTracing {
  start(ex: Exchange, router: string | undefined): ExchangeTrace | undefined;
}
