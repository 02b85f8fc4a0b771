/**
 * The TCP side of an entrypoint. Each connection's first byte (after a PROXY
 * header, when the entrypoint takes one) tells TLS from clear text, so one port
 * serves TLS routers and plain ones, as in Traefik. TLS is terminated here
 * (SNI → certificate and option set, ALPN per option set) and each socket is
 * handed to Node's HTTP/1.1 or HTTP/2 server by the negotiated protocol; clear
 * connections are HTTP/1.1 (h2c prior knowledge is not offered).
 * Every request becomes an Exchange and goes through dispatchExchange.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { EntryPointContext } from './entrypoint-context.js';
import { parseListenAddress } from '../config/listen-address.js';
import { NodeExchange } from './node-exchange.js';
import { dispatchExchange } from '../exchange/dispatch-exchange.js';
import { buildRequestFacts } from './request-facts-builder.js';
import { isTrustedPeer, sanitizeForwardedHeaders } from '../exchange/forwarded-headers.js';
import type { HeaderMap, HttpProtocol, TlsFacts } from '../exchange/exchange.js';
import { handleWebSocketUpgrade, handleExtendedConnect } from './websocket-tunnel.js';
import { IpRangeSet, normalizeClientAddress } from '../net/ip-range.js';
import { respondingTimeouts } from './responding-timeouts.js';
import { readPreamble, TLS_HANDSHAKE_RECORD } from './connection-preamble.js';
import type { ProxyAddress } from '../net/proxy-protocol-header.js';
import type { TcpRoute } from '../exchange/tcp-route-lookup.js';
import { OpenConnections } from './open-connections.js';
import { OverloadGuard, overloadLimits } from './overload-guard.js';
import { TlsByClientHello } from './tls-by-client-hello.js';
import { EntryPointLoad } from '../observability/entrypoint-load-metrics.js';

/** What a request needs to know of its connection, worked out once per TCP connection (keep-alive and h2 carry many requests). */
interface PeerFacts {
  clientIp: string;
  /** forwardedHeaders policy: may this peer's X-Forwarded-* be kept? */
  trusted: boolean;
  remotePort: number;
  localPort: number;
}
type PeerSocket = Socket & {
  porticoTls?: TlsFacts;
  porticoPeer?: PeerFacts;
  /**
   * Set when we answered with `connection: close` (400, 503): requests the client pipelined behind
   * that one were already parsed and would still reach a backend; they are dropped instead.
   */
  porticoClosing?: boolean;
};

export class TcpEntryPoint {
  private server: NetServer | undefined;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<Socket>();
  /** Every HTTP connection past its TLS handshake, with the deadline of the phase it is in. */
  private readonly connections: OpenConnections;
  private readonly overload: OverloadGuard;
  /** Connections, requests, shed load and timeouts, for metrics (see observability/entrypoint-load-metrics.ts). */
  readonly load: EntryPointLoad;
  port = 0;
  private readonly handshakeTimeoutMs: number;

