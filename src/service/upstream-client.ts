/**
 * The one interface the load balancer forwards through, whatever carries the
 * request: an undici Pool (HTTP/1.1, pool-upstream.ts), node:http's agent for
 * requests that send trailers (trailer-upstream.ts), http2-wrapper for h2 and
 * h2c backends (http2-upstream.ts). Each client only moves bytes; timeouts,
 * settling once, error classification and the response relay are
 * UpstreamAttempt's (upstream-attempt.ts), the same for all three.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Exchange, HeaderMap } from '../exchange/exchange.js';
import type { UpstreamFailure } from './upstream-attempt.js';
import { stripHopByHop } from '../exchange/hop-by-hop.js';
import { addForwardedHeaders } from '../exchange/forwarded-headers.js';

export type { UpstreamFailure, UpstreamTimeouts } from './upstream-attempt.js';

export interface ForwardOptions {
  passHostHeader: boolean;
  /** Host header to use when passHostHeader is false (the backend's host:port). */
  upstreamHost: string;
  serverName: string;
  /** Where a WebSocket upgrade goes (the same server, reached over HTTP/1.1). */
  upgradeTarget?: { url: URL; tls?: ConnectionOptions };
}

export interface UpstreamClient {
  /** Send the exchange to the backend and relay its response; settles (never rejects) once the backend side is done, with why it failed. */
  forward(ex: Exchange, opts: ForwardOptions): Promise<UpstreamFailure | undefined>;
}

/** The request's headers as an HTTP/1.1 backend gets them (edited in place): no hop-by-hop fields or Expect, our forwarding hop added, Host as configured. */
export function upstreamRequestHeaders(ex: Exchange, opts: ForwardOptions): HeaderMap {
  const headers: HeaderMap = ex.requestHeaders;
  stripHopByHop(headers, true);
  delete headers.expect;
  delete headers.host;
  addForwardedHeaders(ex, headers, opts.serverName);
  headers.host = opts.passHostHeader ? ex.authority : opts.upstreamHost;
  return headers;
}
