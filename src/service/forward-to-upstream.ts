/**
 * Send one exchange to one backend over an undici Pool and stream the
 * response back. Bodies stream both ways with back-pressure: the upload is
 * the client's Readable handed to undici; the download pauses the upstream
 * whenever the client's sink is full and resumes on 'drain'.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange, HeaderMap } from '../middleware/exchange.js';
import { stripHopByHop } from './hop-by-hop.js';
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
  const headers: HeaderMap = ex.requestHeaders;
  stripHopByHop(headers, true);
  delete headers.expect;
  delete headers.host;
  addForwardedHeaders(ex, headers, opts.serverName);
  headers.host = opts.passHostHeader ? ex.authority : opts.upstreamHost;
  const hasBody = ex.hasBody !== false;
  if (hasBody && ex.state.expectContinue) (ex.state.expectContinue as () => void)();

  return new Promise((resolve) => {
    let sink: ReturnType<Exchange['writeHead']> | undefined;
    let settled = false;
    const finish = (failure?: UpstreamFailure) => {
      if (settled) return;
      settled = true;
      resolve(failure);
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        // Client went away before we even started: don't bother the backend.
        if (ex.state.clientClosed) controller.abort(new Error('client closed'));
        else ex.state.abortUpstream = () => controller.abort(new Error('client closed'));
      },
      onResponseStart(controller, statusCode, responseHeaders: IncomingHttpHeaders) {
        if (statusCode < 200) return; // 1xx: undici reports them; we do not relay interim responses.
        const out = responseHeaders as HeaderMap;
        stripHopByHop(out, false);
        sink = ex.writeHead(statusCode, out);
      },
      onResponseData(controller, chunk) {
        if (sink && !sink.write(chunk)) {
          // Listen for drain only when the client is actually slow: most responses never need it.
          controller.pause();
          sink.once('drain', () => controller.resume());
        }
      },
      onResponseEnd(_controller, trailers) {
        if (sink) {
          const t = trailers && Object.keys(trailers).length ? (trailers as Record<string, string>) : undefined;
          if (t && ex.protocol !== 'HTTP/1.0') sink.addTrailers(t);
          sink.end();
        }
        finish();
      },
      onResponseError(_controller, err) {
        const failure = classify(err, ex);
        if (ex.statusCode === undefined) respondError(ex, failure === 'timeout' ? 504 : 502);
        else sink?.destroy(err);
        finish(failure);
      },
    };
    try {
      pool.dispatch(
        {
          path: ex.url,
          method: ex.method,
          headers: headers as Record<string, string | string[]>,
          body: hasBody ? ex.body : null,
        },
        handler,
      );
    } catch (err) {
      // Invalid request for undici (e.g. a header it refuses): our bug or a hostile client; never a crash.
      respondError(ex, 502);
      finish('reset');
    }
  });
}

function classify(err: Error & { code?: string }, ex: Exchange): UpstreamFailure {
  if (ex.state.clientClosed) return 'client-gone';
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
