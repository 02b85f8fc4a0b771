/**
 * What an entrypoint listener needs from the running server: the current
 * routing table and TLS runtime (swapped atomically on reload — a listener
 * reads them per request/handshake and never caches them), forwarded-header
 * trust, and where to report finished exchanges.
 */
import type { Exchange, Handler } from '../middleware/exchange.js';
import type { RequestFacts } from '../router/request-facts.js';
import type { EntryPointConfig } from '../config/static-config.js';
import type { ForwardedHeadersPolicy } from '../service/forwarded-headers.js';
import type { TlsRuntime } from '../tls/tls-runtime.js';

export interface RouteTarget {
  handler: Handler;
  /** Name of the TLS option set this router requires ('default' when unspecified); undefined for non-TLS routers. */
  tlsOptions: string | undefined;
}

export interface RouteLookup {
  match(facts: RequestFacts): { name: string; value: RouteTarget } | undefined;
}

export interface EntryPointContext {
  readonly name: string;
  readonly config: EntryPointConfig;
  /** True when the entrypoint terminates TLS (http.tls set). */
  readonly tls: boolean;
  routes(): RouteLookup;
  tlsRuntime(): TlsRuntime;
  readonly forwarded: ForwardedHeadersPolicy;
  /** `h3=":443"; ma=2592000` while an HTTP/3 listener is live on this entrypoint. */
  altSvc(): string | undefined;
  /** Called once per exchange when the response is finished or aborted. */
  exchangeDone(ex: Exchange, outcome: 'ok' | 'aborted'): void;
  /** Protocol-level problems (malformed requests) by kind, for metrics. */
  countMalformed(kind: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}
