/**
 * h1 and h2 exchanges on Node's own server objects. http.ServerResponse and
 * Http2ServerResponse both satisfy ResponseSink, so the adapter only
 * translates the head.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { HeaderMap, ResponseSink } from '../exchange/exchange.js';
import { ExchangeBase, type ExchangeInit } from '../exchange/exchange-base.js';
import { definedHeaders } from '../exchange/hop-by-hop.js';
import { DiscardingSink } from '../exchange/failure-guarded-sink.js';

/**
 * An h2 stream the client reset (RST_STREAM, or its connection closed) before
 * our response ended emits 'aborted'. The response's own 'close' cannot tell
 * this apart from a finished response: Node ends the writable side of a reset
 * stream, so `writableFinished` reads true. Without this the backend request
 * went on, its relay paused for a 'drain' the dead stream never emits, and the
 * backend connection stayed pinned (issue 9.1: one per HEADERS+RST_STREAM).
 * A stream reset in the same read as its HEADERS is already aborted here.
 */
function watchH2Stream(ex: ExchangeBase, stream: Http2ServerRequest['stream'] & { aborted?: boolean }): void {
  if (stream.aborted || stream.destroyed) ex.clientClosed();
  else stream.once('aborted', () => ex.clientClosed());
}

export class NodeExchange extends ExchangeBase {
  /** The h1 client sent `Expect: 100-continue` and has not had its 100 yet (the entrypoint sets it). */
  expectsContinue = false;

  constructor(
    init: ExchangeInit,
    private readonly req: IncomingMessage | Http2ServerRequest,
    private readonly res: ServerResponse | Http2ServerResponse,
  ) {
    super(init);
    const stream = (req as Http2ServerRequest).stream as (Http2ServerRequest['stream'] & { aborted?: boolean }) | undefined;
    if (stream) watchH2Stream(this, stream);
  }

  override continueRequest(): void {
    if (!this.expectsContinue) return;
    this.expectsContinue = false;
    if (!this.res.headersSent) (this.res as ServerResponse).writeContinue();
  }

  requestTrailers(): HeaderMap | undefined {
    const t = this.req.trailers;
    return t && Object.keys(t).length ? (t as HeaderMap) : undefined;
  }

  protected sendHead(status: number, headers: HeaderMap): ResponseSink {
    const res = this.res;
    if (res.headersSent) return res as unknown as ResponseSink;
    // A response the entrypoint already cut (writeTimeout, a stalled reader: h2 RST_STREAM, h1 socket destroyed)
    // or whose client left takes nothing more: writing its head would throw ERR_HTTP2_INVALID_STREAM.
    const stream = (res as Http2ServerResponse).stream as { destroyed?: boolean; closed?: boolean } | undefined;
    if ((res as { destroyed?: boolean }).destroyed || stream?.destroyed || stream?.closed || this.clientGone) return new DiscardingSink();
    // Node refuses undefined values (hop-by-hop stripping leaves them) and h2 refuses connection-specific headers.
    let clean: Record<string, string | string[]> | undefined;
    for (const k in headers) {
      if (headers[k] === undefined || (this.protocol === 'HTTP/2.0' && (k === 'transfer-encoding' || k === 'connection'))) {
        clean = definedHeaders(headers);
        break;
      }
    }
    (res as ServerResponse).writeHead(status, clean ?? (headers as Record<string, string | string[]>));
    return res as unknown as ResponseSink;
  }
}
