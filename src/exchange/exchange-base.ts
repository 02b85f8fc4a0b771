/**
 * What every protocol's exchange shares: the response-header hooks, `respond`,
 * and per-exchange state. Protocol adapters (h1/h2 on Node's objects, h3 on
 * ours) implement only how a head and body reach the wire.
 */
import type { Readable } from 'node:stream';
import type {
  ClientTunnel,
  Exchange,
  HeaderMap,
  HttpProtocol,
  MiddlewareFailure,
  ResponseHandlersMark,
  ResponseHeadersHook,
  ResponseInterceptor,
  ResponseSink,
  TlsFacts,
  UpstreamRetry,
} from './exchange.js';
import type { RequestFacts } from '../router/request-facts.js';
import { DiscardingSink, FailureGuardedSink } from './failure-guarded-sink.js';
import type { ExchangeTrace } from './exchange-trace.js';

export interface ExchangeInit {
  protocol: HttpProtocol;
  entryPoint: string;
  scheme: 'http' | 'https';
  facts: RequestFacts;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  tls: TlsFacts | undefined;
  body: Readable;
  hasBody: boolean;
  method: string;
  url: string;
  authority: string;
  requestHeaders: HeaderMap;
}

/** What a request of its own needs besides the connection it borrows. */
export type DerivedRequest = Pick<ExchangeInit, 'body' | 'hasBody' | 'method' | 'url' | 'authority' | 'requestHeaders'>;

/**
 * The init of an exchange Portico makes on behalf of a client's (a mirror's copy, an error page
 * request): the client's connection as it is, with another request.
 */
export function derivedExchangeInit(ex: Exchange, request: DerivedRequest): ExchangeInit {
  return {
    protocol: ex.protocol,
    entryPoint: ex.entryPoint,
    scheme: ex.scheme,
    facts: ex.facts,
    remoteAddress: ex.remoteAddress,
    remotePort: ex.remotePort,
    localPort: ex.localPort,
    tls: ex.tls,
    ...request,
  };
}

export abstract class ExchangeBase implements Exchange {
  readonly protocol: HttpProtocol;
  readonly entryPoint: string;
  readonly scheme: 'http' | 'https';
  readonly facts: RequestFacts;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly tls: TlsFacts | undefined;
  private currentBody: Readable;
  private readonly filledBody: Readable;
  readonly hasBody: boolean;
  method: string;
  url: string;
  authority: string;
  requestHeaders: HeaderMap;
  readonly state: Record<string, unknown> = {};
  /** Offered by the entrypoint for a WebSocket request (entrypoint/websocket-tunnel.ts). */
  tunnel: ClientTunnel | undefined = undefined;
  routerName?: string;
  // The service side, for logs, metrics and traces (see Exchange); initialised so every exchange has one shape.
  /** The matched router's configured service (dispatch-exchange.ts), the router metrics' `service` label. */
  routerService: string | undefined = undefined;
  serviceName: string | undefined = undefined;
  serverUrl: string | undefined = undefined;
  originStatus: number | undefined = undefined;
  originBytes = 0;
  originStartedAt = 0;
  originEndedAt = 0;
  retryAttempts = 0;
  trace: ExchangeTrace | undefined = undefined;
  /** Set when the entrypoint advertises HTTP/3 (h1/h2 over TLS only). */
  altSvc: string | undefined;
  private hooks: ResponseHeadersHook[] | undefined;
  /** The middleware that registered each hook (same index), blamed when it throws. */
  private hookOwners: Array<string | undefined> | undefined;
  private interceptors: ResponseInterceptor[] | undefined;
  private interceptorOwners: Array<string | undefined> | undefined;
  runningMiddleware: string | undefined;
  upstreamRetry: UpstreamRetry | undefined = undefined;
  private failure: MiddlewareFailure | undefined;
  /** What sendHead returned: the head is on its way to the client once this is set. */
  private wire: ResponseSink | undefined;
  private status: number | undefined;
  private upstreamAbort: (() => void) | undefined;
  private aborted = false;
  private gone = false;
  /** performance.now() at creation, for durations. */
  readonly startedAt = performance.now();
  /** Response body bytes, counted by adapters that see them leave (h3); see downstreamBytes(). */
  responseBytes = 0;
  /** Content-Length of the head written to the client, -1 without one. */
  private declaredLength = -1;

  constructor(init: ExchangeInit) {
    this.protocol = init.protocol;
    this.entryPoint = init.entryPoint;
    this.scheme = init.scheme;
    this.facts = init.facts;
    this.remoteAddress = init.remoteAddress;
    this.remotePort = init.remotePort;
    this.localPort = init.localPort;
    this.tls = init.tls;
    this.currentBody = init.body;
    this.filledBody = init.body;
    this.hasBody = init.hasBody;
    this.method = init.method;
    this.url = init.url;
    this.authority = init.authority;
    this.requestHeaders = init.requestHeaders;
  }

  get statusCode(): number | undefined {
    return this.status;
  }

  get body(): Readable {
    return this.currentBody;
  }

  /**
   * The stream the entrypoint fills with what the client sends. `replaceBody` does not change it:
   * an adapter that pushes the client's bytes (h3) must push them here, not into whichever
   * stream a middleware handed on (retry replaces the body before the client has sent it all).
   */
  get clientBody(): Readable {
    return this.filledBody;
  }

  replaceBody(body: Readable): void {
    this.currentBody = body;
  }

  onResponseHeaders(hook: ResponseHeadersHook): void {
    (this.hooks ??= []).push(hook);
    (this.hookOwners ??= []).push(this.runningMiddleware);
  }

