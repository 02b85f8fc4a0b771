/**
 * The QUIC transport interface: what the HTTP/3 layer needs from a QUIC
 * stack, so it never sees which one runs. A transport listens on UDP for one
 * entrypoint and hands out connections; a connection carries streams.
 * Implementations: `quiche` (src/quic/quiche). Selected by
 * `entryPoints.<n>.http3.quic`.
 */
import type { ConnectionIdGenerator } from './connection-id.js';

/** HTTP/3 in every worker (`workers: N`): how this worker's listener finds the others. */
export interface QuicWorkerRouting {
  /** This worker's id, in every connection ID it issues (the generator is a WorkerConnectionIdGenerator). */
  id: number;
  /** Which byte of a connection ID holds the worker id. */
  cidOffset: number;
  /** udp/worker-forwarder.ts: hands datagrams to other workers and delivers theirs. */
  forwarder: {
    forward(workerId: number, publicPort: number, datagram: Buffer, from: UdpAddress): boolean;
    register(publicPort: number, handler: (datagram: Buffer, from: UdpAddress) => void): void;
    unregister(publicPort: number): void;
  };
}

export interface UdpAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface QuicCertificate {
  certPem: string;
  keyPem: string;
  /** Identity of the certificate (configs are cached by it). */
  fingerprint: string;
  /** The TLS option set of the name (same object for every name of one option set); absent: defaults. */
  tls?: QuicTlsPolicy;
}

/**
 * A TLS option set (Traefik's tls.options) as a QUIC handshake applies it.
 * Transports that cannot apply a field must refuse the name rather than
 * ignore it (a skipped client-certificate check is an open door).
 */
export interface QuicTlsPolicy {
  /** Option set name, for logs. */
  name: string;
  /** minVersion..maxVersion includes TLS 1.3 (QUIC has no other version). */
  tls13Allowed: boolean;
  /** TLS 1.3 cipher suites allowed, in preference order (IANA names); undefined: all. */
  cipherSuites?: readonly string[];
  /** Key exchange groups in preference order ('X25519', 'P-256', 'P-384', 'P-521'); undefined: the transport's default. */
  curves?: readonly string[];
  clientAuth: 'none' | 'request' | 'require' | 'verify-if-given' | 'require-and-verify';
  /** CA bundle (PEM) the client certificate must chain to (verify modes). */
  clientCaPem?: string;
}

