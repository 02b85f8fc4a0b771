/**
 * The first bytes of every TCP connection, before any protocol runs: the
 * PROXY protocol header when the entrypoint takes one (proxy-protocol-header.ts),
 * then the first byte of what follows, which tells TLS (a handshake record,
 * 0x16) from clear text, so one port serves TLS and plain routers as Traefik's
 * do. One deadline bounds the whole wait.
 *
 * PROXY policy (Traefik's `proxyProtocol`): from a trusted source (or any,
 * with `insecure`) a header is optional and, when present, its source address
 * becomes the client's. From any other source a header is never believed: a
 * connection that starts with one is closed and counted (Traefik passes such
 * bytes on to the protocol, which fails on them; closing says why).
 */
import type { Socket } from 'node:net';
import { readProxyHeader, type ProxyAddress } from '../net/proxy-protocol-header.js';

export interface PreambleOptions {
  /** The whole preamble (PROXY header and first byte) must arrive within this. */
  timeoutMs: number;
  /** Absent: the entrypoint takes no PROXY header. Else: may this peer (its socket address) send one? */
  proxyTrusted?: (peerAddress: string) => boolean;
  /**
   * The preamble is read: `head` holds the bytes after the PROXY header (at least one), to be
   * fed to the protocol first; the socket is paused. `client` is the address the PROXY header gave.
   */
  onReady(socket: Socket, head: Buffer, client: ProxyAddress | undefined): void;
  /**
   * Asked before waiting for the protocol's first byte (at once, or right after the PROXY header):
   * a function that takes the connection now, or undefined to wait. A protocol in which the server
   * speaks first (SMTP, MySQL, FTP) would otherwise wait for a byte the client never sends.
   */
  takeBeforeFirstByte?(client: ProxyAddress | undefined): ((socket: Socket) => void) | undefined;
  /** The connection was closed: `kind` for metrics, `reason` for the debug log. */
  onRefused(kind: 'proxy-protocol' | 'preamble-timeout', reason: string): void;
}

/** First byte of a TLS record carrying a handshake message (RFC 8446 §5.1). */
export const TLS_HANDSHAKE_RECORD = 0x16;

export function readPreamble(socket: Socket, o: PreambleOptions): void {
  /** undefined: no PROXY header to look for (not configured, or one was read already). */
  let proxyAllowed = o.proxyTrusted ? o.proxyTrusted(socket.remoteAddress ?? '') : undefined;
  let client: ProxyAddress | undefined;
  let buffered: Buffer | undefined;
  let settled = false;
  const finish = () => {
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onEnd);
  };
  const refuse = (kind: 'proxy-protocol' | 'preamble-timeout', reason: string) => {
    if (settled) return;
    finish();
    o.onRefused(kind, reason);
    socket.destroy();
  };
  const timer = setTimeout(() => refuse('preamble-timeout', 'nothing readable before the read timeout'), o.timeoutMs);
  const onEnd = () => {
    // Closed (or reset) before sending anything usable: nothing to answer.
    if (settled) return;
    finish();
    socket.destroy();
  };
  const takenEarly = (): boolean => {
    const take = o.takeBeforeFirstByte?.(client);
    if (!take) return false;
    finish();
    socket.pause();
    take(socket);
    return true;
  };
  const onData = (chunk: Buffer) => {
    let head = buffered ? Buffer.concat([buffered, chunk]) : chunk;
    buffered = undefined;
    if (proxyAllowed !== undefined) {
      const verdict = readProxyHeader(head);
      if (verdict.kind === 'incomplete') {
        buffered = head;
        return;
      }
      if (verdict.kind === 'invalid') return refuse('proxy-protocol', verdict.reason);
      if (verdict.kind === 'header') {
        if (!proxyAllowed) return refuse('proxy-protocol', `PROXY header from ${socket.remoteAddress}, which is not in proxyProtocol.trustedIPs`);
        client = verdict.source;
        head = head.subarray(verdict.length);
      }
      proxyAllowed = undefined;
      // The header alone so far: wait for the protocol's first byte, unless the listener takes the connection without it.
      if (head.length === 0) return void takenEarly();
    }
    finish();
    socket.pause();
    o.onReady(socket, head, client);
  };
  if (proxyAllowed === undefined && takenEarly()) return;
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('error', onEnd);
}
