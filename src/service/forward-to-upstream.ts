/**
 * Send one exchange to one backend over an undici Pool and stream the
 * response back. Bodies stream both ways with back-pressure: the upload is
 * the client's Readable handed to undici; the download pauses the upstream
 * whenever the client's sink is full and resumes on 'drain'.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange, HeaderMap } from '../middleware/exchange.js';
import { stripHopByHop, withoutHopByHop } from './hop-by-hop.js';
import { addForwardedHeaders } from './forwarded-headers.js';
import { respondError } from './http-error.js';
import { tunnelUpstream } from './upgrade-upstream.js';
import type { UpgradeState } from '../entrypoint/websocket-tunnel.js';
import type { ConnectionOptions } from 'node:tls';

export interface ForwardOptions {
  passHostHeader: boolean;
  /** Host header to use when passHostHeader is false (the backend's host:port). */
  upstreamHost: string;
  serverName: string;
  /** Where a WebSocket upgrade goes (the same server, reached over HTTP/1.1). */
  upgradeTarget?: { url: URL; tls?: ConnectionOptions };
}

/** Why an upstream exchange failed, for status mapping and metrics. */
export type UpstreamFailure = 'connect' | 'timeout' | 'reset' | 'client-gone';

export function forwardToUpstream(
  ex: Exchange,
  pool: Dispatcher,
  opts: ForwardOptions,
): Promise<UpstreamFailure | undefined> {
  const upgrade = ex.state.upgrade as UpgradeState | undefined;
  if (upgrade && opts.upgradeTarget) {
    return tunnelUpstream(ex, upgrade, opts.upgradeTarget.url, opts.upgradeTarget.tls, opts).then(() => undefined);
  }
  const headers = upstreamRequestHeaders(ex, opts);
  const hasBody = ex.hasBody !== false;
  if (hasBody) continueIfExpected(ex);

  return new Promise((resolve) => {
    const relay = new UpstreamResponseRelay(ex, resolve);
    try {
      pool.dispatch(
        {
          path: ex.url,
          method: ex.method,
          headers: headers as Record<string, string | string[]>,
          body: hasBody ? ex.body : null,
        },
        relay,
      );
    } catch (err) {
      // Invalid request for undici (e.g. a header it refuses): our bug or a hostile client; never a crash.
      respondError(ex, 502);
      relay.finish('reset');
    }
  });
}

/** The request's headers as an HTTP/1.1 backend gets them (edited in place): no hop-by-hop fields or Expect, our forwarding hop added, Host as configured. */
export function upstreamRequestHeaders(ex: Exchange, opts: ForwardOptions): HeaderMap {
  const headers: HeaderMap = ex.requestHeaders;
  stripHopByHop(headers, true);
  delete headers.expect;
  delete headers.host;
  addForwardedHeaders(ex, headers, opts.serverName);
  headers.host = opts.passHostHeader ? ex.authority : opts.upstreamHost;
  return headers;
}

/** Expect: 100-continue is answered only now that routing and middlewares let the request through to a backend. */
export function continueIfExpected(ex: Exchange): void {
  (ex.state.expectContinue as (() => void) | undefined)?.();
}

/**
 * Relays one upstream response to the exchange. A class rather than an object
 * of closures: one allocation per request on the hottest path there is.
 */
class UpstreamResponseRelay implements Dispatcher.DispatchHandler {
  private sink: ReturnType<Exchange['writeHead']> | undefined;
  private settled = false;

  constructor(
    private readonly ex: Exchange,
    private readonly resolve: (failure: UpstreamFailure | undefined) => void,
  ) {}

  finish(failure?: UpstreamFailure): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(failure);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Runs at once if the client went away before we even started: don't bother the backend.
    this.ex.setUpstreamAbort(() => controller.abort(new Error('client closed')));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, responseHeaders: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: undici reports them; we do not relay interim responses.
    this.sink = this.ex.writeHead(statusCode, withoutHopByHop(responseHeaders as HeaderMap));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.sink;
    if (sink && !sink.write(chunk)) {
      // Listen for drain only when the client is actually slow: most responses never need it.
      controller.pause();
      sink.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    const sink = this.sink;
    if (sink) {
      const t = trailers && Object.keys(trailers).length ? (trailers as Record<string, string>) : undefined;
      if (t && this.ex.protocol !== 'HTTP/1.0') sink.addTrailers(t);
      sink.end();
    }
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const failure = classify(err, this.ex);
    if (this.ex.statusCode === undefined) respondError(this.ex, failure === 'timeout' ? 504 : 502);
    else this.sink?.destroy(err);
    this.finish(failure);
  }
}

export function classify(err: Error & { code?: string }, ex: Exchange): UpstreamFailure {
  if (ex.clientGone) return 'client-gone';
  switch (err.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
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
