/**
 * What a TCP entrypoint asks of the compiled TCP routers (runtime/tcp-build.ts):
 * here, as route-lookup.ts is for HTTP, so that the runtime builds them and the
 * entrypoint uses them without depending on each other.
 */
import type { Socket } from 'node:net';

/** A client connection handed to a TCP router's middlewares and service. */
export interface TcpConnection {
  /** The client socket (decrypted when the router terminates TLS); paused. */
  socket: Socket;
  /** Bytes already read from it, to forward first (a passthrough ClientHello, a clear preamble). */
  head: Buffer | undefined;
  clientIp: string;
  clientPort: number;
  /** The address the client reached (for a PROXY header to the backend). */
  localAddress: string;
  localPort: number;
}

export type TcpHandler = (conn: TcpConnection) => void;

export interface TcpRoute {
  name: string;
  /** undefined: a clear router (HostSNI(`*`)); else TLS terminated here, or passed through undecrypted. */
  tls: 'terminate' | 'passthrough' | undefined;
  /** TLS option set for termination. */
  tlsOptions: string | undefined;
  handler: TcpHandler;
}

export interface TcpRouteFacts {
  serverName: string | undefined;
  alpn: readonly string[];
  clientIp: string;
}

export interface TcpRouteLookup {
  /** The first TLS router (by priority) matching a ClientHello. */
  matchTls(facts: TcpRouteFacts): TcpRoute | undefined;
  /** The first clear router matching a clear connection. */
  matchClear(facts: TcpRouteFacts): TcpRoute | undefined;
  readonly hasTls: boolean;
  readonly hasClear: boolean;
}
