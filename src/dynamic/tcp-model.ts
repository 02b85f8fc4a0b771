/**
 * The `tcp` section of the dynamic configuration (Traefik's TCP routers,
 * services, middlewares and servers transports): plain data, as model.ts.
 */

import type { CertificateRef } from './model.js';

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
    /** `tls`: dial the server with TLS (the serversTransport's tls settings, else verified against the system CAs). */
    servers: { address: string; weight?: number; tls?: boolean }[];
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
  /** Interval of TCP keep-alive probes to the servers; default 15s, negative turns them off (Go's net.Dialer.KeepAlive). */
  dialKeepAlive?: number | string;
  /** After one side half-closes, how long the other may still send before both are closed; unset or negative: until it closes or the idle timeout. */
  terminationDelay?: number | string;
  /** How long a relayed connection may stay silent both ways; default 3m (Portico's bound; Traefik has none by default). */
  idleTimeout?: number | string;
  /** How to speak TLS to the servers marked `tls` (Traefik's rule: a server without it is dialled in clear). */
  tls?: {
    serverName?: string;
    insecureSkipVerify?: boolean;
    rootCAs?: string[];
    /** Client certificates for mutual TLS (inline PEM or files). */
    certificates?: CertificateRef[];
    /** The server's certificate must carry this URI SAN; it replaces the host name check. */
    peerCertURI?: string;
  };
}

export function emptyTcpConfig(): TcpConfig {
  return { routers: {}, services: {}, middlewares: {}, serversTransports: {} };
}
