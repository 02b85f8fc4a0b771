/**
 * The `tcp` section of the dynamic configuration (Traefik's TCP routers,
 * services, middlewares and servers transports): plain data, as model.ts.
 */

export interface TcpConfig {
  routers: Record<string, TcpRouter>;
  services: Record<string, TcpService>;
  middlewares: Record<string, TcpMiddleware>;
  serversTransports: Record<string, TcpServersTransport>;
}

export interface TcpRouter {
  /** HostSNI, HostSNIRegexp, ClientIP, ALPN with &&, ||, !. */
  rule: string;
  entryPoints?: string[];
  middlewares?: string[];
  service: string;
  priority?: number;
  /** Present: the router matches TLS connections (by SNI); `passthrough` relays them undecrypted. */
  tls?: { passthrough?: boolean; options?: string };
}

export interface TcpService {
  loadBalancer?: {
    servers: { address: string; weight?: number }[];
    /** PROXY protocol header sent to each server before the client's bytes. */
    proxyProtocol?: { version?: 1 | 2 };
    serversTransport?: string;
  };
  weighted?: { services: { name: string; weight?: number }[] };
}

/** Exactly one key: `ipAllowList` or `inFlightConn`. */
export interface TcpMiddleware {
  ipAllowList?: { sourceRange: string[] };
  inFlightConn?: { amount: number };
}

export interface TcpServersTransport {
  /** Seconds or a Go duration; default 30s. */
  dialTimeout?: number | string;
  /** How long a relayed connection may stay silent both ways; default 3m (Portico's bound; Traefik has none by default). */
  idleTimeout?: number | string;
  /** TLS to the servers. */
  tls?: { serverName?: string; insecureSkipVerify?: boolean; rootCAs?: string[] };
}

export function emptyTcpConfig(): TcpConfig {
  return { routers: {}, services: {}, middlewares: {}, serversTransports: {} };
}
