/**
 * Start TLS on an accepted TCP connection with the context chosen for the
 * server name of its ClientHello, read before the TLS stack sees a byte.
 *
 * Why not Node's SNICallback: it only swaps the certificate of the new
 * context's key type into the connection, so the listener's default context
 * keeps its own certificate of the other type, and that one could win (an RSA
 * certificate for a name lost to the ECDSA default). Starting the handshake
 * with the right context makes every certificate of that name (one per key
 * type) available and nothing else; OpenSSL then takes the one the client's
 * signature algorithms allow. The per-option version range and client CAs are
 * those of that context too.
 */
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../tls/client-hello.js';
import type { TlsRuntime, TlsSelection } from '../tls/tls-runtime.js';
import { answerAlpnChallenge } from '../tls/alpn-challenge.js';
import type { TcpRoute } from '../exchange/tcp-route-lookup.js';

/** The TCP router of a connection whose TLS is being terminated for it (keyed by the TCP socket the TLS socket wraps, Node's _parent). */
const tcpRoutes = new WeakMap<Socket, TcpRoute>();

export interface TlsStartOptions {
  runtime: () => TlsRuntime;
  /** The whole handshake, ClientHello included, must end within this. */
  handshakeTimeoutMs: number;
  /** Shared session ticket keys (workers), so any process resumes any session. */
  ticketKeys?: Buffer;
  /** `tcpRoute`: the TCP router that terminates this connection's TLS, undefined for HTTP. */
  onSecure(socket: TLSSocket, tcpRoute: TcpRoute | undefined): void;
  /** A TCP router for this ClientHello, checked before HTTP (Traefik: SNI picks a TCP router first). */
  tcpRoute?(serverName: string | undefined, alpn: readonly string[], raw: Socket): TcpRoute | undefined;
  /** The TCP router passes TLS through: `head` is the ClientHello, to forward as it came. */
  onPassthrough?(raw: Socket, head: Buffer, route: TcpRoute): void;
  /** The handshake failed or timed out; the connection is closed. */
  onHandshakeFailure(reason: string): void;
}

/**
 * One entrypoint's TLS starter. The handshake itself is run by a Node TLS
 * server that never listens, one per certificate set and option set (built on
 * first use for the current TLS runtime), to which the connection is handed
 * once its ClientHello is read: Node's own server-side handshake handling
 * (client-certificate verdict, timeouts, ALPN) stays in charge.
 */
export class TlsByClientHello {
  private servers = new Map<string, TlsServer>();
  private serversOf: TlsRuntime | undefined;

  constructor(private readonly o: TlsStartOptions) {}

  /** `head`: bytes already read from `raw` (the connection preamble), the ClientHello's start; `raw` is paused. */
  accept(raw: Socket, head?: Buffer): void {
    let done = false;
    const fail = (reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.o.onHandshakeFailure(reason);
      raw.destroy();
    };
    const timer = setTimeout(() => fail('no ClientHello before the handshake timeout'), this.o.handshakeTimeoutMs);
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const data = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const verdict = readClientHello(data);
      if (verdict.kind === 'incomplete' && length < MAX_CLIENT_HELLO_BYTES) return;
      done = true;
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', fail);
      raw.pause();
      const serverName = verdict.kind === 'client-hello' ? verdict.serverName : undefined;
      const alpnOffer = verdict.kind === 'client-hello' ? verdict.alpnProtocols : [];
      const runtime = this.o.runtime();
      // An ACME CA validating a pending name (TLS-ALPN-01) gets the challenge certificate, whatever the routers say.
      const challenge = runtime.alpnChallenge(serverName, alpnOffer);
      if (challenge) {
        raw.unshift(data);
        return answerAlpnChallenge(raw, challenge, this.o.handshakeTimeoutMs);
      }
      const tcpRoute = verdict.kind === 'client-hello' ? this.o.tcpRoute?.(serverName?.toLowerCase(), alpnOffer, raw) : undefined;
      if (tcpRoute?.tls === 'passthrough') return this.o.onPassthrough!(raw, data, tcpRoute);
      if (tcpRoute) tcpRoutes.set(raw, tcpRoute);
      // The TLS socket reads what was unshifted first (Node feeds a wrapped socket's buffered data to the TLS engine).
      raw.unshift(data);
      const sel = runtime.select(serverName);
      if (sel.refused) {
        this.o.onHandshakeFailure(`sniStrict: no certificate for "${serverName}"`);
        raw.destroy();
        return;
      }
      this.serverFor(runtime, sel, tcpRoute !== undefined).emit('connection', raw);
    };
    const onEnd = () => fail('closed before the ClientHello');
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', fail);
    if (head?.length) onData(head);
    if (!done) raw.resume();
  }

  /** `tcp`: for a TCP router's termination, which negotiates no HTTP protocol (the client's protocol is the backend's business). */
  private serverFor(runtime: TlsRuntime, sel: TlsSelection, tcp: boolean): TlsServer {
    if (this.serversOf !== runtime) {
      // A new configuration: handshakes under way keep their server; new ones get servers built from the new runtime.
      this.servers = new Map();
      this.serversOf = runtime;
    }
    const key = `${sel.certificates.map((c) => c.fingerprintSha256).join(',')}|${sel.options.name}${tcp ? '|tcp' : ''}`;
    let server = this.servers.get(key);
    if (!server) {
      server = createTlsServer({
        ...sel.options.secureContext,
        cert: sel.certificates.map((c) => c.certPem),
        key: sel.certificates.map((c) => c.keyPem),
        ca: runtime.allClientCaPem,
        ...(this.o.ticketKeys ? { ticketKeys: this.o.ticketKeys } : {}),
        handshakeTimeout: this.o.handshakeTimeoutMs,
        // Client certificates are requested only when some option set asks for them; the policy is applied per option set after the handshake.
        requestCert: runtime.anyClientAuth,
        rejectUnauthorized: false,
        // A TCP router's client speaks its backend's protocol: its first ALPN choice is accepted as is (the ALPN rule already chose the router).
        ALPNCallback: tcp
          ? ({ protocols }) => protocols[0]
          : ({ protocols }) => sel.options.alpnProtocols.find((p) => protocols.includes(p)) ?? (protocols.includes('http/1.1') ? 'http/1.1' : undefined),
      });
      server.on('secureConnection', (socket: TLSSocket) => this.o.onSecure(socket, tcpRoutes.get((socket as { _parent?: Socket })._parent!)));
      server.on('tlsClientError', (err: Error) => this.o.onHandshakeFailure(err.message));
      this.servers.set(key, server);
    }
    return server;
  }
}
