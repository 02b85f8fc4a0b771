/**
 * The dynamic configuration model: plain data, Traefik's shape.
 *
 * Every provider (file, kubernetesCRD, kubernetesIngress) produces a `DynamicConfig`;
 * `dynamic/merge.ts` qualifies names by provider (`whoami@file`) and merges them;
 * the router/middleware/service layers compile the merged config into handlers.
 * Nothing here holds behaviour or live objects, so a config can be compared,
 * serialised to the API, and validated without side effects.
 */

export interface DynamicConfig {
  http: HttpConfig;
  tls: TlsConfig;
  udp: UdpConfig;
  /** TCP routers and services (tcp-model.ts); absent from providers that make none. */
  tcp?: TcpConfig;
}

import { emptyTcpConfig, type TcpConfig } from './tcp-model.js';

export interface HttpConfig {
  routers: Record<string, Router>;
  middlewares: Record<string, Middleware>;
  services: Record<string, Service>;
  serversTransports: Record<string, ServersTransport>;
}

/** UDP routers and services (Traefik's `udp:` section), served on `/udp` entrypoints. */
export interface UdpConfig {
  routers: Record<string, UdpRouter>;
  services: Record<string, UdpService>;
}

/** UDP has no request to match: a router only ties entrypoints to a service (one router per entrypoint). */
export interface UdpRouter {
  /** UDP entrypoint names; empty or absent means every UDP entrypoint. */
  entryPoints?: string[];
  /** Service name; may be qualified (`dns@file`). */
  service: string;
}

/** Exactly one kind is set. */
export interface UdpService {
  loadBalancer?: UdpLoadBalancerService;
  weighted?: UdpWeightedService;
}

/** Each new client address (a session) goes to the next server in turn. */
export interface UdpLoadBalancerService {
  /** `host:port`, `[v6]:port`. */
  servers: { address: string }[];
}

export interface UdpWeightedService {
  services: { name: string; weight?: number }[];
}

export interface Router {
  rule: string;
  /** Entrypoint names; empty or absent means every entrypoint. */
  entryPoints?: string[];
  /** Middleware names, in order; may be qualified (`auth@file`). */
  middlewares?: string[];
  /**
   * Service name; may be qualified (`api@kubernetescrd`) or internal (`whoami@internal`).
   * Absent on a parent router (multi-layer routing), whose child routers choose the service.
   */
  service?: string;
  /**
   * Traefik's multi-layer routing: the routers this one is a child of. A child is tried only
   * after a parent's rule matched and its middlewares ran, against the request as they left it;
   * it takes the parent's entrypoints and TLS and may have neither of its own.
   */
  parentRefs?: string[];
  /** Higher wins; defaults to the rule's length. */
  priority?: number;
  /** Present (even empty) means the router answers only on TLS connections. */
  tls?: RouterTls;
}

export interface RouterTls {
  /** Name of a TLS option set in `tls.options`; defaults to `default`. */
  options?: string;
  domains?: { main: string; sans?: string[] }[];
  certResolver?: string;
}

/** Exactly one key is set, naming the middleware type (Traefik's shape). */
export type Middleware = { [type: string]: Record<string, unknown> };

/** Exactly one kind is set. */
export interface Service {
  loadBalancer?: LoadBalancerService;
  weighted?: WeightedService;
  mirroring?: MirroringService;
  failover?: FailoverService;
}

/** Traefik's `sticky.cookie`; `path` defaults to `/`, the name to `_` + 5 hex digits of a SHA-1 of the service name. */
export interface StickyCookie {
  name?: string;
  secure?: boolean;
  httpOnly?: boolean;
  /** `none`, `lax` or `strict` (any case); absent = no SameSite attribute. */
  sameSite?: string;
  /** Seconds; 0 = session cookie, negative = expire now (`Max-Age=0`). */
  maxAge?: number;
  path?: string;
  domain?: string;
}

export interface Sticky {
  cookie?: StickyCookie;
}

/** An empty object: the service reports its health to its parent (weighted, mirroring, failover). */
export type HealthReporting = Record<string, never>;

