/**
 * What the pipeline asks of a routing table: the runtime builds one per
 * entrypoint (runtime/route-build.ts), the entrypoint hands it to
 * dispatchExchange per request. Here, not in entrypoint/, so that the
 * builder and the pipeline share it without depending on a listener.
 */
import type { Handler } from './exchange.js';
import type { RequestFacts } from '../router/request-facts.js';

export interface RouteTarget {
  handler: Handler;
  /** Name of the TLS option set this router requires ('default' when unspecified); undefined for non-TLS routers. */
  tlsOptions: string | undefined;
  /** The router's service and rule as configured, for metrics labels and trace attributes. */
  service?: string;
  rule?: string;
}

export interface RouteLookup {
  match(facts: RequestFacts): { name: string; value: RouteTarget } | undefined;
  /** How many routers the table holds. */
  readonly size: number;
}

/** An entrypoint's routers, split as Traefik splits them: TLS routers answer TLS connections (and HTTP/3), the others clear ones. */
export interface EntryPointRoutes {
  secure: RouteLookup;
  plain: RouteLookup;
}
