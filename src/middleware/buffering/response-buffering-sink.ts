/**
 * Holds a whole response (head and body, at most `maxBytes`) and writes it
 * with an exact Content-Length once complete. A body over the limit is
 * dropped: the client gets a 500 instead, and the writer sees the sink close
 * so it stops reading the upstream.
 */
import { EventEmitter } from 'node:events';
import type { Exchange, HeaderMap, ResponseSink } from '../../exchange/exchange.js';

export class ResponseBufferingSink extends EventEmitter implements ResponseSink {
  readonly headersSent = true;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;
  private trailers: Record<string, string> | undefined;
  private inner: ResponseSink | undefined;

  constructor(
    private readonly ex: Exchange,
    private readonly status: number,
    private readonly headers: HeaderMap,
    private readonly maxBytes: number,
    /** Writes the head on (through the interceptors outside this one) once the body is complete. */
    private readonly open: (status: number, headers: HeaderMap) => ResponseSink,
  ) {
    super();
  }

  get destroyed(): boolean {
    return this.done && (this.inner?.destroyed ?? true);
  }

  write(chunk: Buffer | string): boolean {
    if (this.done) return false;
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += b.length;
    if (this.size > this.maxBytes) {
      this.done = true;
      this.chunks.length = 0;
      this.ex.respond(500, { 'content-type': 'text/plain; charset=utf-8' }, '500 Internal Server Error: response larger than maxResponseBodyBytes\n');
      // Stop reading the rest from the backend.
      this.ex.abortUpstream();
      this.emit('close');
      return false;
    }
    this.chunks.push(b);
    return true;
  }

  end(chunk?: Buffer | string): void {
    if (this.done) return;
    if (chunk !== undefined && !this.write(chunk)) return;
    this.done = true;
    const headers = this.headers;
    headers['content-length'] = String(this.size);
    delete headers['transfer-encoding'];
    const inner = this.open(this.status, headers);
    this.inner = inner;
    inner.once('finish', () => this.emit('finish'));
    inner.once('close', () => this.emit('close'));
    if (this.trailers) inner.addTrailers(this.trailers);
    inner.end(this.size ? Buffer.concat(this.chunks) : undefined);
    this.chunks.length = 0;
  }

  addTrailers(trailers: Record<string, string>): void {
    this.trailers = trailers;
  }

  destroy(error?: Error): void {
    if (this.done) {
      this.inner?.destroy(error);
      return;
    }
    // The upstream failed before the response was complete: nothing was sent, so answer 502.
    this.done = true;
    this.chunks.length = 0;
    this.ex.respond(502, { 'content-type': 'text/plain; charset=utf-8' }, '502 Bad Gateway\n');
    this.emit('close');
  }
}
