/**
 * An in-memory Exchange for middleware unit tests: no sockets, the response
 * collected as status, headers and body bytes. It is the production
 * ExchangeBase (src/exchange/exchange-base.ts: hooks, interceptors, respond,
 * upstream abort) with the wire replaced by a MemorySink that reports
 * back-pressure.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Exchange, Handler, HeaderMap, HttpProtocol, ResponseSink, TlsFacts } from '../exchange/exchange.js';
import { ExchangeBase } from '../exchange/exchange-base.js';

/**
 * A response sink that behaves like a slow client when asked: after
 * `highWaterMark` bytes without a drain, write() returns false, and 'drain'
 * follows on a later turn (or when `drain()` is called, with autoDrain off).
 */
export class MemorySink extends EventEmitter implements ResponseSink {
  readonly chunks: Buffer[] = [];
  headersSent = true;
  destroyed = false;
  ended = false;
  trailers: Record<string, string> | undefined;
  /** Bytes written since the last drain. */
  pending = 0;
  maxPending = 0;
  /** Times write() answered false. */
  fullSignals = 0;
  /** write() calls made while the sink had said it was full (a back-pressure violation by the writer). */
  writesWhileFull = 0;
  private full = false;
  destroyError: Error | undefined;

  constructor(
    private readonly highWaterMark = Infinity,
    private readonly autoDrain = true,
  ) {
    super();
  }

  write(chunk: Buffer | string): boolean {
    if (this.ended) throw new Error('write after end');
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.full) this.writesWhileFull++;
    this.chunks.push(b);
    this.pending += b.length;
    this.maxPending = Math.max(this.maxPending, this.pending);
    if (this.pending < this.highWaterMark) return true;
    if (!this.full) {
      this.full = true;
      this.fullSignals++;
      if (this.autoDrain) setImmediate(() => this.drain());
    }
    return false;
  }

  /** What a socket does once it has flushed: reset the count and say so. */
  drain(): void {
    this.pending = 0;
    if (!this.full) return;
    this.full = false;
    this.emit('drain');
  }

  end(chunk?: Buffer | string): void {
    if (this.ended) return;
    if (chunk !== undefined) this.write(chunk);
    this.ended = true;
    this.emit('finish');
    this.emit('close');
  }

  addTrailers(trailers: Record<string, string>): void {
    this.trailers = trailers;
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.destroyError = error;
    this.emit('close');
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface MemoryExchangeInit {
  method?: string;
  /** Origin-form path and query. */
  url?: string;
  /** Host[:port] the client addressed. */
  authority?: string;
  /** Header names in any case; stored lower-case. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer | Readable;
  remoteAddress?: string;
  scheme?: 'http' | 'https';
  protocol?: HttpProtocol;
  localPort?: number;
  tls?: TlsFacts;
  /** For the response sink (see MemorySink). */
  highWaterMark?: number;
  autoDrain?: boolean;
}

export class MemoryExchange extends ExchangeBase {
  readonly sink: MemorySink;
  /** How many times the hooks ran (the contract says once). */
  hookRuns = 0;
  private writtenHeaders: HeaderMap | undefined;

  constructor(init: MemoryExchangeInit = {}) {
    const scheme = init.scheme ?? 'http';
    const method = init.method ?? 'GET';
    const url = init.url ?? '/';
    const authority = init.authority ?? 'example.test';
    const remoteAddress = init.remoteAddress ?? '127.0.0.1';
    const requestHeaders: HeaderMap = {};
    for (const [k, v] of Object.entries(init.headers ?? {})) requestHeaders[k.toLowerCase()] = v;
    requestHeaders.host ??= authority;
    const b = init.body;
    const q = url.indexOf('?');
    super({
      protocol: init.protocol ?? 'HTTP/1.1',
      entryPoint: 'web',
      scheme,
      facts: {
        method,
        host: authority
          .replace(/:\d+$/, '')
          .replace(/^\[(.*)\]$/, '$1')
          .toLowerCase(),
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? '' : url.slice(q + 1),
        headers: { ...requestHeaders },
        clientIp: remoteAddress,
      },
      remoteAddress,
      remotePort: 50000,
      localPort: init.localPort ?? (scheme === 'https' ? 443 : 80),
      tls: init.tls ?? (scheme === 'https' ? { optionsName: 'default', serverName: authority } : undefined),
      body: b === undefined ? Readable.from([]) : b instanceof Readable ? b : Readable.from([Buffer.from(b)]),
      hasBody: b !== undefined,
      method,
      url,
      authority,
      requestHeaders,
    });
    this.sink = new MemorySink(init.highWaterMark, init.autoDrain ?? true);
  }

  requestTrailers(): HeaderMap | undefined {
    return undefined;
  }

  /** The head as it reaches the wire: after every interceptor and hook. */
  protected sendHead(_status: number, headers: HeaderMap): ResponseSink {
    this.hookRuns++;
    this.writtenHeaders = headers;
    return this.sink;
  }

  /** The written head, with undefined values (deleted headers) dropped. */
  get responseHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(this.writtenHeaders ?? {})) if (v !== undefined) out[k] = v;
    return out;
  }

  get responseBody(): Buffer {
    return this.sink.body;
  }

  /** Resolves when the response is complete (ended or destroyed). */
  finished(): Promise<void> {
    if (this.sink.ended || this.sink.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.sink.once('close', resolve));
  }
}

/** What a service does with an upstream response: head, then body chunks honouring back-pressure. */
export function respondWith(status: number, headers: HeaderMap, chunks: Array<string | Buffer> = []): Handler {
  return async (ex) => {
    const sink = ex.writeHead(status, { ...headers });
    for (const c of chunks) {
      if (!sink.write(c)) await new Promise<void>((r) => sink.once('drain', r));
    }
    sink.end();
  };
}

/** A terminal handler that records the exchange as the service saw it, then answers 200 "ok". */
export function recordingService(): Handler & { seen: Array<{ url: string; method: string; headers: HeaderMap; body: Buffer }> } {
  const seen: Array<{ url: string; method: string; headers: HeaderMap; body: Buffer }> = [];
  const handler = async (ex: Exchange) => {
    const parts: Buffer[] = [];
    for await (const c of ex.body) parts.push(Buffer.from(c as Buffer));
    seen.push({ url: ex.url, method: ex.method, headers: { ...ex.requestHeaders }, body: Buffer.concat(parts) });
    ex.respond(200, { 'content-type': 'text/plain' }, 'ok');
  };
  return Object.assign(handler, { seen });
}

/** Run one request through a middleware handler and wait for the response. */
export async function run(handler: Handler, init: MemoryExchangeInit = {}): Promise<MemoryExchange> {
  const ex = new MemoryExchange(init);
  await handler(ex);
  await ex.finished();
  return ex;
}
