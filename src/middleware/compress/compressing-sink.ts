/**
 * A ResponseSink that compresses into the real one. Back-pressure runs both
 * ways: when the client is slow the compressor pauses, its input buffer
 * fills, and our write() answers false until it drains, so memory per
 * response stays at a few zlib buffers whatever the body size.
 */
import { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import type { ResponseSink } from '../../exchange/exchange.js';

export class CompressingSink extends EventEmitter implements ResponseSink {
  readonly headersSent = true;
  private ended = false;

  constructor(
    private readonly inner: ResponseSink,
    private readonly zip: Transform,
  ) {
    super();
    const resume = () => zip.resume();
    zip.on('data', (chunk: Buffer) => {
      if (!inner.write(chunk)) {
        zip.pause();
        inner.once('drain', resume);
      }
    });
    zip.on('drain', () => this.emit('drain'));
    zip.once('end', () => inner.end());
    // A compressor error (none expected on our own input) ends the response as a reset, never a crash.
    zip.once('error', (err) => inner.destroy(err));
    inner.once('finish', () => this.emit('finish'));
    inner.once('close', () => {
      // The client went away: free zlib's memory now rather than at GC.
      if (!zip.destroyed) zip.destroy();
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.inner.destroyed;
  }

  write(chunk: Buffer | string): boolean {
    if (this.ended || this.zip.destroyed) return false;
    return this.zip.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.zip.destroyed) return;
    if (chunk !== undefined) this.zip.end(chunk);
    else this.zip.end();
  }

  addTrailers(trailers: Record<string, string>): void {
    this.inner.addTrailers(trailers);
  }

  destroy(error?: Error): void {
    this.zip.destroy();
    this.inner.destroy(error);
  }
}
