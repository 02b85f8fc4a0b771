/**
 * `mirroring` services (Traefik's semantics): every request goes to the main
 * service and its answer to the client; a mirror gets a copy of the request
 * while it has had fewer than `percent`% of the requests so far (counted, not
 * random, so 10 requests at 50% mirror exactly 5). The copies leave only once
 * the main exchange is done, their answers are dropped, and nothing a mirror
 * does — hang, refuse, fail — reaches the client. With `mirrorBody` (default)
 * the body is read first so both sides get it; a body over `maxBodySize` is
 * passed on to the main service alone and that request is not mirrored.
 */
import { Readable } from 'node:stream';
import type { HeaderMap, Handler, ResponseSink } from '../exchange/exchange.js';
import type { MirroringService } from '../dynamic/model.js';
import { ExchangeBase, derivedExchangeInit } from '../exchange/exchange-base.js';
import { DiscardingSink } from '../exchange/failure-guarded-sink.js';
import type { ServiceHealth } from './service-health.js';

export interface Mirror {
  handler: Handler;
  percent: number;
  /** Requests copied to this mirror so far. */
  count: number;
}

/** A copy of a client's request sent to a mirror: its response goes nowhere. */
class MirrorExchange extends ExchangeBase {
  requestTrailers(): HeaderMap | undefined {
    return undefined;
  }

  protected sendHead(): ResponseSink {
    return new DiscardingSink();
  }
}

export function buildMirroringService(
  config: MirroringService,
  main: { handler: Handler; health: ServiceHealth | undefined },
  mirrors: Mirror[],
  onMirrorError: (error: unknown) => void,
): { handler: Handler; health: ServiceHealth | undefined } {
  const mirrorBody = config.mirrorBody ?? true;
  const maxBodySize = config.maxBodySize ?? -1;
  let total = 0;
  const active: Mirror[] = [];
  const handler: Handler = async (ex) => {
    total++;
    active.length = 0;
    for (const m of mirrors)
      if (m.count * 100 < total * m.percent) {
        m.count++;
        active.push(m);
      }
    if (active.length === 0) return main.handler(ex);
    const chosen = active.slice();
    let body: Buffer | undefined;
    if (mirrorBody && ex.hasBody !== false) {
      const read = await readUpTo(ex.body, maxBodySize);
      if (read.rest) {
        // Too large to mirror: the main service gets what was read, then the rest.
        ex.replaceBody(Readable.from(concatStreams(read.chunks, ex.body), { objectMode: false }));
        return main.handler(ex);
      }
      body = Buffer.concat(read.chunks);
      ex.replaceBody(Readable.from([body], { objectMode: false }));
    }
    // The main service edits the request in place (hop-by-hop fields, forwarding headers): copy it first.
    const snapshot = {
      method: ex.method,
      url: ex.url,
      authority: ex.authority,
      headers: structuredClone(ex.requestHeaders),
    };
    await main.handler(ex);
    if (ex.clientGone) return;
    for (const m of chosen) {
      const headers = structuredClone(snapshot.headers);
      if (body === undefined) {
        delete headers['content-length'];
        delete headers['transfer-encoding'];
      }
      const copy = new MirrorExchange(
        derivedExchangeInit(ex, {
          body: Readable.from(body === undefined ? [] : [body], { objectMode: false }),
          hasBody: body !== undefined && body.length > 0,
          method: snapshot.method,
          url: snapshot.url,
          authority: snapshot.authority,
          requestHeaders: headers,
        }),
      );
      copy.routerName = ex.routerName;
      // Not awaited: the client's exchange is over whatever the mirror does.
      void Promise.resolve()
        .then(() => m.handler(copy))
        .catch(onMirrorError);
    }
  };
  // With healthCheck, the mirroring service is as healthy as its main service (the table checks that it reports).
  return { handler, health: config.healthCheck !== undefined ? main.health : undefined };
}

/** Read the body until its end, or until it exceeds `max` bytes (then the stream is left paused with the rest). */
function readUpTo(body: Readable, max: number): Promise<{ chunks: Buffer[]; rest: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (rest: boolean) => {
      body.off('data', onData).off('end', onEnd).off('error', onError);
      resolve({ chunks, rest });
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      size += buf.length;
      if (max >= 0 && size > max) {
        body.pause();
        done(true);
      }
    };
    const onEnd = () => done(false);
    const onError = (err: Error) => {
      body.off('data', onData).off('end', onEnd);
      reject(err);
    };
    body.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

async function* concatStreams(head: Buffer[], tail: Readable): AsyncGenerator<Buffer> {
  yield* head;
  for await (const chunk of tail) yield chunk as Buffer;
}