export interface LoadBalancerService {
  servers: { url: string; weight?: number }[];
  /** Forward the client's Host header (default true). */
  passHostHeader?: boolean;
  /** Name of a `serversTransports` entry. */
  serversTransport?: string;
  healthCheck?: {
    path: string;
    interval?: string;
    timeout?: string;
    scheme?: string;
    hostname?: string;
    port?: number;
  };
  sticky?: Sticky;
  /** `wrr` (default) or `p2c` (power of two random choices by requests in flight). */
  strategy?: 'wrr' | 'p2c';
  /** A server that fails `maxFailedAttempts` times within `failureWindow` is left out for `failureWindow`. */
  passiveHealthCheck?: { failureWindow?: string; maxFailedAttempts?: number };
}

export interface WeightedService {
  services: { name: string; weight?: number }[];
  sticky?: Sticky;
  healthCheck?: HealthReporting;
}

/** Every request goes to `service`; a `percent` of them is also copied to each mirror, whose answer is dropped. */
export interface MirroringService {
  service: string;
  mirrors?: { name: string; percent?: number }[];
  /** Copy the request body to the mirrors (default true). */
  mirrorBody?: boolean;
  /** Bytes; a larger body is not mirrored (default -1, no limit). */
  maxBodySize?: number;
  healthCheck?: HealthReporting;
}

/** `service` while its health check says it is up, `fallback` otherwise. */
export interface FailoverService {
  service: string;
  fallback: string;
  healthCheck?: HealthReporting;
}

export interface ServersTransport {
  serverName?: string;
  insecureSkipVerify?: boolean;
  /** PEM file paths or inline PEM. */
  rootCAs?: string[];
  /** Client certificates presented to https backends. */
  certificates?: CertificateRef[];
  maxIdleConnsPerHost?: number;
  forwardingTimeouts?: {
    dialTimeout?: string;
    responseHeaderTimeout?: string;
    idleConnTimeout?: string;
  };
  /** Speak HTTP/2 to backends (h2 over TLS, or h2c for http:// URLs). */
  http2?: boolean;
}

/** A certificate and key, each either a file path or inline PEM. */
export interface CertificateRef {
  certFile: string;
  keyFile: string;
}

export interface TlsConfig {
  certificates: TlsCertificate[];
  options: Record<string, TlsOptions>;
  /** Only `default` is allowed, as in Traefik. */
  stores: Record<string, TlsStore>;
}

export interface TlsCertificate extends CertificateRef {
  /** Store names; only `default` exists. */
  stores?: string[];
}

export interface TlsOptions {
  minVersion?: 'VersionTLS10' | 'VersionTLS11' | 'VersionTLS12' | 'VersionTLS13';
  maxVersion?: 'VersionTLS10' | 'VersionTLS11' | 'VersionTLS12' | 'VersionTLS13';
  cipherSuites?: string[];
  curvePreferences?: string[];
  alpnProtocols?: string[];
  sniStrict?: boolean;
  clientAuth?: {
    caFiles?: string[];
    clientAuthType?: 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
  };
}

export interface TlsStore {
  defaultCertificate?: CertificateRef;
}

/**
 * A problem found while reading or validating configuration. `source` names the
 * file or Kubernetes object, `path` the field (`http.routers.api.rule`).
 */
export interface ConfigError {
  provider: string;
  source: string;
  path: string;
  message: string;
  line?: number;
}

/** What a provider emits each time its view of the world changes. */
export interface ProviderSnapshot {
  provider: string;
  config: DynamicConfig;
  errors: ConfigError[];
  /**
   * Optional: where each object came from, keyed `http.routers.<name>`,
   * `http.services.<name>`, `http.middlewares.<name>`, `tls.options.<name>`,
   * `tls.stores.<name>` (unqualified names) → file path or `ns/Kind/name`.
   * Used to name the source in errors found after merging.
   */
  origins?: Record<string, string>;
  /**
   * Optional: the lines where objects are written in their source file, keyed
   * like `origins`; see ObjectLines. Used to give errors found after merging
   * a `file:line`.
   */
  originLines?: Record<string, ObjectLines>;
}

/** One object's lines: its own under `''`, its fields' under their dotted paths (`service`, `loadBalancer.servers.0.url`). */
export type ObjectLines = Record<string, number>;

export function emptyDynamicConfig(): DynamicConfig {
  return {
    http: { routers: {}, middlewares: {}, services: {}, serversTransports: {} },
    tls: { certificates: [], options: {}, stores: {} },
    udp: { routers: {}, services: {} },
    tcp: emptyTcpConfig(),
  };
}
