/**
 * The request body as each attempt of the `retry` middleware reads it: one
 * fresh stream per attempt, which replays the bytes earlier attempts already
 * took from the client and then goes on with the client's stream, at the
 * speed the backend reads (nothing is read ahead). What was read is kept up
 * to `limit` bytes, so an attempt that failed after consuming part of the
 * body can still be repeated; past the limit the copy is dropped and no
 * further attempt is possible. A body nobody read yet can always be sent.
 *
 * Each attempt gets its own stream because the upstream client owns it: undici
 * destroys the body it was given when its request fails, and the client's
 * stream must survive that.
 */
import { Readable } from 'node:stream';

interface Attempt {
  readonly stream: Readable;
  /** How many recorded chunks this attempt has been given. */
  replayed: number;
  /** Its end was pushed. */
  ended: boolean;
}

export class ReplayableBody {
  private readonly recorded: Buffer[] = [];
  private recordedBytes = 0;
  /** More than `limit` was read: the copy is gone and the body cannot be sent again. */
  private overflowed = false;
  /** The last attempt is under way: what it reads need not be kept. */
  private recording = true;
  private sourceEnded = false;
  private sourceError: Error | undefined;
  private current: Attempt | undefined;

  constructor(
    private readonly source: Readable,
    /** Bytes kept for replay; -1 keeps everything. */
    private readonly limit: number,
  ) {
    source.on('readable', () => this.current && this.pump(this.current));
    source.once('end', () => {
      this.sourceEnded = true;
      if (this.current) this.pump(this.current);
    });
    source.once('error', (err: Error) => {
      this.sourceError = err;
      this.current?.stream.destroy(err);
    });
  }

  /** True while a new attempt can be given the whole body. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** A stream for the next attempt: the kept bytes first, then the rest of the client's body. `last` stops keeping what it reads. */
  attempt(last: boolean): Readable {
    if (this.overflowed) throw new Error('the request body was not kept: it cannot be sent again');
    if (last) this.recording = false;
    const attempt: Attempt = {
      replayed: 0,
      ended: false,
      stream: new Readable({
        read: () => {
          if (this.current === attempt) this.pump(attempt);
        },
      }),
    };
    // The client's error is passed on to the attempt; one whose reader has already let go must not turn it into a crash.
    attempt.stream.on('error', () => undefined);
    this.current = attempt;
    return attempt.stream;
  }

  /** Give the attempt what it may take now: kept chunks, then the client's, until it is full. */
  private pump(attempt: Attempt): void {
    const out = attempt.stream;
    if (out.destroyed || attempt.ended) return;
    while (attempt.replayed < this.recorded.length) if (!out.push(this.recorded[attempt.replayed++])) return;
    if (this.sourceError) return void out.destroy(this.sourceError);
    let chunk: Buffer | string | null;
    while ((chunk = this.source.read() as Buffer | string | null) !== null) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.keep(buf, attempt);
      if (!out.push(buf)) return;
    }
    if (this.sourceEnded) {
      attempt.ended = true;
      out.push(null);
    }
  }

  private keep(chunk: Buffer, attempt: Attempt): void {
    if (this.overflowed) return;
    if (!this.recording) {
      // Nothing follows the last attempt; only what it has not been given yet matters, and that is nothing.
      this.overflowed = true;
      this.recorded.length = 0;
      return;
    }
    this.recordedBytes += chunk.length;
    if (this.limit >= 0 && this.recordedBytes > this.limit) {
      this.overflowed = true;
      this.recorded.length = 0;
      return;
    }
    this.recorded.push(chunk);
    attempt.replayed = this.recorded.length;
  }
}
