/**
 * A response sink handed out before the real head is written, for
 * middlewares that can only decide the head from the first body bytes:
 * contentType sniffs them, compress must know whether a body of unknown
 * length reaches minResponseBodyBytes. It holds at most `holdBytes` (then
 * the writer sees ordinary back-pressure), so nothing buffers a whole body.
 */
import { EventEmitter } from 'node:events';
import type { ResponseSink } from '../exchange/exchange.js';

/** Writes the real head from what was held and returns the real sink. `ended`: the held bytes are the whole body. */
export type OpenHead = (held: Buffer, ended: boolean) => ResponseSink;

export class HeldHeadSink extends EventEmitter implements ResponseSink {
  readonly headersSent = true;
  private inner: ResponseSink | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private trailers: Record<string, string> | undefined;

  constructor(
    private readonly holdBytes: number,
    private readonly open: OpenHead,
  ) {
    super();
  }

  get destroyed(): boolean {
    return this.inner?.destroyed ?? false;
  }

  write(chunk: Buffer | string): boolean {
    if (this.inner) return this.inner.write(chunk);
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.held.push(b);
    this.heldBytes += b.length;
    if (this.heldBytes < this.holdBytes) return true;
    return this.release(false);
  }

  end(chunk?: Buffer | string): void {
    if (this.inner) return this.inner.end(chunk);
    if (chunk !== undefined) this.held.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    this.release(true);
  }

  addTrailers(trailers: Record<string, string>): void {
    if (this.inner) this.inner.addTrailers(trailers);
    else this.trailers = trailers;
  }

  destroy(error?: Error): void {
    // The writer gave up (upstream failed): a head must still go out for the client to see the reset.
    if (!this.inner) this.release(false);
    this.inner!.destroy(error);
  }

  private release(ended: boolean): boolean {
    const held = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [];
    const inner = this.open(held, ended);
    this.inner = inner;
    inner.on('drain', () => this.emit('drain'));
    inner.once('close', () => this.emit('close'));
    inner.once('finish', () => this.emit('finish'));
    if (this.trailers) inner.addTrailers(this.trailers);
    if (ended) {
      inner.end(held.length ? held : undefined);
      return true;
    }
    return held.length ? inner.write(held) : true;
  }
}
