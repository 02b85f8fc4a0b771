/**
 * Turns HTTP/3 requests from our sans-I/O session (src/http3) into Exchanges
 * and runs them through the same pipeline as h1/h2 (dispatchExchange).
 * Bodies stream both ways with back-pressure: request data is pushed into a
 * Readable and reading from QUIC pauses when it is full (so QUIC flow control
 * holds the client back); response writes report `false` once the QUIC
 * stream's send buffer is over its mark, and 'drain' follows when it empties.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Http3Request, Http3ServerEvents, Http3ServerSession, FieldLine } from '../http3/server-session.js';
import { H3_INTERNAL_ERROR, H3_REQUEST_CANCELLED } from '../http3/error-codes.js';
import type { HeaderMap, ResponseSink } from '../exchange/exchange.js';
import type { EntryPointContext } from './entrypoint-context.js';
import { ExchangeBase, type ExchangeInit } from '../exchange/exchange-base.js';
import { dispatchExchange } from '../exchange/dispatch-exchange.js';
import { buildRequestFacts } from './request-facts-builder.js';
import { isTrustedPeer, sanitizeForwardedHeaders } from '../exchange/forwarded-headers.js';
import { normalizeClientAddress } from '../net/ip-range.js';
import { isHopByHop } from '../exchange/hop-by-hop.js';
import type { Http3RequestClock, Http3RequestsInProgress } from './http3-request-deadlines.js';

/** What the bridge needs from the QUIC stream layer for back-pressure. */
export interface Http3StreamFlow {
  /** Bytes handed to the stream that QUIC has not taken yet. */
  bufferedAmount(streamId: number): number;
  /** Call `cb` once when the stream's buffer drained below its mark (or the stream closed). */
  onWritable(streamId: number, cb: () => void): void;
  /** Stop (or resume) delivering request data for a stream; QUIC flow control then holds the client. */
  pauseRead(streamId: number): void;
  resumeRead(streamId: number): void;
}

export interface Http3ConnectionInfo {
  /**
   * The QUIC connection's peer, read at every request: the client's address
   * follows migration and NAT rebinding (RFC 9000 §9), so ClientIP rules,
   * X-Forwarded-For and the access log see where the client is now.
   */
  peer: { readonly remoteAddress: string; readonly remotePort: number };
  /** What the QUIC handshake negotiated, read at every request (the connection is handed over while its handshake completes). */
  tls: { readonly peerCertificate?: Buffer; readonly cipherSuite?: string; readonly inEarlyData?: boolean };
  localPort: number;
  serverName: string | undefined;
  optionsName: string;
}

const SEND_HIGH_WATER = 256 * 1024;
/**
 * Methods served from 0-RTT (RFC 9110 §9.2.1 safe methods; TRACE is left to
 * wait). A replayed GET repeats a read; anything else waits for the
 * handshake, which a replay never completes.
 */
const EARLY_DATA_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE']);

class Http3ResponseSink extends EventEmitter implements ResponseSink {
  headersSent = true;
  destroyed = false;
  finished = false;
  private trailers: Array<[string, string]> | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly session: Http3ServerSession,
    private readonly flow: Http3StreamFlow,
    readonly streamId: number,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }

  write(chunk: Buffer | string): boolean {
    if (this.destroyed || this.finished) return false;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.session.sendData(this.streamId, buf, false);
    this.onBytes(buf.length);
    if (this.flow.bufferedAmount(this.streamId) < SEND_HIGH_WATER) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      this.flow.onWritable(this.streamId, () => {
        this.waitingForDrain = false;
        if (!this.destroyed) this.emit('drain');
      });
    }
    return false;
  }

  end(chunk?: Buffer | string): void {
    if (this.destroyed || this.finished) return;
    if (chunk !== undefined && chunk.length) this.write(chunk);
    this.finished = true;
    if (this.trailers) this.session.sendTrailers(this.streamId, this.trailers);
    else this.session.sendData(this.streamId, Buffer.alloc(0), true);
    this.emit('finish');
    this.emit('close');
  }

  addTrailers(trailers: Record<string, string>): void {
    this.trailers = Object.entries(trailers).map(([k, v]) => [k.toLowerCase(), String(v)] as [string, string]);
  }

  destroy(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.session.resetStream(this.streamId, H3_INTERNAL_ERROR);
    this.emit('close');
  }

  /** The client went away (stream reset / connection closed). */
  abort(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.emit('close');
  }
}

export class Http3Exchange extends ExchangeBase implements Http3RequestClock {
  trailers: HeaderMap | undefined;
  readonly sink: Http3ResponseSink;
  readonly since = performance.now();
  /** A request without a body has nothing left to read; one with a body is complete at its end. */
  requestComplete: boolean;
  progressAt = this.since;
  bufferedAtSweep = 0;

  constructor(
    init: ExchangeInit,
    session: Http3ServerSession,
    private readonly flow: Http3StreamFlow,
    readonly streamId: number,
  ) {
    super(init);
    this.sink = new Http3ResponseSink(session, flow, streamId, (n) => (this.responseBytes += n));
    this.session = session;
    this.requestComplete = !init.hasBody;
  }

  bufferedResponseBytes(): number {
    return this.flow.bufferedAmount(this.streamId);
  }

  private readonly session: Http3ServerSession;

  requestTrailers(): HeaderMap | undefined {
    return this.trailers;
  }

  protected sendHead(status: number, headers: HeaderMap): ResponseSink {
    const fields: Array<[string, string]> = [];
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined || isHopByHop(name)) continue;
      const lower = name.toLowerCase();
      if (Array.isArray(v)) for (const one of v) fields.push([lower, String(one)]);
      else fields.push([lower, String(v)]);
    }
    this.session.sendHeaders(this.streamId, status, fields, false);
    return this.sink;
  }
}

