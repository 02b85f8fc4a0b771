/**
 * The sinks an exchange hands out around middleware failures (exchange-base.ts):
 * a body transform's sink guarded so its throw ends the response instead of
 * escaping into the relay (where it hung or became a 502), and the sink that
 * takes what is written after the response was ended because of a failure.
 */
import { EventEmitter } from 'node:events';
import type { ResponseSink } from './exchange.js';
import { ForwardingSink } from './forwarding-sink.js';

/** Accepts and drops everything; says finished on end so a writer waiting for that moves on. */
export class DiscardingSink extends EventEmitter implements ResponseSink {
  readonly headersSent = true;
  private ended = false;

  get destroyed(): boolean {
    return this.ended;
  }

  write(): boolean {
    return true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    queueMicrotask(() => this.emit('finish'));
  }

  addTrailers(): void {}

  destroy(): this {
    if (!this.ended) {
      this.ended = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

/** Passes everything to a middleware's sink; a throw from it is reported once and later calls are dropped. */
export class FailureGuardedSink extends ForwardingSink {
  constructor(
    inner: ResponseSink,
    private readonly fail: (error: unknown) => void,
    /** True once the exchange ended the response because of a failure (this one or another). */
    private readonly failed: () => boolean,
  ) {
    super(inner);
  }

  override get destroyed(): boolean {
    return this.failed() || this.inner.destroyed;
  }

  override write(chunk: Buffer | string): boolean {
    if (this.failed()) return true;
    try {
      return this.inner.write(chunk);
    } catch (error) {
      this.fail(error);
      return true;
    }
  }

  override end(chunk?: Buffer | string): void {
    if (this.failed()) return;
    try {
      this.inner.end(chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  override addTrailers(trailers: Record<string, string>): void {
    if (this.failed()) return;
    try {
      this.inner.addTrailers(trailers);
    } catch (error) {
      this.fail(error);
    }
  }

  override destroy(error?: Error): this {
    // After a failure the exchange already ended or cut the response; destroying the middleware's
    // sink now could take the connection (and the 500 on its way) with it.
    if (!this.failed()) this.inner.destroy(error);
    return this;
  }
}
