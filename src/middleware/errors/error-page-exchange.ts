/**
 * The request for an error page (the `errors` middleware): a GET of its own,
 * on the client's connection facts, sent through the error service as a
 * router sends a client's request. Its response goes to the client under the
 * status the middleware decided, whatever status the page came with, with the
 * page's headers; to a HEAD request, without its body.
 */
import type { Exchange, HeaderMap, ResponseSink } from '../../exchange/exchange.js';
import { ExchangeBase, derivedExchangeInit, type DerivedRequest } from '../../exchange/exchange-base.js';
import { ForwardingSink } from '../../exchange/forwarding-sink.js';

/** The client's sink for a response that has a head and no body (HEAD): body bytes are dropped, the end passes. */
class BodylessSink extends ForwardingSink {
  override write(): boolean {
    return true;
  }

  override end(): void {
    this.inner.end();
  }

  override addTrailers(): void {}
}

export class ErrorPageExchange extends ExchangeBase {
  constructor(
    private readonly client: Exchange,
    /** The status the client gets: the original one, or its rewrite. */
    private readonly clientStatus: number,
    request: DerivedRequest,
  ) {
    super(derivedExchangeInit(client, request));
    this.routerName = client.routerName;
  }

  requestTrailers(): HeaderMap | undefined {
    return undefined;
  }

  protected sendHead(_pageStatus: number, headers: HeaderMap): ResponseSink {
    const sink = this.client.writeHead(this.clientStatus, headers);
    return this.client.method === 'HEAD' ? new BodylessSink(sink) : sink;
  }
}
