/**
 * One request/response exchange as the pipeline sees it, whatever the HTTP
 * version. h1 and h2 adapt Node's server objects into this; h3 fills it from
 * our own HTTP/3 layer. Router, middlewares and services touch only this.
 */
import type { Duplex, Readable } from 'node:stream';
import type { RequestFacts } from '../router/request-facts.js';
import type { ExchangeTrace } from './exchange-trace.js';

export type HttpProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2.0' | 'HTTP/3.0';

/** Lower-case header names; multi-valued headers as arrays. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * Where the response goes. Node's http.ServerResponse and
 * http2.Http2ServerResponse satisfy the writing half structurally; the h3
 * layer implements it itself. Back-pressure: `write` returns false, then
 * 'drain' fires.
 */
export interface ResponseSink {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): void;
  addTrailers(trailers: Record<string, string>): void;
  once(event: 'drain' | 'close' | 'finish', listener: () => void): unknown;
  on(event: 'drain' | 'close' | 'finish', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close' | 'finish', listener: () => void): unknown;
  destroy(error?: Error): unknown;
}

export interface TlsFacts {
  /** SNI the client sent, if any. */
  serverName?: string;
  /** Name of the TLS option set the connection was negotiated with (for 421 checks). */
  optionsName: string;
  /** DER of the verified client certificate when mTLS is on. */
  peerCertificate?: Buffer;
  /** Negotiated version as Traefik logs it (`1.3`) and cipher suite (`TLS_AES_128_GCM_SHA256`), for the access log and metrics. */
  version?: string;
  cipher?: string;
}

export type ResponseHeadersHook = (status: number, headers: HeaderMap) => void;

/**
 * Takes over writing the response head and body (compress, contentType,
 * buffering): called with the head the handler wrote, it returns the sink the
 * handler's body goes to, and writes the (possibly changed) head on with
 * `open` when it is ready, e.g. after holding the first bytes.
 */
export type ResponseInterceptor = (status: number, headers: HeaderMap, open: (status: number, headers: HeaderMap) => ResponseSink) => ResponseSink;

/** Where a middleware's code failed: its request phase, a response-head hook or interceptor, or a body transform. */
export type MiddlewarePhase = 'request' | 'response-head' | 'response-body';

/** A throw or rejection in middleware code, kept on the exchange for the log and the failure counter. */
export interface MiddlewareFailure {
  /** Qualified name (`auth@file`); undefined when the hook was registered outside any middleware's synchronous code. */
  middleware: string | undefined;
  phase: MiddlewarePhase;
  error: unknown;
}

/**
 * The client's half of a WebSocket tunnel, offered by the entrypoint when the
 * request asked for one: an HTTP/1.1 Upgrade, or an HTTP/2 extended CONNECT
 * (RFC 8441). Routing and middlewares treat the exchange as any request (they
 * may still answer 401, 403, …); the service opens the tunnel once the backend
 * accepted its own upgrade, and splices the two byte streams.
 */
export interface ClientTunnel {
  /** How the client asked: `h1` Upgrade (its Upgrade header names the protocol) or `h2` extended CONNECT (no key; the service makes one for the backend). */
  readonly kind: 'h1' | 'h2';
  /** Bytes the client sent after its request head (h1); empty for h2. Forward them first. */
  readonly head: Buffer;
  /** True once `open` ran: from then the exchange is a byte tunnel, not a request awaiting its response. */
  readonly opened: boolean;
  /** Accept the upgrade towards the client with the backend's handshake headers; returns the client's byte stream. Once. */
  open(backendHeaders: HeaderMap): Duplex;
}

/**
 * Why a backend attempt failed before the backend answered, when sending the
 * request again may help: the connection was refused (`connect`), or it was
 * reset or closed before a response head arrived (`reset`). A timeout is not
 * one of them: the backend may still be working on the request.
 */
export type RetryableUpstreamFailure = 'connect' | 'reset';

/**
 * Offered by a middleware that can send the request again (`retry`) and read
 * by the service layer: an attempt that failed at the network level before
 * any response head was written is offered here before the service answers
 * 502. Taken, the service writes nothing and returns, and the middleware runs
 * the rest of the pipeline again (the load balancer may pick another server).
 */
export interface UpstreamRetry {
  /** True takes the failure: nothing is written to the client, and the middleware sends the request again. */
  offer(failure: RetryableUpstreamFailure): boolean;
  /**
   * Servers (origins) that failed earlier attempts of this request: a load balancer adds the one
   * it tried when the attempt failed, and picks another while it has one (round robin alone may
   * hand the same dead server to the same request again when other requests pick in between).
   */
  readonly failedServers: Set<string>;
}

/** What was registered on an exchange's response (hooks, interceptors) at one moment; see `Exchange.markResponseHandlers`. */
export interface ResponseHandlersMark {
  readonly hooks: number;
  readonly interceptors: number;
}

