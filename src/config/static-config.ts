/**
 * Static configuration: what Portico reads once at start (entrypoints,
 * providers, logging, API). Plain data; see static-schema.ts for the shape
 * that is enforced and load-static-config.ts for how file, env and flags combine.
 */

export interface StaticConfig {
  entryPoints: Record<string, EntryPointConfig>;
  providers: ProvidersConfig;
  log: { level: LogLevel; format: 'json' | 'text'; filePath?: string };
  accessLog?: { filePath?: string; format: 'json' | 'common' };
  api?: { dashboard?: boolean; insecure?: boolean; entryPoint?: string };
  ping?: { entryPoint?: string };
  metrics?: { prometheus?: { entryPoint?: string } };
  experimental?: { plugins?: Record<string, { module: string }> };
  /** Processes serving traffic: 1 (default) is this one; N > 1 forks N workers that share the ports; 'auto' is one per CPU this process may use (the cgroup CPU quota counts; see src/server/available-cpus.ts). */
  workers?: number | 'auto';
  /** Directory against which relative paths in the file resolve. */
  baseDir: string;
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
  quic?: string;
  /**
   * Address validation with a QUIC Retry before any connection state (RFC
   * 9000 §8.1): `always` (or true), `auto` (only while many handshakes are
   * in progress), `off` (or false, the default).
   */
  retry?: boolean | 'always' | 'auto' | 'off';
  keylogFile?: string;
  qlogDir?: string;
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
}
