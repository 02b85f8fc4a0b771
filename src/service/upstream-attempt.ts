/**
 * One exchange's request to one backend, whichever client carries it (the
 * undici pool, node:http for requests with trailers, http2-wrapper for h2
 * backends). Everything those clients used to repeat lives here once:
 * settling once with why it failed, the response-header timeout, the error
 * classification and the 502/504 it maps to, and the relay of the response
 * with back-pressure.
 *
 * The backend never waits forever on the client: the request is aborted and
 * the attempt settled (so its backend connection is released) when the client
 * leaves, when a middleware gives up, and when the client stops reading for
 * `clientStallMs` (no 'drain' since the sink said it was full: a zero-window
 * HTTP/2 reader, a socket nobody reads).
 */
import type { Exchange, HeaderMap, ResponseSink, RetryableUpstreamFailure } from '../exchange/exchange.js';
import { respondError } from '../exchange/http-error.js';
import { upstreamOverload } from '../observability/upstream-overload-metrics.js';

/** Why an upstream exchange failed, for status mapping, passive health and metrics. */
export type UpstreamFailure = 'connect' | 'timeout' | 'reset' | 'client-gone' | 'client-stall';

export interface UpstreamTimeouts {
  /** Wait at most this for the response head once the request is sent; 0 = no limit. */
  responseHeaderMs: number;
  /** Give up on a response the client has not read for this long; 0 = no limit. */
  clientStallMs: number;
}

/** The backend's side of the response: undici's controller, a node:http IncomingMessage. */
export interface PausableResponse {
  pause(): unknown;
  resume(): unknown;
}

export class UpstreamAttempt {
  private sink: ResponseSink | undefined;
  private settled = false;
  private headerTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private abortRequest: ((reason: Error) => void) | undefined;

  constructor(
    protected readonly ex: Exchange,
    private readonly timeouts: UpstreamTimeouts,
    private readonly resolve: (failure: UpstreamFailure | undefined) => void,
  ) {}

  get done(): boolean {
    return this.settled;
  }

  /**
   * The request is on its way; `abort` stops it and frees its connection.
   * If the exchange was aborted already (the client left while we waited),
   * this aborts at once.
   */
  started(abort: (reason: Error) => void): void {
    this.abortRequest = abort;
    this.ex.originStartedAt = performance.now();
    const ms = this.timeouts.responseHeaderMs;
    if (ms > 0 && this.headerTimer === undefined) this.headerTimer = setTimeout(() => this.giveUp('timeout', 504, 'response header timeout'), ms);
    this.ex.setUpstreamAbort(() => this.giveUp(this.ex.clientGone ? 'client-gone' : 'reset', 502, 'downstream aborted'));
  }

  /** The response head arrived: write it (without hop-by-hop fields, already removed by the caller). */
  responseHead(status: number, headers: HeaderMap): void {
    if (this.settled) return;
    clearTimeout(this.headerTimer);
    this.ex.originStatus = status;
    this.sink = this.ex.writeHead(status, headers);
  }

  /**
   * A body chunk. When the client's sink is full, pause the backend and
   * resume on 'drain'; a client that does not drain within clientStallMs
   * loses its response and the backend its request.
   */
  responseData(chunk: Buffer, backend: PausableResponse): void {
    const sink = this.sink;
    this.ex.originBytes = (this.ex.originBytes ?? 0) + chunk.length;
    if (this.settled || !sink || sink.write(chunk)) return;
    if (this.ex.clientGone || sink.destroyed) return this.giveUp('client-gone', 502, 'client gone');
    // Listen for drain only when the client is actually slow: most responses never need it.
    backend.pause();
    const onDrain = () => {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      if (!this.settled) backend.resume();
    };
    sink.once('drain', onDrain);
    const ms = this.timeouts.clientStallMs;
    if (ms > 0)
      this.stallTimer = setTimeout(() => {
        sink.removeListener('drain', onDrain);
        this.giveUp('client-stall', 502, 'client stopped reading');
      }, ms);
  }

  responseEnd(trailers: Record<string, string | string[] | undefined> | undefined): void {
    if (this.settled) return;
    const sink = this.sink;
    // Before end(): ending the response may finish the exchange (and write its access log line) at once.
    this.ex.originEndedAt = performance.now();
    if (sink) {
      if (trailers && this.ex.protocol !== 'HTTP/1.0') {
        for (const _k in trailers) {
          sink.addTrailers(trailers as Record<string, string>);
          break;
        }
      }
      sink.end();
    }
    this.finish(undefined);
  }

  /**
   * The client reported an error: answer 502/504 if nothing was sent yet, else cut the response.
   * A network failure before the backend answered goes first to a retrying middleware, if there
   * is one: taken, nothing is written and the request is sent again.
   */
  failed(err: Error & { code?: string }): void {
    if (this.settled) return;
    const failure = classifyUpstreamError(err, this.ex);
    const retryable = this.sink === undefined && this.ex.statusCode === undefined ? retryableFailure(failure, err) : undefined;
    if (retryable === undefined || !this.ex.upstreamRetry?.offer(retryable)) this.closeDownstream(failure === 'timeout' ? 504 : 502, err);
    this.finish(failure);
  }

  /** Stop here for our own reason: settle first (later errors from the client are ours), then abort the request. */
  private giveUp(failure: UpstreamFailure, status: number, why: string): void {
    if (this.settled) return;
    const reason = new Error(why);
    this.closeDownstream(status, reason);
    this.finish(failure);
    this.abortRequest?.(reason);
  }

  private closeDownstream(status: number, err: Error): void {
    if (this.ex.statusCode === undefined) respondError(this.ex, status);
    else this.sink?.destroy(err);
  }

  private finish(failure: UpstreamFailure | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if ((this.ex.originEndedAt ?? 0) < (this.ex.originStartedAt ?? 0)) this.ex.originEndedAt = performance.now();
    clearTimeout(this.headerTimer);
    clearTimeout(this.stallTimer);
    if (failure === 'client-gone' || failure === 'client-stall') upstreamOverload.abandoned(this.ex.entryPoint, failure);
    this.resolve(failure);
  }
}

/**
 * A failure a retry may cure: the backend refused or dropped the connection
 * before answering. undici's connect timeout is a refusal by silence (nothing
 * was sent); a response-header timeout is not (the backend may be working).
 */
function retryableFailure(failure: UpstreamFailure, err: { code?: string }): RetryableUpstreamFailure | undefined {
  if (failure === 'connect' || failure === 'reset') return failure;
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect';
  return undefined;
}

export function classifyUpstreamError(err: Error & { code?: string }, ex: Exchange): UpstreamFailure {
  if (ex.clientGone) return 'client-gone';
  switch (err.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return 'connect';
    default:
      return 'reset';
  }
}
