/**
 * HTTP/2 to backends — h2 over TLS, or h2c (prior knowledge) for `h2c://`
 * URLs and `serversTransport.http2` with http:// — through http2-wrapper,
 * whose Agent pools sessions per origin and opens more when one is full.
 * An UpstreamClient like the others: bodies stream both ways with
 * back-pressure, trailers pass through, failures map to 502/504.
 */
import http2wrapper from 'http2-wrapper';
import { connect as netConnect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Exchange } from '../exchange/exchange.js';
import { definedHeaders } from '../exchange/hop-by-hop.js';
import { relayNodeResponse } from './relay-node-response.js';
import { UpstreamAttempt, type UpstreamFailure, type UpstreamTimeouts } from './upstream-attempt.js';
import { upstreamRequestHeaders, type ForwardOptions, type UpstreamClient } from './upstream-client.js';

/** http2-wrapper's Agent speaks TLS only; for h2c hand it a plain TCP socket. */
class CleartextHttp2Agent extends http2wrapper.Agent {
  override async createConnection(origin: URL): Promise<import('node:tls').TLSSocket> {
    // Typed as TLS by the library; http2.connect accepts any duplex socket for an http: origin.
    return netConnect(Number(origin.port || 80), origin.hostname.replace(/^\[|\]$/g, '')) as unknown as import('node:tls').TLSSocket;
  }
}

export class Http2Upstream implements UpstreamClient {
  private readonly agent: InstanceType<typeof http2wrapper.Agent>;
  private readonly target: URL;

  constructor(
    url: URL,
    private readonly tls: ConnectionOptions | undefined,
    private readonly timeouts: UpstreamTimeouts,
  ) {
    const cleartext = url.protocol !== 'https:';
    this.target = new URL(url.href.replace(/^h2c:/, 'http:'));
    this.agent = cleartext ? new CleartextHttp2Agent({ maxEmptySessions: 4 }) : new http2wrapper.Agent({ maxEmptySessions: 4 });
  }

  forward(ex: Exchange, opts: ForwardOptions): Promise<UpstreamFailure | undefined> {
    const headers = upstreamRequestHeaders(ex, opts);
    // HTTP/2 carries the host as :authority, never as a Host field.
    const authority = headers.host as string;
    headers.host = undefined;
    if (ex.hasBody !== false) ex.continueRequest();
    return new Promise((resolve) => {
      const attempt = new UpstreamAttempt(ex, this.timeouts, resolve);
      const req = http2wrapper.request(
        {
          agent: this.agent,
          protocol: 'https:',
          hostname: this.target.hostname,
          port: this.target.port || (this.target.protocol === 'https:' ? 443 : 80),
          path: ex.url,
          method: ex.method,
          headers: { ...definedHeaders(headers), ':authority': authority },
          ...(this.tls ?? {}),
        } as never,
        (res) => relayNodeResponse(attempt, res as unknown as IncomingMessage),
      );
      attempt.started((reason) => req.destroy(reason));
      req.on('error', (err: Error) => attempt.failed(err));
      if (ex.hasBody !== false) ex.body.pipe(req);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
