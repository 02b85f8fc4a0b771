/**
 * Static configuration: what Portico reads once at start (entrypoints,
 * providers, logging, API). Plain data; see static-schema.ts for the shape
 * that is enforced and load-static-config.ts for how file, env and flags combine.
 */
import type { QuicImplementation } from './quic-implementation.js';

export interface StaticConfig {
  entryPoints: Record<string, EntryPointConfig>;
  providers: ProvidersConfig;
  log: { level: LogLevel; format: 'json' | 'text'; filePath?: string };
  accessLog?: AccessLogConfig;
  tracing?: TracingConfig;
  api?: { dashboard?: boolean; insecure?: boolean; entryPoint?: string };
  ping?: { entryPoint?: string };
  metrics?: {
    addInternals?: boolean;
    prometheus?: {
      entryPoint?: string;
      buckets?: number[];
      addEntryPointsLabels?: boolean;
      addRoutersLabels?: boolean;
      addServicesLabels?: boolean;
      /** Family name prefix (Portico's own key; default `traefik`, so Traefik's dashboards work). */
      prefix?: string;
    };
  };
  /** ACME resolvers by name (src/acme/); routers ask with `tls.certResolver`. */
  certificatesResolvers?: Record<string, { acme: AcmeResolverConfig }>;
  experimental?: { plugins?: Record<string, { module: string }> };
  /** Processes serving traffic: 1 (default) is this one; N > 1 forks N workers that share the ports; 'auto' is one per CPU this process may use (the cgroup CPU quota counts; see src/server/available-cpus.ts). */
  workers?: number | 'auto';
  /** Directory against which relative paths in the file resolve. */
  baseDir: string;
}

/** Traefik's `accessLog` section (docs/observability.md). */
export interface AccessLogConfig {
  filePath?: string;
  format: 'json' | 'common' | 'genericCLF';
  /** Lines held in memory before they are written (0: each line is written as it is made). */
  bufferingSize?: number;
  addInternals?: boolean;
  filters?: { statusCodes?: string[]; retryAttempts?: boolean; minDuration?: Duration };
  fields?: {
    defaultMode?: 'keep' | 'drop';
    names?: Record<string, 'keep' | 'drop'>;
    headers?: { defaultMode?: 'keep' | 'drop' | 'redact'; names?: Record<string, 'keep' | 'drop' | 'redact'> };
    queryParameters?: { defaultMode?: 'keep' | 'drop' };
  };
}

