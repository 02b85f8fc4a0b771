/**
 * Relay a response that arrives as a Node IncomingMessage (node:http's client,
 * http2-wrapper's) through an UpstreamAttempt: head without pseudo-headers and
 * hop-by-hop fields, body with back-pressure, trailers.
 */
import type { IncomingMessage } from 'node:http';
import type { HeaderMap } from '../exchange/exchange.js';
import { withoutHopByHop } from '../exchange/hop-by-hop.js';
import type { UpstreamAttempt } from './upstream-attempt.js';

export function relayNodeResponse(attempt: UpstreamAttempt, res: IncomingMessage): void {
  let out = res.headers as HeaderMap;
  for (const k in out)
    if (k.charCodeAt(0) === 58 /* ':' */) {
      out = { ...out };
      for (const p in out) if (p.charCodeAt(0) === 58) delete out[p];
      break;
    }
  attempt.responseHead(res.statusCode ?? 502, withoutHopByHop(out));
  res.on('data', (chunk: Buffer) => attempt.responseData(chunk, res));
  res.once('end', () => attempt.responseEnd(res.trailers as HeaderMap | undefined));
  res.on('error', (err: Error) => attempt.failed(err));
  // A response cut before its end ('aborted' without 'error' on some Node versions) must still settle.
  res.once('close', () => {
    if (!attempt.done && !res.complete) attempt.failed(Object.assign(new Error('backend response cut'), { code: 'ECONNRESET' }));
  });
}
