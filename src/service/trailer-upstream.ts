/**
 * Requests that carry trailers, to HTTP/1.1 backends. undici (our usual
 * upstream client, pool-upstream.ts) has no way to send request trailers, so
 * a request that announces them with a `Trailer` header field (RFC 9110
 * §6.6.2) goes through node:http's client instead, whose chunked encoding can
 * end with a trailer section. The body still streams with back-pressure; the
 * response is relayed as any other.
 */
import http, { type Agent } from 'node:http';
import https from 'node:https';
import type { Exchange, HeaderMap } from '../exchange/exchange.js';
import { definedHeaders, isHopByHop } from '../exchange/hop-by-hop.js';
import { relayNodeResponse } from './relay-node-response.js';
import { UpstreamAttempt, type UpstreamFailure, type UpstreamTimeouts } from './upstream-attempt.js';
import { upstreamRequestHeaders, type ForwardOptions, type UpstreamClient } from './upstream-client.js';

/** The field names a request announces in `Trailer`, when it has a body that may end with them. */
export function announcedTrailers(ex: Exchange): string | undefined {
  if (ex.hasBody === false) return undefined;
  const t = ex.requestHeaders.trailer;
  const names = Array.isArray(t) ? t.join(', ') : t;
  return names && names.trim() ? names : undefined;
}

export class TrailerUpstream implements UpstreamClient {
  constructor(
    private readonly origin: URL,
    private readonly agent: Agent,
    private readonly timeouts: UpstreamTimeouts,
  ) {}

  forward(ex: Exchange, opts: ForwardOptions): Promise<UpstreamFailure | undefined> {
    const announced = announcedTrailers(ex)!;
    const headers = upstreamRequestHeaders(ex, opts);
    // Trailers exist only after a chunked body: drop a Content-Length so node:http chunks it,
    // and announce again what follows (Trailer itself was stripped with the hop-by-hop fields).
    headers['content-length'] = undefined;
    headers.trailer = announced;
    ex.continueRequest();
    const origin = this.origin;
    return new Promise((resolve) => {
      const attempt = new UpstreamAttempt(ex, this.timeouts, resolve);
      const req = (origin.protocol === 'https:' ? https : http).request({
        agent: this.agent,
        hostname: origin.hostname.replace(/^\[|\]$/g, ''),
        port: origin.port || (origin.protocol === 'https:' ? 443 : 80),
        path: ex.url,
        method: ex.method,
        headers: definedHeaders(headers),
      });
      attempt.started((reason) => req.destroy(reason));
      req.once('response', (res) => relayNodeResponse(attempt, res));
      req.on('error', (err) => attempt.failed(err));
      ex.body.pipe(req, { end: false });
      ex.body.once('end', () => {
        const trailers = ex.requestTrailers();
        if (trailers) req.addTrailers(forwardableTrailers(trailers));
        req.end();
      });
    });
  }
}

/** Trailer fields a client sent, less any that describe only its own connection. */
function forwardableTrailers(trailers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in trailers) {
    const v = trailers[k];
    if (v !== undefined && !isHopByHop(k)) out[k] = v;
  }
  return out;
}
