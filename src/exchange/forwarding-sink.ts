/**
 * A response sink that passes every call to another: the base of the sinks
 * that change one part of what a writer does (guard its throws, drop a HEAD
 * response's body) and leave the rest, events included, to the sink beneath.
 */
import type { ResponseSink } from './exchange.js';

type SinkEvent = 'drain' | 'close' | 'finish';

export class ForwardingSink implements ResponseSink {
  constructor(protected readonly inner: ResponseSink) {}

  get headersSent(): boolean {
    return this.inner.headersSent;
  }

  get destroyed(): boolean {
    return this.inner.destroyed;
  }

  write(chunk: Buffer | string): boolean {
    return this.inner.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    this.inner.end(chunk);
  }

  addTrailers(trailers: Record<string, string>): void {
    this.inner.addTrailers(trailers);
  }

  once(event: SinkEvent, listener: () => void): this {
    this.inner.once(event, listener);
    return this;
  }

  on(event: SinkEvent, listener: () => void): this {
    this.inner.on(event, listener);
    return this;
  }

  removeListener(event: SinkEvent, listener: () => void): this {
    this.inner.removeListener(event, listener);
    return this;
  }

  destroy(error?: Error): this {
    this.inner.destroy(error);
    return this;
  }
}