/** Fold QPACK field lines into a header map: repeated fields become arrays, cookies join with "; " (RFC 9114 §4.2.1). */
function toHeaderMap(fields: FieldLine[]): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of fields) {
    if (name.charCodeAt(0) === 58) continue;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (name === 'cookie') out[name] = `${prev}; ${value}`;
    else out[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

export class Http3RequestBridge implements Http3ServerEvents, Http3RequestsInProgress {
  session!: Http3ServerSession;
  /** Set by the listener when it shuts down: after our GOAWAY, the last request in flight finished. */
  drained: (() => void) | undefined;
  /** Request streams whose exchange ended since `drained` was set (their responses may still be on their way). */
  readonly endedDuringShutdown: number[] = [];
  private readonly exchanges = new Map<number, Http3Exchange>();
  /** Requests that arrived in 0-RTT with a method that must not be replayed: dispatched when the handshake completes. */
  private heldForHandshake: Http3Exchange[] = [];

  constructor(
    private readonly ep: EntryPointContext,
    private readonly flow: Http3StreamFlow,
    private readonly info: Http3ConnectionInfo,
  ) {}

  request(streamId: number, req: Http3Request): void {
    const headers = toHeaderMap(req.headers);
    const { remoteAddress, remotePort } = this.info.peer;
    sanitizeForwardedHeaders(headers, isTrustedPeer(this.ep.forwarded, remoteAddress));
    const authority = req.authority ?? (headers.host as string | undefined) ?? '';
    delete headers.host;
    if (req.method === 'CONNECT' && !req.protocol) {
      this.session.sendHeaders(streamId, 405, [], true);
      return;
    }
    // RFC 8470 §5.1: what we forward from early data says so, so the backend may answer 425 Too Early (one a client
    // proxy set is kept: it must not be removed).
    const early = this.info.tls.inEarlyData === true;
    const heldForHandshake = early && !EARLY_DATA_METHODS.has(req.method);
    if (early && !heldForHandshake) headers['early-data'] = '1';
    const built = buildRequestFacts(req.method, authority, req.path ?? '/', headers, normalizeClientAddress(remoteAddress));
    if (!built.ok) {
      this.ep.countMalformed('bad-request-target');
      const body = Buffer.from(`400 Bad Request: ${built.reason}\n`);
      this.session.sendHeaders(streamId, 400, [
        ['content-type', 'text/plain; charset=utf-8'],
        ['content-length', String(body.length)],
      ]);
      this.session.sendData(streamId, body, true);
      return;
    }
    const flow = this.flow;
    const body = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        flow.resumeRead(streamId);
      },
    });
    // Without content-length, only methods that normally carry a body are treated as having one.
    const hasBody = req.contentLength !== undefined ? req.contentLength > 0 : !BODYLESS_METHODS.has(req.method);
    const ex = new Http3Exchange(
      {
        protocol: 'HTTP/3.0',
        entryPoint: this.ep.name,
        scheme: 'https',
        facts: built.facts,
        remoteAddress: built.facts.clientIp,
        remotePort,
        localPort: this.info.localPort,
        tls: {
          serverName: this.info.serverName,
          optionsName: this.info.optionsName,
          version: '1.3',
          cipher: this.info.tls.cipherSuite,
          peerCertificate: this.info.tls.peerCertificate,
        },
        body,
        hasBody,
        method: req.method,
        url: built.upstreamUrl,
        authority,
        requestHeaders: headers,
      },
      this.session,
      this.flow,
      streamId,
    );
    this.exchanges.set(streamId, ex);
    ex.sink.once('close', () => {
      this.exchanges.delete(streamId);
      if (this.drained) this.endedDuringShutdown.push(streamId);
      this.ep.exchangeDone(ex, ex.sink.finished ? 'ok' : 'aborted');
    });
    if (heldForHandshake) this.heldForHandshake.push(ex);
    else void dispatchExchange(ex, this.ep);
  }

  /** The handshake of a connection that started on 0-RTT completed: the held requests are the client's own, not a replay. */
  handshakeComplete(): void {
    const held = this.heldForHandshake;
    this.heldForHandshake = [];
    for (const ex of held) if (this.exchanges.get(ex.streamId) === ex) void dispatchExchange(ex, this.ep);
  }

  data(streamId: number, chunk: Buffer): void {
    const ex = this.exchanges.get(streamId);
    // Copy: the session hands out views into QUIC's receive buffers.
    if (ex && !ex.clientBody.push(Buffer.from(chunk))) this.flow.pauseRead(streamId);
  }

  end(streamId: number, trailers?: FieldLine[]): void {
    const ex = this.exchanges.get(streamId);
    if (!ex) return;
    if (trailers) ex.trailers = toHeaderMap(trailers);
    ex.requestComplete = true;
    ex.clientBody.push(null);
  }

  requestsInProgress(): Iterable<Http3RequestClock> {
    return this.exchanges.values();
  }

  cancel(streamId: number, code: number): void {
    // The session tells us through aborted(); if it had already forgotten the stream, abort here.
    this.session.resetStream(streamId, code);
    this.aborted(streamId, code);
  }

  aborted(streamId: number, code: number): void {
    const ex = this.exchanges.get(streamId);
    if (!ex) return;
    ex.clientClosed();
    // No error argument: a body nobody reads (a 404, say) would otherwise raise an unhandled 'error'.
    if (!ex.clientBody.readableEnded) ex.clientBody.destroy();
    void code;
    ex.sink.abort();
  }

  /** The connection is gone: every open exchange is aborted. */
  connectionClosed(): void {
    this.heldForHandshake = [];
    for (const id of [...this.exchanges.keys()]) this.aborted(id, H3_REQUEST_CANCELLED);
  }
}
