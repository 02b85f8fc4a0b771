/**
 * What an entrypoint listener needs from the running server: the current
 * routing table and TLS runtime (swapped atomically on reload — a listener
 * reads them per request/handshake and never caches them), forwarded-header
 * trust, and where to report finished exchanges.
 */
import type { Exchange } from '../exchange/exchange.js';
import type { DispatchContext } from '../exchange/dispatch-exchange.js';
import type { ForwardedHeadersPolicy } from '../exchange/forwarded-headers.js';
import type { TlsRuntime } from '../tls/tls-runtime.js';
import type { TcpRouteLookup } from '../exchange/tcp-route-lookup.js';

/** The pipeline's needs (config, routes, log) and the listener's own. */
export interface EntryPointContext extends DispatchContext {
  readonly name: string;
  /** True when `http.tls` makes TLS the default for this entrypoint's routers (either kind of connection is accepted regardless). */
  readonly tls: boolean;
  tlsRuntime(): TlsRuntime;
  /** The current TCP routers of this entrypoint (read per connection, never cached). */
  tcpRoutes(): TcpRouteLookup | undefined;
  readonly forwarded: ForwardedHeadersPolicy;
  /** `h3=":443"; ma=2592000` while an HTTP/3 listener is live on this entrypoint. */
  altSvc(): string | undefined;
  /** Called once per exchange when the response is finished or aborted. */
  exchangeDone(ex: Exchange, outcome: 'ok' | 'aborted'): void;
  /** Protocol-level problems (malformed requests) by kind, for metrics. */
  countMalformed(kind: string): void;
}
