/**
 * Every response in progress on one TCP entrypoint, with two deadlines:
 *
 * - writeTimeout (Traefik's meaning): the whole response, from its request's
 *   head to its last byte, within this time;
 * - writeStallTimeout: a response with bytes waiting that the client does not
 *   take (an HTTP/2 reader that never opens its flow-control window, an
 *   HTTP/1.1 socket nobody reads) for this long.
 *
 * A response past either is destroyed (h1: its socket; h2: RST_STREAM), which
 * aborts the exchange and releases what it holds upstream. One sweep checks
 * them all; the hot path adds and removes a record.
 */
import type { Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import http2, { type Http2ServerResponse } from 'node:http2';

export interface ResponseLimits {
  /** 0 = no limit. */
  writeTimeoutMs: number;
  /** 0 = no limit. */
  writeStallTimeoutMs: number;
  sweepMs: number;
}

interface OpenResponse {
  readonly res: ServerResponse | Http2ServerResponse;
  /** What holds the bytes not yet taken: the response itself (h1, counting its socket's buffer) or the h2 stream. */
  readonly out: Writable;
  readonly since: number;
  /** Last time nothing was waiting, or the client took a buffer's worth ('drain'). */
  lastProgress: number;
  readonly onDrain: () => void;
}

export class ResponseDeadlines {
  private readonly open = new Set<OpenResponse>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: ResponseLimits,
    private readonly expired: (phase: 'write' | 'stalled') => void,
  ) {}

  /** Watch a response until the returned function is called (when it closes). */
  track(res: ServerResponse | Http2ServerResponse): () => void {
    if (this.limits.writeTimeoutMs <= 0 && this.limits.writeStallTimeoutMs <= 0) return () => undefined;
    const now = performance.now();
    const out = ('stream' in res ? res.stream : res) as Writable;
    const r: OpenResponse = {
      res,
      out,
      since: now,
      lastProgress: now,
      onDrain: () => (r.lastProgress = performance.now()),
    };
    out.on('drain', r.onDrain);
    this.open.add(r);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), this.limits.sweepMs);
      this.sweeper.unref();
    }
    return () => {
      out.off('drain', r.onDrain);
      this.open.delete(r);
      if (this.open.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    };
  }

  private sweep(): void {
    const now = performance.now();
    const { writeTimeoutMs, writeStallTimeoutMs } = this.limits;
    for (const r of this.open) {
      if (writeTimeoutMs > 0 && now - r.since > writeTimeoutMs) this.expire(r, 'write');
      else if (writeStallTimeoutMs > 0) {
        if (r.out.writableLength === 0) r.lastProgress = now;
        else if (now - r.lastProgress > writeStallTimeoutMs) this.expire(r, 'stalled');
      }
    }
  }

  private expire(r: OpenResponse, phase: 'write' | 'stalled'): void {
    this.open.delete(r);
    r.out.off('drain', r.onDrain);
    this.expired(phase);
    // h2: RST_STREAM(CANCEL) says the stream was cut (a bare destroy() resets with NO_ERROR, which reads as a clean end);
    // h1: the response can only be cut with its connection.
    if ('stream' in r.res) r.res.stream.close(http2.constants.NGHTTP2_CANCEL);
    else r.res.destroy();
  }
}