export interface QuicListenOptions {
  /** undefined = every interface (one IPv4 and one IPv6 socket on the same port); "localhost" = 127.0.0.1 and ::1; an IP = that one. */
  host: string | undefined;
  port: number;
  /** Pick the certificate for a client's SNI; undefined refuses the connection (sniStrict). */
  selectCertificate(serverName: string | undefined): QuicCertificate | undefined;
  alpn: string[];
  connectionIds: ConnectionIdGenerator;
  idleTimeoutMs: number;
  maxConnections: number;
  maxStreamsBidi: number;
  /** Unidirectional streams the client may open (HTTP/3 needs 3; default 16). */
  maxStreamsUni?: number;
  /** Initial flow-control window per stream, bytes (default 1 MiB; quiche grows it up to 16 MiB as the reader keeps up). */
  streamWindow?: number;
  /** Initial flow-control window for the whole connection, bytes (default 16 MiB). */
  connectionWindow?: number;
  /**
   * Validate client addresses with a Retry round trip before keeping any
   * state (RFC 9000 §8.1): costs one RTT per new connection, stops spoofed
   * sources from using the server as an amplifier. Default off. `'auto'`:
   * only while many handshakes are in progress (a flood). A client that
   * presents a NEW_TOKEN token from an earlier connection needs none.
   */
  retry?: boolean | 'auto';
  /**
   * Key for the stateless reset tokens of every connection ID issued (HMAC,
   * at least 32 bytes). Servers that share it can reset each other's
   * connections after a restart; default: random per process.
   */
  statelessResetKey?: Buffer;
  /** NSS key log of every connection, appended to this file. */
  keylogFile?: string;
  /**
   * Accept 0-RTT from resuming clients (off by default: early data can be
   * replayed). Connections are handed over as soon as it is accepted, with
   * `inEarlyData` until the handshake completes.
   */
  earlyData?: boolean;
  /** What 0-RTT relies on beyond the transport parameters (HTTP/3 SETTINGS), encoded: tickets from a different one get no 0-RTT. */
  earlyDataContext?: Buffer;
  /** One qlog (JSON-SEQ) file per connection in this directory. */
  qlogDir?: string;
  /** Bind with SO_REUSEPORT: every worker its own socket on the same port (node:dgram has it from Node 22.12). */
  reusePort?: boolean;
  /** Set when every worker serves HTTP/3: datagrams for another worker's connection IDs are handed to it. */
  workers?: QuicWorkerRouting;
  /** Datagrams dropped without state, by reason. */
  onDrop(reason: string): void;
  onConnection(conn: QuicConnection): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface QuicConnectionEvents {
  /** Streams may flow: the handshake completed, or (earlyData) the client's 0-RTT was accepted and inEarlyData says so. */
  established(): void;
  /** After an early `established`: the handshake completed, so what the client sent is no replay. */
  handshakeComplete?(): void;
  streamData(streamId: number, data: Buffer, fin: boolean): void;
  streamReset(streamId: number, code: number): void;
  streamStopSending(streamId: number, code: number): void;
  closed(reason: string): void;
}

export interface QuicConnection {
  readonly serverName: string | undefined;
  /** The peer's current address: follows migration and NAT rebinding. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listening socket's address (the wildcard when bound to every interface). */
  readonly localAddress: string;
  readonly localPort: number;
  /** Negotiated ALPN protocol; undefined until the handshake completes. */
  readonly alpn: string | undefined;
  /** The client's certificate (DER leaf) when the name's TLS options asked for one and it sent one (mTLS). */
  readonly peerCertificate?: Buffer;
  /** Negotiated cipher suite (IANA name), once established. */
  readonly cipherSuite?: string;
  /**
   * True while the connection runs on accepted 0-RTT before its handshake
   * completed: a request now may be a replay (RFC 8470). Never true unless
   * the listener was given `earlyData`.
   */
  readonly inEarlyData?: boolean;
  events: QuicConnectionEvents | undefined;
  /** Queue bytes on a stream; they leave as flow control allows. */
  writeStream(streamId: number, data: Buffer, fin: boolean): void;
  resetStream(streamId: number, code: number): void;
  stopSending(streamId: number, code: number): void;
  openUniStream(): number;
  close(code: number, reason: string): void;
  /** Same as close, under the name the HTTP/3 session uses. */
  closeConnection(code: number, reason: string): void;
  /** Bytes queued on a stream that QUIC has not taken yet. */
  bufferedAmount(streamId: number): number;
  onWritable(streamId: number, cb: () => void): void;
  pauseRead(streamId: number): void;
  resumeRead(streamId: number): void;
  /** Append a qlog event for this connection (no-op without qlogDir). */
  qlog(category: string, event: string, data: Record<string, unknown>): void;
  stats(): QuicConnectionStats;
}

/** Counters of one connection, from the QUIC stack. */
export interface QuicConnectionStats {
  /** Smoothed RTT of the active path, milliseconds. */
  rttMs: number;
  /** Congestion window of the active path, bytes. */
  cwnd: number;
  /** Packets sent, received, declared lost. */
  sent: number;
  recv: number;
  lost: number;
  sentBytes: number;
  recvBytes: number;
  [key: string]: number;
}

/** What a listener did, for metrics. Plain numbers, only ever growing. */
export interface QuicListenerCounters {
  /** Datagrams dropped without creating state, by reason (same reasons as onDrop). */
  datagramsDropped: Record<string, number>;
  connectionsAccepted: number;
  /** Refused before any state: no certificate for the name (sniStrict), connection limit. */
  connectionsRefused: number;
  connectionsClosed: number;
  /** Connections that closed before their handshake completed. */
  handshakeFailures: number;
  versionNegotiationsSent: number;
  retriesSent: number;
  /** Stateless resets sent in answer to short-header packets for unknown connection IDs (RFC 9000 §10.3). */
  statelessResetsSent: number;
  /** Short-header packets for unknown connection IDs left unanswered because resets were over their rate limit. */
  statelessResetsRateLimited: number;
}

export interface QuicListener {
  readonly port: number;
  /** Connections now open. */
  readonly connections: ReadonlySet<QuicConnection>;
  readonly counters: QuicListenerCounters;
  /** The bound sockets (one per address family when listening on every interface). */
  readonly addresses: ReadonlyArray<{ address: string; family: 'IPv4' | 'IPv6'; port: number }>;
  close(): Promise<void>;
}

export interface QuicTransport {
  readonly name: string;
  listen(options: QuicListenOptions): Promise<QuicListener>;
}
