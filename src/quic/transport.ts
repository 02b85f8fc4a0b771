/**
 * The QUIC transport interface: what the HTTP/3 layer needs from a QUIC
 * stack, so it never sees which one runs. A transport listens on UDP for one
 * entrypoint and hands out connections; a connection carries streams.
 * Implementations: `quiche` (src/quic/quiche). Selected by
 * `entryPoints.<n>.http3.quic`.
 */
import type { ConnectionIdGenerator } from './connection-id.js';

export interface QuicCertificate {
  certPem: string;
  keyPem: string;
  /** Identity of the certificate (configs are cached by it). */
  fingerprint: string;
}

export interface QuicListenOptions {
  /** undefined = every interface (one IPv4 and one IPv6 socket). */
  host: string | undefined;
  port: number;
  /** Pick the certificate for a client's SNI; undefined refuses the connection (sniStrict). */
  selectCertificate(serverName: string | undefined): QuicCertificate | undefined;
  alpn: string[];
  connectionIds: ConnectionIdGenerator;
  idleTimeoutMs: number;
  maxConnections: number;
  maxStreamsBidi: number;
  /** NSS key log of every connection, appended to this file. */
  keylogFile?: string;
  /** One qlog (JSON-SEQ) file per connection in this directory. */
  qlogDir?: string;
  /** Datagrams dropped without state, by reason. */
  onDrop(reason: string): void;
  onConnection(conn: QuicConnection): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface QuicConnectionEvents {
  /** The handshake completed: streams may flow. */
  established(): void;
  streamData(streamId: number, data: Buffer, fin: boolean): void;
  streamReset(streamId: number, code: number): void;
  streamStopSending(streamId: number, code: number): void;
  closed(reason: string): void;
}

export interface QuicConnection {
  readonly serverName: string | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
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
  stats(): Record<string, number>;
}

export interface QuicListener {
  readonly port: number;
  /** Connections now open. */
  readonly connections: ReadonlySet<QuicConnection>;
  close(): Promise<void>;
}

export interface QuicTransport {
  readonly name: string;
  listen(options: QuicListenOptions): Promise<QuicListener>;
}