export interface Exchange {
  readonly protocol: HttpProtocol;
  readonly entryPoint: string;
  readonly scheme: 'http' | 'https';
  /** What routing rules match on (normalised host, path, client IP, …). */
  readonly facts: RequestFacts;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Port the client connected to (used for X-Forwarded-Port). */
  readonly localPort: number;
  readonly tls: TlsFacts | undefined;
  /** false when the request certainly has no body (no Content-Length > 0, no chunked, END_STREAM on HEADERS). */
  readonly hasBody?: boolean;
  /** Request body as a stream; ended immediately when there is none. */
  readonly body: Readable;
  /** Send another body upstream instead (buffering spools the original and hands on its copy). */
  replaceBody(body: Readable): void;
  /** Method to send upstream; middlewares may change it. */
  method: string;
  /** Path and query to send upstream (origin-form); middlewares may rewrite it. */
  url: string;
  /** Authority (host[:port]) the client addressed. */
  authority: string;
  /** Headers to send upstream; middlewares may mutate. Hop-by-hop headers are removed by the service layer. */
  requestHeaders: HeaderMap;
  /**
   * Per-exchange data of plugins and middlewares, theirs alone: Portico keeps
   * none of its own here (what the layers tell each other are typed members,
   * such as `tunnel` and `continueRequest`).
   */
  readonly state: Record<string, unknown>;
  /** Set when the client asked for a WebSocket tunnel; the service opens it instead of forwarding an ordinary request. */
  readonly tunnel?: ClientTunnel;
  /**
   * The forwarder is about to send the request body upstream: if the client
   * asked for `Expect: 100-continue`, the entrypoint sends the interim 100 now
   * (once, and never after the response head). Routing and middlewares have
   * then let the request through, so a refused request never invites its body.
   * Does nothing when the client did not ask or the protocol has no such step.
   */
  continueRequest(): void;
  /** Name of the router that matched, once routing ran (with multi-layer routing, the child that chose the service). */
  routerName?: string;
  /** That router's service as configured (metrics and traces label by it). */
  routerService?: string;
  /**
   * What the service layer did, for the access log, metrics and traces (read
   * once the exchange is done): the load-balancer service that forwarded it,
   * the server it chose, what that server answered and when, and how many
   * times it was retried.
   */
  serviceName?: string;
  serverUrl?: string;
  originStatus?: number;
  /** Response body bytes received from the server. */
  originBytes?: number;
  /** performance.now() when the request left for the server and when its response ended. */
  originStartedAt?: number;
  originEndedAt?: number;
  /** The request's trace when tracing is on (src/exchange/exchange-trace.ts); undefined otherwise. */
  trace?: ExchangeTrace;
  /** Register a hook that may edit status-line headers just before they are written. */
  onResponseHeaders(hook: ResponseHeadersHook): void;
  /**
   * Wrap the response. Each interceptor runs once, for the first head written after it was
   * registered, the last registered first (the innermost middleware sees the backend's head first).
   */
  interceptResponse(interceptor: ResponseInterceptor): void;
  /** Set by a middleware that can send the request again (`retry`); the service layer offers it a failed attempt. Undefined otherwise. */
  upstreamRetry: UpstreamRetry | undefined;
  /** How many times the request was sent again (`retry`), for the access log (RetryAttempts) and `service_retries_total`. */
  retryAttempts: number;
  /**
   * For a middleware that runs the rest of the pipeline again (`retry`): the response hooks and
   * interceptors registered so far. `rewindResponseHandlers` forgets those registered after the
   * mark, so what the next attempt's middlewares register is not applied twice.
   */
  markResponseHandlers(): ResponseHandlersMark;
  /** Forget the response hooks and interceptors registered since `mark` (before the head was written; after, it does nothing). */
  rewindResponseHandlers(mark: ResponseHandlersMark): void;
  /** The service layer says how to stop its upstream request; called at once if the exchange is already aborted. */
  setUpstreamAbort(abort: () => void): void;
  /** Stop the upstream request (the client left, or a middleware gave up on the response). */
  abortUpstream(): void;
  /** True once the client went away before the response was complete. */
  readonly clientGone: boolean;
  /** Write the response head (runs hooks, once). Returns the sink for the body. */
  writeHead(status: number, headers: HeaderMap): ResponseSink;
  /** Convenience: a complete short response. */
  respond(status: number, headers: HeaderMap, body?: string | Buffer): void;
  /** The status written, once writeHead has run. */
  readonly statusCode: number | undefined;
  /** Request trailers, when the protocol delivered them (after body ends). */
  readonly requestTrailers: () => HeaderMap | undefined;
  /**
   * The middleware whose synchronous code runs now, set by the pipeline around each middleware
   * (middleware-failure-guard.ts): hooks and interceptors registered meanwhile are blamed on it.
   */
  runningMiddleware: string | undefined;
  /**
   * Middleware code failed: answer 500 if the head has not left (abort the stream if it has),
   * stop the upstream request, and discard whatever is written afterwards (the sink returned).
   * The first failure is kept in `middlewareFailure`.
   */
  middlewareFailed(failure: MiddlewareFailure): ResponseSink;
  readonly middlewareFailure: MiddlewareFailure | undefined;
}

/** The whole pipeline is functions of this shape. */
export type Handler = (exchange: Exchange) => void | Promise<void>;

/** A middleware wraps the next handler. */
export type MiddlewareHandler = (next: Handler) => Handler;