/** Traefik's `tracing` section: OpenTelemetry over OTLP/HTTP (docs/observability.md). */
export interface TracingConfig {
  serviceName?: string;
  sampleRate?: number;
  resourceAttributes?: Record<string, string>;
  capturedRequestHeaders?: string[];
  capturedResponseHeaders?: string[];
  safeQueryParams?: string[];
  addInternals?: boolean;
  otlp?: {
    http?: {
      endpoint?: string;
      headers?: Record<string, string>;
      tls?: { ca?: string; cert?: string; key?: string; insecureSkipVerify?: boolean };
    };
  };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface EntryPointConfig {
  /** `:8443`, `127.0.0.1:8443`, `[::1]:8443`. */
  address: string;
  http?: {
    redirections?: { entryPoint: { to: string; scheme?: string; permanent?: boolean } };
    /** Presence makes every router on this entrypoint TLS by default. */
    tls?: { options?: string };
    middlewares?: string[];
  };
  http3?: Http3Config;
  forwardedHeaders?: { trustedIPs?: string[]; insecure?: boolean };
  /** Take a PROXY protocol header (v1 or v2) from these sources; its client address stands for the connection's peer. */
  proxyProtocol?: { trustedIPs?: string[]; insecure?: boolean };
  /** UDP entrypoints (`:53/udp`) only: the datagram sessions of their UDP routers. */
  udp?: UdpEntryPointConfig;
  transport?: {
    respondingTimeouts?: { readTimeout?: Duration; writeTimeout?: Duration; idleTimeout?: Duration; writeStallTimeout?: Duration };
    lifeCycle?: { graceTimeOut?: Duration; requestAcceptGraceTimeout?: Duration };
    /** Limits on what one client may send. */
    maxHeaderBytes?: number;
    maxConcurrentStreams?: number;
    maxConnections?: number;
    /** Above these, new connections are closed at accept and new requests refused (503 / REFUSED_STREAM); see overload-guard.ts. */
    overload?: { maxActiveRequests?: number; maxHeapUsedMiB?: number; maxRssMiB?: number };
  };
}

export interface UdpEntryPointConfig {
  /** A session (one client address ↔ one backend) with no datagram either way for this long is closed (Traefik's default 3s). */
  timeout?: Duration;
  /** Sessions open at once; a new client beyond this is not served and counted (Portico's bound, default 10000). */
  maxSessions?: number;
}

export interface Http3Config {
  /** Set to true when the section is present (Traefik's `http3: {}`); `false` turns it off. */
  enabled?: boolean;
  advertisedPort?: number;
  /** Which QUIC runs HTTP/3: `portico` (our own, the default) or `quiche` (the native binding, a development dependency); see quic-implementation.ts. */
  quic?: QuicImplementation;
  /**
   * Address validation with a QUIC Retry before any connection state (RFC
   * 9000 §8.1): `always` (or true), `auto` (only while many handshakes are
   * in progress), `off` (or false, the default).
   */
  retry?: boolean | 'always' | 'auto' | 'off';
  keylogFile?: string;
  qlogDir?: string;
  /**
   * Accept 0-RTT (TLS early data) from resuming clients: requests one round
   * trip sooner, at the price that an attacker can replay them. Off by
   * default; `quic: portico` only. Safe methods (GET, HEAD, OPTIONS) are
   * served from 0-RTT with `Early-Data: 1` to the backend; others wait for
   * the handshake. See docs/http3.md.
   */
  earlyData?: boolean;
  /** File holding the QUIC stateless reset key (>= 32 bytes), shared by replicas; resolved against the config's directory. */
  statelessResetKeyFile?: string;
  /** Environment variable holding the QUIC stateless reset key (>= 32 bytes). */
  statelessResetKeyEnv?: string;
  connectionIds?: {
    type: 'random' | 'quic-lb';
    serverIdEnv?: string;
    serverId?: string;
    configRotation?: number;
    nonceLength?: number;
  };
}

/** Seconds as a number, or a Go-style duration string (`10s`, `1m30s`, `250ms`). */
export type Duration = number | string;

export interface ProvidersConfig {
  file?: { filename?: string; directory?: string; watch?: boolean; debounceMs?: number };
  kubernetesCRD?: Record<string, unknown>;
  kubernetesIngress?: Record<string, unknown>;
  /** Traefik's spelling; `kubernetesIngressNginx` is accepted too. */
  kubernetesIngressNGINX?: Record<string, unknown>;
  kubernetesIngressNginx?: Record<string, unknown>;
  /** The Gateway API (Traefik's name). */
  kubernetesGateway?: Record<string, unknown>;
}

/** Traefik's `certificatesResolvers.<name>.acme`; defaults are filled in by load-static-config.ts. */
export interface AcmeResolverConfig {
  email?: string;
  /** The acme.json file (Traefik's format), resolved against the config's directory; default `acme.json`. Or `kubernetes://<namespace>/<secret>`. */
  storage: string;
  /** Set when `storage` is a Kubernetes Secret (HA ACME): where, and the Lease that elects the replica that orders. */
  storageSecret?: AcmeStorageSecret;
  /** The CA's directory URL; default Let's Encrypt production. */
  caServer: string;
  /** Key of the certificates ordered (the account key is RSA 4096, as Traefik's). */
  keyType: AcmeKeyType;
  /** Hours a certificate of this CA lives (default 2160, Let's Encrypt's 90 days): sets how often renewal is checked. */
  certificatesDuration: number;
  /** Issuer common name of the alternate chain to prefer. */
  preferredChain?: string;
  /** PEM files (resolved against the config's directory) to trust for the CA's HTTPS, beside the system roots. */
  caCertificates?: string[];
  /** Trust the system roots too (default true when caCertificates is set; they are always used otherwise). */
  caSystemCertPool?: boolean;
  httpChallenge?: { entryPoint: string; delay?: Duration };
  /** TLS-ALPN-01 on the TLS entrypoints (Traefik's `tlsChallenge: {}`). */
  tlsChallenge?: Record<string, never>;
  /** DNS-01 (and so wildcards) through lego's `exec` or `httpreq` provider, set up by lego's environment variables. */
  dnsChallenge?: AcmeDnsChallengeConfig;
  /** External account binding (ZeroSSL, Google…): `hmacEncoded` is base64url. */
  eab?: { kid: string; hmacEncoded: string };
}

/** `storage: kubernetes://<namespace>/<name>?leaseName=<lease>&leaseDuration=<duration>`, parsed (src/config/acme-secret-storage-url.ts). */
export interface AcmeStorageSecret {
  namespace: string;
  name: string;
  /** The coordination.k8s.io/v1 Lease in the same namespace; default `<name>-lease`. */
  leaseName: string;
  /** leaseDurationSeconds, in ms; default 15 s (client-go's). */
  leaseDurationMs: number;
}

/** Traefik's `dnsChallenge`; the deprecated `delayBeforeCheck`/`disablePropagationCheck` are folded into `propagation` at load. */
export interface AcmeDnsChallengeConfig {
  provider: 'exec' | 'httpreq';
  delayBeforeCheck?: Duration;
  disablePropagationCheck?: boolean;
  /** DNS servers (`1.1.1.1:53`) asked whether the TXT record is visible; default the system's. */
  resolvers?: string[];
  propagation?: { delayBeforeChecks?: Duration; disableChecks?: boolean };
}

export type AcmeKeyType = 'EC256' | 'EC384' | 'RSA2048' | 'RSA4096' | 'RSA8192';
