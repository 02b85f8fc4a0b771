/**
 * An entrypoint's `transport.respondingTimeouts` in milliseconds, with their
 * defaults, for every listener of the entrypoint (TCP: h1/h2; UDP: HTTP/3),
 * so a request has the same deadlines whichever protocol carries it.
 */
import { parseDurationMs } from '../config/duration.js';
import type { EntryPointConfig } from '../config/static-config.js';

/**
 * Whole-response limit (Traefik's writeTimeout, whose default is none): long enough for a large
 * download or a long poll, short enough that no response holds a backend connection for ever.
 * Server-sent event streams and downloads that take longer need it raised (or 0).
 */
const DEFAULT_WRITE_TIMEOUT_S = 300;
/** A client that takes none of a response's waiting bytes for this long is gone or hostile (nginx's send_timeout is 60 s too). */
const DEFAULT_WRITE_STALL_TIMEOUT_S = 60;

export interface RespondingTimeouts {
  /** 0 = no limit, for each. */
  readTimeoutMs: number;
  idleTimeoutMs: number;
  writeTimeoutMs: number;
  writeStallTimeoutMs: number;
}

export function respondingTimeouts(transport: EntryPointConfig['transport']): RespondingTimeouts {
  const t = transport?.respondingTimeouts;
  return {
    readTimeoutMs: parseDurationMs(t?.readTimeout ?? 60),
    idleTimeoutMs: parseDurationMs(t?.idleTimeout ?? 180),
    writeTimeoutMs: parseDurationMs(t?.writeTimeout ?? DEFAULT_WRITE_TIMEOUT_S),
    writeStallTimeoutMs: parseDurationMs(t?.writeStallTimeout ?? DEFAULT_WRITE_STALL_TIMEOUT_S),
  };
}

/** Where a response in progress last showed progress: when, and how many bytes were waiting then. */
export interface ProgressMark {
  progressAt: number;
  bufferedAtSweep: number;
}

/**
 * Whether a response's client has taken nothing for `stallMs`, read once per sweep from the bytes
 * waiting for it (`buffered`); updates the mark. An empty buffer, or one whose length changed since
 * the last sweep, is progress: a stalled response's producer is paused by backpressure, so its
 * buffer stays exactly the same size until the client reads.
 */
export function responseStalled(mark: ProgressMark, buffered: number, now: number, stallMs: number): boolean {
  if (buffered === 0 || buffered !== mark.bufferedAtSweep) {
    mark.progressAt = now;
    mark.bufferedAtSweep = buffered;
    return false;
  }
  return now - mark.progressAt > stallMs;
}
