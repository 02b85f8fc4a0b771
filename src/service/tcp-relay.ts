/**
 * Relay one client connection to a TCP server: dial (bounded), send a PROXY
 * header if asked, then copy bytes both ways with backpressure (pipe). A
 * half-close is passed on (the client's FIN ends our write side to the
 * server, and the other way; with a termination delay both close that long
 * after the first FIN), and a connection silent both ways for the idle
 * timeout is closed, so no relay lives for ever.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { TcpConnection } from '../exchange/tcp-route-lookup.js';
import { encodeProxyHeader } from '../net/proxy-protocol-header.js';

export interface TcpUpstream {
  /** `host:port` or `[v6]:port`. */
  address: string;
  proxyProtocol?: 1 | 2;
  dialTimeoutMs: number;
  idleTimeoutMs: number;
  /** TCP keep-alive probes to the server at this interval; unset: none. */
  keepAliveMs?: number;
  /** After one side's half-close, close both this much later (Traefik's terminationDelay); unset: wait for the other side. */
  terminationDelayMs?: number;
  /** TLS to the server (a serversTransport with tls). */
  tls?: ConnectionOptions;
}

export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  if (!m || Number(m[3]) > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

export function relayConnection(conn: TcpConnection, up: TcpUpstream): void {
  const target = splitHostPort(up.address)!;
  const client = conn.socket;
  const server: Socket = up.tls
    ? connectTls({
        ...up.tls,
        host: target.host,
        port: target.port,
        servername: up.tls.servername ?? (/^[\d.:]+$/.test(target.host) ? undefined : target.host),
      })
    : connectTcp({ host: target.host, port: target.port, noDelay: true });
  // Each side's end reaches the other as a half-close; Node must not end our write side by itself.
  client.allowHalfOpen = true;
  server.allowHalfOpen = true;
  let closed = false;
  let termination: NodeJS.Timeout | undefined;
  const closeBoth = () => {
    if (closed) return;
    closed = true;
    clearTimeout(dial);
    clearTimeout(termination);
    client.destroy();
    server.destroy();
  };
  if (up.terminationDelayMs !== undefined) {
    const delay = up.terminationDelayMs;
    const halfClosed = () => (termination ??= setTimeout(closeBoth, delay));
    client.once('end', halfClosed);
    server.once('end', halfClosed);
  }
  const dial = setTimeout(closeBoth, up.dialTimeoutMs);
  client.on('error', closeBoth);
  server.on('error', closeBoth);
  // A side that is gone takes no more bytes; what it sent is flushed to the other before that one ends.
  client.once('close', () => server.destroyed || server.end());
  server.once('close', () => {
    clearTimeout(dial);
    if (!client.destroyed) client.end();
  });
  server.once(up.tls ? 'secureConnect' : 'connect', () => {
    clearTimeout(dial);
    if (up.keepAliveMs !== undefined) server.setKeepAlive(true, up.keepAliveMs);
    if (up.proxyProtocol)
      server.write(
        encodeProxyHeader(up.proxyProtocol, { address: conn.clientIp, port: conn.clientPort }, { address: conn.localAddress, port: conn.localPort }),
      );
    if (conn.head?.length) server.write(conn.head);
    client.setTimeout(up.idleTimeoutMs, closeBoth);
    server.setTimeout(up.idleTimeoutMs, closeBoth);
    client.pipe(server);
    server.pipe(client);
    client.resume();
  });
}