  interceptResponse(interceptor: ResponseInterceptor): void {
    (this.interceptors ??= []).push(interceptor);
    (this.interceptorOwners ??= []).push(this.runningMiddleware);
  }

  markResponseHandlers(): ResponseHandlersMark {
    return { hooks: this.hooks?.length ?? 0, interceptors: this.interceptors?.length ?? 0 };
  }

  rewindResponseHandlers(mark: ResponseHandlersMark): void {
    // Once the head is on its way the hooks have run and the interceptors are in use: nothing to undo.
    if (this.wire !== undefined || this.status !== undefined) return;
    if (this.hooks && this.hooks.length > mark.hooks) {
      this.hooks.length = mark.hooks;
      this.hookOwners!.length = mark.hooks;
    }
    if (this.interceptors && this.interceptors.length > mark.interceptors) {
      this.interceptors.length = mark.interceptors;
      this.interceptorOwners!.length = mark.interceptors;
    }
  }

  get middlewareFailure(): MiddlewareFailure | undefined {
    return this.failure;
  }

  middlewareFailed(failure: MiddlewareFailure): ResponseSink {
    if (this.failure) return new DiscardingSink();
    this.failure = failure;
    this.abortUpstream();
    if (this.wire === undefined) {
      // Straight to the wire: the hooks and interceptors are the code that failed.
      const body = Buffer.from('500 Internal Server Error\n');
      this.status = 500;
      const headers: HeaderMap = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) };
      if (this.altSvc !== undefined) mergeAltSvc(headers, this.altSvc);
      const sink = (this.wire = this.sendHead(500, headers));
      if (this.method === 'HEAD') sink.end();
      else sink.end(body);
    } else {
      // The client has a head and part of a body it cannot trust: cut the stream so it sees the failure.
      this.wire.destroy(failure.error instanceof Error ? failure.error : new Error(String(failure.error)));
    }
    return new DiscardingSink();
  }

  setUpstreamAbort(abort: () => void): void {
    if (this.aborted) abort();
    else this.upstreamAbort = abort;
  }

  abortUpstream(): void {
    this.aborted = true;
    const abort = this.upstreamAbort;
    this.upstreamAbort = undefined;
    abort?.();
  }

  get clientGone(): boolean {
    return this.gone;
  }

  /** The entrypoint saw the client leave before the response was complete: stop the upstream side too. */
  clientClosed(): void {
    this.gone = true;
    this.abortUpstream();
  }

  writeHead(status: number, headers: HeaderMap): ResponseSink {
    // After a middleware failed, the 500 (or the abort) is the response; what else arrives is dropped.
    if (this.failure) return new DiscardingSink();
    // Interceptors are used once each, innermost first; what they open goes on through the rest.
    const interceptor = this.interceptors?.pop();
    if (interceptor) {
      const middleware = this.interceptorOwners!.pop();
      let sink: ResponseSink;
      try {
        sink = interceptor(status, headers, (s, h) => this.writeHead(s, h));
      } catch (error) {
        return this.middlewareFailed({ middleware, phase: 'response-head', error });
      }
      // Its body transform is middleware code too: a throw there must end the response, not the relay.
      return new FailureGuardedSink(
        sink,
        (error) => this.middlewareFailed({ middleware, phase: 'response-body', error }),
        () => this.failure !== undefined,
      );
    }
    if (this.status !== undefined) throw new Error('response head already written');
    this.status = status;
    if (this.hooks)
      for (let i = this.hooks.length - 1; i >= 0; i--) {
        try {
          this.hooks[i]!(status, headers);
        } catch (error) {
          return this.middlewareFailed({ middleware: this.hookOwners![i], phase: 'response-head', error });
        }
      }
    if (this.altSvc !== undefined) mergeAltSvc(headers, this.altSvc);
    const length = headers['content-length'];
    this.declaredLength = typeof length === 'string' ? Number(length) : -1;
    return (this.wire = this.sendHead(status, headers));
  }

  respond(status: number, headers: HeaderMap, body?: string | Buffer): void {
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    const sink = this.writeHead(status, headers);
    if (payload !== undefined && this.method !== 'HEAD') sink.end(payload);
    else sink.end();
  }

  /**
   * Response body bytes sent to the client (the access log's DownstreamContentSize, the responses_bytes metrics).
   * HTTP/3 counts them as they leave; for h1/h2 Node's objects do not, so this is the Content-Length written,
   * or, for a response without one (chunked, h2 data frames), the bytes the server relayed.
   */
  downstreamBytes(): number {
    if (this.protocol === 'HTTP/3.0') return this.responseBytes;
    if (this.method === 'HEAD' || this.status === 204 || this.status === 304) return 0;
    return this.declaredLength >= 0 ? this.declaredLength : this.originBytes;
  }

  /** No interim response by default; the h1 adapter sends 100 Continue when the client asked (node-exchange.ts). */
  continueRequest(): void {}

  abstract requestTrailers(): HeaderMap | undefined;
  protected abstract sendHead(status: number, headers: HeaderMap): ResponseSink;
}

/** Add our `h3=` alternative unless the backend already advertised one; never duplicate it. */
export function mergeAltSvc(headers: HeaderMap, ours: string): void {
  const existing = headers['alt-svc'];
  if (existing === undefined) {
    headers['alt-svc'] = ours;
    return;
  }
  const joined = Array.isArray(existing) ? existing.join(', ') : existing;
  if (/(^|,)\s*h3=/.test(joined) || joined.trim() === 'clear') {
    headers['alt-svc'] = joined;
    return;
  }
  headers['alt-svc'] = `${joined}, ${ours}`;
}
