/**
 * Relay a response that arrives as a Node IncomingMessage (node:http's client,
 * http2-wrapper's) to the exchange: head without hop-by-hop fields, body with
 * back-pressure (pause the upstream while the client's sink is full), trailers.
 */
import type { IncomingMessage } from 'node:http';
import type { Exchange, HeaderMap } from '../middleware/exchange.js';
import { withoutHopByHop } from './hop-by-hop.js';
import type { UpstreamFailure } from './forward-to-upstream.js';

export function relayNodeResponse(ex: Exchange, res: IncomingMessage, finish: (failure?: UpstreamFailure) => void): void {
  let out = res.headers as HeaderMap;
  for (const k in out)
    if (k.charCodeAt(0) === 58 /* ':' */) {
      out = { ...out };
      for (const p in out) if (p.charCodeAt(0) === 58) delete out[p];
      break;
    }
  const sink = ex.writeHead(res.statusCode ?? 502, withoutHopByHop(out));
  res.on('data', (chunk: Buffer) => {
    if (!sink.write(chunk)) {
      res.pause();
      sink.once('drain', () => res.resume());
    }
  });
  res.once('end', () => {
    const t = res.trailers as Record<string, string> | undefined;
    if (t && Object.keys(t).length && ex.protocol !== 'HTTP/1.0') sink.addTrailers(t);
    sink.end();
    finish();
  });
  res.once('error', (err: Error) => {
    sink.destroy(err);
    finish('reset');
  });
}
