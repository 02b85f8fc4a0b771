/**
 * HTTP/1.1 backends over an undici Pool, our usual upstream client. Bodies
 * stream both ways with back-pressure: the upload is the client's Readable
 * handed to undici; the download pauses the backend whenever the client's
 * sink is full (UpstreamAttempt). A WebSocket upgrade leaves the pool for its
 * own connection (upgrade-upstream.ts).
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange, HeaderMap } from '../exchange/exchange.js';
import { withoutHopByHop } from '../exchange/hop-by-hop.js';
import { tunnelUpstream } from './upgrade-upstream.js';
import { UpstreamAttempt, type UpstreamFailure, type UpstreamTimeouts } from './upstream-attempt.js';
import { upstreamRequestHeaders, type ForwardOptions, type UpstreamClient } from './upstream-client.js';

export class PoolUpstream implements UpstreamClient {
  constructor(
    private readonly pool: Dispatcher,
    private readonly timeouts: UpstreamTimeouts,
    /** The TLS server name (ServersTransport serverName): undici would otherwise take it from the Host header passed on. */
    private readonly servername?: string,
  ) {}

  forward(ex: Exchange, opts: ForwardOptions): Promise<UpstreamFailure | undefined> {
    const tunnel = ex.tunnel;
    if (tunnel && opts.upgradeTarget) {
      return tunnelUpstream(ex, tunnel, opts.upgradeTarget.url, opts.upgradeTarget.tls, opts).then(() => undefined);
    }
    const headers = upstreamRequestHeaders(ex, opts);
    const hasBody = ex.hasBody !== false;
    if (hasBody) ex.continueRequest();
    return new Promise((resolve) => {
      const relay = new UndiciResponseRelay(ex, this.timeouts, resolve);
      try {
        const request: Dispatcher.DispatchOptions & { servername?: string } = {
          path: ex.url,
          method: ex.method,
          headers: headers as Record<string, string | string[]>,
          body: hasBody ? ex.body : null,
        };
        // undici reads servername per request (its types leave it out).
        if (this.servername) request.servername = this.servername;
        this.pool.dispatch(request, relay);
      } catch (err) {
        // Invalid request for undici (e.g. a header it refuses): our bug or a hostile client; never a crash.
        relay.failed(err as Error);
      }
    });
  }
}

/**
 * undici's handler for one request: the attempt itself, so one allocation per
 * request on the hottest path there is.
 */
class UndiciResponseRelay extends UpstreamAttempt implements Dispatcher.DispatchHandler {
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.started((reason) => controller.abort(reason));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, responseHeaders: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: undici reports them; we do not relay interim responses.
    this.responseHead(statusCode, withoutHopByHop(responseHeaders as HeaderMap));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.responseData(chunk, controller);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.responseEnd(trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.failed(err);
  }
}
