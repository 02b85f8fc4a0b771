/**
 * The request pipeline every protocol shares once it has built an Exchange:
 * entrypoint redirection, routing, the 421 check for TLS option mismatch,
 * then the router's middleware chain and service. Protocol adapters (h1/h2
 * in entrypoint/tcp-entrypoint.ts, h3 in entrypoint/http3-request-bridge.ts)
 * call only this.
 */
import type { EntryPointConfig } from '../config/static-config.js';
import type { ExchangeBase } from './exchange-base.js';
import type { EntryPointRoutes } from './route-lookup.js';
import { respondError } from './http-error.js';
import type { ExchangeTracing, OpenSpan } from './exchange-trace.js';

/** What the pipeline needs from the entrypoint a request came in on (EntryPointContext is one). */
export interface DispatchContext {
  readonly config: EntryPointConfig;
  /** The current routing table: read per request, never cached (swapped on reload). */
  routes(): EntryPointRoutes;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  /** Set when tracing is on: each exchange gets its trace once routed (its entrypoint span starts when the exchange did). */
  readonly tracing?: ExchangeTracing;
}

// Entrypoint redirections are ordinary routers from the internal provider (src/provider/internal), not a branch here.
export async function dispatchExchange(ex: ExchangeBase, ep: DispatchContext): Promise<void> {
  let routerSpan: OpenSpan | undefined;
  try {
    // A TLS router is reachable only over TLS, a plain one only in clear; the other kind's request gets 404, as in Traefik.
    const routes = ep.routes();
    const hit = (ex.tls ? routes.secure : routes.plain).match(ex.facts);
    if (ep.tracing !== undefined) ex.trace = ep.tracing.start(ex, hit?.name);
    if (!hit) {
      respondError(ex, 404);
      return;
    }
    ex.routerName = hit.name;
    ex.routerService = hit.value.service;
    if (ex.trace !== undefined) routerSpan = ex.trace.router(hit.name, hit.value.service, hit.value.rule);
    const wanted = hit.value.tlsOptions;
    if (ex.tls && wanted !== undefined && wanted !== ex.tls.optionsName) {
      // The connection was negotiated under other TLS options (SNI ≠ Host): RFC 9110 §15.5.20.
      respondError(ex, 421);
      return;
    }
    await hit.value.handler(ex);
  } catch (err) {
    ep.log('error', `request handling failed: ${(err as Error).message}`, { router: ex.routerName, stack: (err as Error).stack });
    respondError(ex, 500);
  } finally {
    routerSpan?.end(ex.statusCode);
  }
}