  constructor(
    private readonly ep: EntryPointContext,
    /** TLS session-ticket keys shared by all workers of a multi-process Portico, so resumption works whichever worker a client reaches. */
    private readonly ticketKeys?: Buffer,
  ) {
    const t = ep.config.transport;
    const timeouts = respondingTimeouts(t);
    const idleTimeout = timeouts.idleTimeoutMs;
    this.handshakeTimeoutMs = timeouts.readTimeoutMs || 120_000;
    this.connections = new OpenConnections({ ...timeouts, sweepMs: 1000 }, { timedOut: (phase) => this.load.countTimeout(phase) });
    this.load = new EntryPointLoad(
      () => this.connections.size,
      () => this.connections.activeRequests,
    );
    this.overload = new OverloadGuard(overloadLimits(t), this.load);
    this.h1 = http.createServer({
      maxHeaderSize: t?.maxHeaderBytes ?? 32 * 1024,
      // Node checks these only on a server that listen()s itself; ours get sockets by emit('connection'), so OpenConnections enforces them.
      requestTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: idleTimeout,
      // Refuse ambiguous framing (CL+TE, bad chunking, obs-fold): the parser answers 400 before we see it.
      insecureHTTPParser: false,
      requireHostHeader: true,
      joinDuplicateHeaders: true,
    });
    this.h1.on('request', (req, res) => this.onH1Request(req, res));
    // Expect: 100-continue is answered only once routing and middlewares accepted the request.
    this.h1.on('checkContinue', (req, res) => this.onH1Request(req, res, true));
    this.h1.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.connections.releaseH1(socket);
      const ex = this.buildH1Exchange(req, undefined);
      if (!ex) {
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      handleWebSocketUpgrade(ex, socket, head, this.ep);
    });
    this.h1.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.ep.countMalformed(err.code ?? 'client-error');
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    });
    this.h2 = http2.createServer({
      maxSessionMemory: 32,
      maxHeaderListPairs: 256,
      settings: { maxConcurrentStreams: t?.maxConcurrentStreams ?? 250, enableConnectProtocol: true, maxHeaderListSize: t?.maxHeaderBytes ?? 32 * 1024 },
    });
    this.h2.on('request', (req, res) => this.onH2Request(req, res));
    // Node's compatibility layer delivers CONNECT (incl. RFC 8441 extended CONNECT) here, not as 'request'.
    this.h2.on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => this.onH2Request(req, res));
    this.h2.on('session', (s: Http2Session) => this.connections.addH2(s));
    this.h2.on('sessionError', () => this.ep.countMalformed('h2-session-error'));
  }

  async listen(): Promise<void> {
    const { host, port } = parseListenAddress(this.ep.config.address);
    /** Every accepted TCP connection, before TLS; false when the overload policy closed it. */
    const onSocket = (socket: Socket): boolean => {
      if (!this.overload.admitConnection()) {
        socket.destroy();
        return false;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      return true;
    };
    // The context is chosen from the ClientHello before the handshake starts (tls-by-client-hello.ts: certificates of every key type).
    const tls = new TlsByClientHello({
      runtime: () => this.ep.tlsRuntime(),
      // readTimeout bounds the handshake too, as it does a request head.
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      ticketKeys: this.ticketKeys,
      onSecure: (socket, tcpRoute) => (tcpRoute ? this.toTcpRoute(socket, undefined, tcpRoute) : this.onSecureConnection(socket)),
      onHandshakeFailure: () => this.ep.countMalformed('tls-handshake'),
      tcpRoute: (serverName, alpn, raw) => {
        const routes = this.ep.tcpRoutes();
        return routes?.hasTls ? routes.matchTls({ serverName, alpn, clientIp: this.clientIpOf(raw as PeerSocket) }) : undefined;
      },
      onPassthrough: (raw, head, route) => this.toTcpRoute(raw, head, route),
    });
    const proxyProtocol = this.ep.config.proxyProtocol;
    const proxyTrusted = proxyProtocol?.insecure
      ? new IpRangeSet(['0.0.0.0/0', '::/0'])
      : proxyProtocol
        ? new IpRangeSet(proxyProtocol.trustedIPs ?? [])
        : undefined;
    const server = createNetServer({ noDelay: true });
    server.on('connection', (socket: Socket) => {
      if (!onSocket(socket)) return;
      readPreamble(socket, {
        timeoutMs: this.handshakeTimeoutMs,
        proxyTrusted: proxyTrusted && ((address) => proxyTrusted.contains(normalizeClientAddress(address))),
        takeBeforeFirstByte: (client) => this.clearRouteWithoutPeeking(socket, client),
        onReady: (s, head, client) => {
          if (client) this.peerFacts(s as PeerSocket, client);
          // TLS routers and plain ones share the port: a TLS handshake record starts TLS, anything else is clear HTTP (Traefik's first-byte switch).
          if (head[0] === TLS_HANDSHAKE_RECORD) tls.accept(s, head);
          else if (this.ep.tcpRoutes()?.hasClear) {
            // TCP routers take clear connections before HTTP does (HostSNI(`*`), as in Traefik).
            const route = this.ep.tcpRoutes()!.matchClear({ serverName: undefined, alpn: [], clientIp: this.clientIpOf(s as PeerSocket) });
            if (route) this.toTcpRoute(s, head, route);
            else this.toH1WithHead(s, head);
          } else this.toH1WithHead(s, head);
        },
        onRefused: (kind, reason) => {
          this.ep.countMalformed(kind);
          this.ep.log('debug', `connection closed before its protocol started: ${reason}`, { entryPoint: this.ep.name, remote: socket.remoteAddress });
        },
      });
    });
    this.server = server;
    if (this.ep.config.transport?.maxConnections) this.server.maxConnections = this.ep.config.transport.maxConnections;
    // Node closes connections over maxConnections at accept and says so with 'drop'.
    this.server.on('drop', () => this.overload.connectionDropped());
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      // `:8443` binds `::` which also accepts IPv4 (dual stack).
      this.server!.listen({ host: host ?? '::', port, ipv6Only: false }, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
  }

  /** Kept for the server's reload hook: each handshake takes its context from the current TLS runtime, so there is nothing to refresh. */
  refreshTls(): void {}

  private onSecureConnection(socket: TLSSocket): void {
    const runtime = this.ep.tlsRuntime();
    const servername = typeof socket.servername === 'string' ? socket.servername : undefined;
    const sel = runtime.select(servername);
    if (!servername && sel.options.sniStrict) {
      socket.destroy();
      return;
    }
    const refusal = runtime.checkNegotiated(sel.options, socket) ?? runtime.checkClientCertificate(sel.options, socket as never);
    if (refusal) {
      this.ep.log('debug', `TLS connection refused: ${refusal}`, { entryPoint: this.ep.name, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    // The PROXY header's client was recorded on the TCP socket the TLS socket wraps (Node keeps it as _parent).
    const proxied = (socket as { _parent?: PeerSocket })._parent?.porticoPeer;
    if (proxied) (socket as PeerSocket).porticoPeer = proxied;
    (socket as TLSSocket & { porticoTls?: TlsFacts }).porticoTls = {
      serverName: servername,
      optionsName: sel.options.name,
      peerCertificate: sel.options.clientAuth !== 'none' ? socket.getPeerCertificate(false)?.raw : undefined,
      // Once per connection, for the access log and TLS metrics: `1.3`, `TLS_AES_128_GCM_SHA256` as Traefik writes them.
      version: socket.getProtocol()?.replace(/^TLSv/, ''),
      cipher: socket.getCipher()?.standardName,
    };
    if (socket.alpnProtocol === 'h2') this.h2.emit('connection', socket);
    else this.toH1(socket);
  }

  /** A clear HTTP/1.1 connection whose first bytes were read already. */
  private toH1WithHead(socket: Socket, head: Buffer): void {
    socket.unshift(head);
    this.toH1(socket);
    // Node's HTTP server reads the socket's handle directly; what was unshifted comes as a 'data' event once resumed.
    socket.resume();
  }

  /**
   * Traefik's early hand-over: with clear TCP routers here and neither TLS TCP routers nor TLS HTTP
   * routers, nothing needs the connection's first byte, so a clear router that matches (HostSNI(`*`),
   * ClientIP) takes it at once and a protocol where the server speaks first works. Otherwise (or when
   * none matches) the first byte decides as usual.
   */
  private clearRouteWithoutPeeking(socket: Socket, client: ProxyAddress | undefined): ((s: Socket) => void) | undefined {
    const routes = this.ep.tcpRoutes();
    if (!routes?.hasClear || routes.hasTls || this.ep.routes().secure.size > 0) return undefined;
    if (client) this.peerFacts(socket as PeerSocket, client);
    const route = routes.matchClear({ serverName: undefined, alpn: [], clientIp: this.clientIpOf(socket as PeerSocket) });
    return route && ((s) => this.toTcpRoute(s, undefined, route));
  }

  /** Hand a connection to a TCP router (its middlewares, then its service's relay). */
  private toTcpRoute(socket: Socket, head: Buffer | undefined, route: TcpRoute): void {
    const raw = ((socket as { _parent?: Socket })._parent ?? socket) as PeerSocket;
    const peer = raw.porticoPeer ?? this.peerFacts(raw);
    try {
      route.handler({
        socket,
        head,
        clientIp: peer.clientIp,
        clientPort: peer.remotePort,
        localAddress: normalizeClientAddress(raw.localAddress ?? '127.0.0.1'),
        localPort: peer.localPort,
      });
    } catch (err) {
      this.ep.log('error', `TCP router ${route.name} failed: ${(err as Error).message}`);
      socket.destroy();
    }
  }

  /** The client address of a connection: the PROXY header's when there was one, else the socket's peer. */
  private clientIpOf(socket: PeerSocket): string {
    return socket.porticoPeer?.clientIp ?? normalizeClientAddress(socket.remoteAddress ?? '');
  }

  private toH1(socket: Socket): void {
    this.connections.addH1(socket);
    this.h1.emit('connection', socket);
  }

  private buildH1Exchange(req: IncomingMessage, res: ServerResponse | undefined): NodeExchange | undefined {
    const socket = req.socket as PeerSocket;
    const peer = socket.porticoPeer ?? this.peerFacts(socket);
    const headers = req.headers as HeaderMap;
    sanitizeForwardedHeaders(headers, peer.trusted);
    const built = buildRequestFacts(req.method ?? 'GET', req.headers.host ?? '', req.url ?? '/', headers, peer.clientIp, true);
    if (!built.ok) {
      this.ep.countMalformed('bad-request-target');
      socket.porticoClosing = true;
      if (res) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end(`400 Bad Request: ${built.reason}\n`);
      }
      return undefined;
    }
    const protocol: HttpProtocol = req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    const ex = new NodeExchange(
      {
        protocol,
        entryPoint: this.ep.name,
        scheme: socket.porticoTls ? 'https' : 'http',
        facts: built.facts,
        remoteAddress: built.facts.clientIp,
        remotePort: peer.remotePort,
        localPort: peer.localPort,
        tls: socket.porticoTls,
        body: req,
        hasBody,
        method: req.method ?? 'GET',
        url: built.upstreamUrl,
        authority: built.authority,
        requestHeaders: headers,
      },
      req,
      res ?? (undefined as unknown as ServerResponse),
    );
    if (socket.porticoTls) ex.altSvc = this.ep.altSvc();
    return ex;
  }

  /** `proxied`: the client as the PROXY protocol header named it, which stands for the socket's peer everywhere (ClientIP, X-Forwarded-For, access log, forwardedHeaders trust), as in Traefik. */
  private peerFacts(socket: PeerSocket, proxied?: ProxyAddress): PeerFacts {
    const clientIp = proxied ? proxied.address : normalizeClientAddress(socket.remoteAddress ?? '');
    const remotePort = proxied ? proxied.port : (socket.remotePort ?? 0);
    const peer = { clientIp, trusted: isTrustedPeer(this.ep.forwarded, clientIp), remotePort, localPort: socket.localPort ?? this.port };
    socket.porticoPeer = peer;
    return peer;
  }

  private onH1Request(req: IncomingMessage, res: ServerResponse, expectContinue = false): void {
    const socket = req.socket as PeerSocket;
    // Node closes the connection once the earlier response is written; this one is never answered.
    if (socket.porticoClosing) return;
    if (this.overload.refuseRequest()) {
      socket.porticoClosing = true;
      // Shed before any routing work; the client should try another replica (or later), not pipeline more here.
      res.shouldKeepAlive = false;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1', connection: 'close' });
      res.end('503 Service Unavailable: overloaded\n');
      return;
    }
    const ex = this.buildH1Exchange(req, res);
    if (!ex) return;
    ex.expectsContinue = expectContinue;
    this.track(ex, res, this.connections.h1Request(req));
    void dispatchExchange(ex, this.ep);
  }

  private onH2Request(req: Http2ServerRequest, res: Http2ServerResponse): void {
    // The session's socket is a proxy object; the facts live on the session (one per connection).
    const session = req.stream.session as (Http2Session & { porticoPeer?: PeerFacts; porticoTls?: TlsFacts }) | undefined;
    if (!session) return void res.destroy();
    let peer = session.porticoPeer;
    let tlsFacts = session.porticoTls;
    if (!peer) {
      const socket = session.socket as unknown as PeerSocket;
      peer = session.porticoPeer = this.peerFacts(socket);
      tlsFacts = session.porticoTls = socket.porticoTls;
    }
    if (this.overload.refuseRequest()) {
      // Not processed, safe to retry (RFC 9113 §8.7).
      req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const raw = req.headers;
    const headers: HeaderMap = {};
    for (const k in raw) if (k.charCodeAt(0) !== 58 /* ':' */) headers[k] = raw[k];
    sanitizeForwardedHeaders(headers, peer.trusted);
    const method = req.method;
    if (method === 'CONNECT') {
      if (raw[':protocol'] === 'websocket') {
        const authority = (raw[':authority'] as string | undefined) ?? '';
        const built = buildRequestFacts('GET', authority, (raw[':path'] as string) ?? '/', headers, peer.clientIp);
        if (!built.ok) return void res.writeHead(400).end();
        const ex = this.makeH2Exchange(req, res, built, headers, tlsFacts, peer, 'GET');
        // An open tunnel is a stream in progress: its session is not idle.
        req.stream.once('close', this.connections.h2Stream(session, req.stream.id ?? 0));
        handleExtendedConnect(ex, req.stream, this.ep);
        return;
      }
      res.writeHead(405).end();
      return;
    }
    const authority = (raw[':authority'] as string | undefined) ?? (raw.host as string | undefined) ?? '';
    const built = buildRequestFacts(method, authority, (raw[':path'] as string) ?? '/', headers, peer.clientIp);
    if (!built.ok) {
      this.ep.countMalformed('bad-request-target');
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`400 Bad Request: ${built.reason}\n`);
      return;
    }
    const ex = this.makeH2Exchange(req, res, built, headers, tlsFacts, peer, method);
    this.track(ex, res, this.connections.h2Stream(session, req.stream.id ?? 0, req));
    void dispatchExchange(ex, this.ep);
  }

  private makeH2Exchange(
    req: Http2ServerRequest,
    res: Http2ServerResponse,
    built: Extract<ReturnType<typeof buildRequestFacts>, { ok: true }>,
    headers: HeaderMap,
    tlsFacts: TlsFacts | undefined,
    peer: PeerFacts,
    method: string,
  ): NodeExchange {
    delete headers.host;
    const ex = new NodeExchange(
      {
        protocol: 'HTTP/2.0',
        entryPoint: this.ep.name,
        scheme: tlsFacts ? 'https' : 'http',
        facts: built.facts,
        remoteAddress: built.facts.clientIp,
        remotePort: peer.remotePort,
        localPort: peer.localPort,
        tls: tlsFacts,
        body: req,
        hasBody: !req.stream.readableEnded && !(req.stream as unknown as { endAfterHeaders?: boolean }).endAfterHeaders,
        method,
        url: built.upstreamUrl,
        authority: built.authority,
        requestHeaders: headers,
      },
      req,
      res,
    );
    if (tlsFacts) ex.altSvc = this.ep.altSvc();
    return ex;
  }

  private track(ex: NodeExchange, res: ServerResponse | Http2ServerResponse, closed: () => void): void {
    // 'close' follows 'finish' on both h1 and h2 responses, so one listener tells both outcomes.
    res.once('close', () => {
      closed();
      if (res.writableFinished) return this.ep.exchangeDone(ex, 'ok');
      ex.clientClosed();
      this.ep.exchangeDone(ex, 'aborted');
    });
  }

  /** Stop accepting, let in-flight requests finish (h2: GOAWAY), then close what remains after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Resolves when the last connection is gone: drain() closes idle ones now and busy ones with their last response.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.connections.drain();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([closed, deadline]);
    clearTimeout(timer);
    this.connections.destroyAll();
    for (const s of this.sockets) s.destroy();
    this.overload.stop();
  }
}
