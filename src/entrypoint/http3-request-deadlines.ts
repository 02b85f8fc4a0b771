/**
 * Deadlines for HTTP/3 requests, the same three an HTTP/1.1 or HTTP/2 request
 * has on TCP (see open-connections.ts):
 *
 * - readTimeout: the request body must arrive within this time of the head;
 * - writeTimeout: the whole response, from the request's head to its last
 *   byte (Traefik's meaning);
 * - writeStallTimeout: a response with bytes waiting in QUIC that the client
 *   takes none of (it never raises MAX_STREAM_DATA) is cut after this.
 *
 * A request past one is reset in both directions with H3_REQUEST_CANCELLED,
 * which aborts its exchange and releases what it holds upstream, and counted.
 * QUIC's idle timeout bounds a connection that goes quiet; these bound a
 * request on a connection the client keeps alive. One sweep per listener
 * walks the requests in progress; the request path adds no timer or listener.
 */
import { H3_REQUEST_CANCELLED } from '../http3/error-codes.js';
import type { DeadlinePhase } from './open-connections.js';
import { responseStalled } from './responding-timeouts.js';

export interface Http3DeadlineLimits {
  /** 0 = no limit, for each. */
  readTimeoutMs: number;
  writeTimeoutMs: number;
  writeStallTimeoutMs: number;
  sweepMs: number;
}

/** One request in progress, as the sweep sees it. */
export interface Http3RequestClock {
  readonly streamId: number;
  /** performance.now() when the request head arrived. */
  readonly since: number;
  /** The request body (if any) has been read to its end. */
  readonly requestComplete: boolean;
  /** Bytes handed to QUIC for this response that the client has not taken. */
  bufferedResponseBytes(): number;
  progressAt: number;
  bufferedAtSweep: number;
}

/** What the deadlines need from one connection's request bridge. */
export interface Http3RequestsInProgress {
  requestsInProgress(): Iterable<Http3RequestClock>;
  /** Reset the request's stream both ways with `code`: the exchange is aborted. */
  cancel(streamId: number, code: number): void;
}

export class Http3RequestDeadlines {
  private readonly connections = new Set<Http3RequestsInProgress>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: Http3DeadlineLimits,
    private readonly timedOut: (phase: DeadlinePhase) => void,
  ) {}

  private get enabled(): boolean {
    const { readTimeoutMs, writeTimeoutMs, writeStallTimeoutMs } = this.limits;
    return readTimeoutMs > 0 || writeTimeoutMs > 0 || writeStallTimeoutMs > 0;
  }

  add(connection: Http3RequestsInProgress): void {
    if (!this.enabled) return;
    this.connections.add(connection);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(performance.now()), this.limits.sweepMs);
      this.sweeper.unref();
    }
  }

  delete(connection: Http3RequestsInProgress): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) this.stop();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Cut every request past a deadline (public for tests that drive time). */
  sweep(now: number): void {
    const { readTimeoutMs: read, writeTimeoutMs: write, writeStallTimeoutMs: stall } = this.limits;
    for (const connection of this.connections) {
      const overdue: Array<[number, DeadlinePhase]> = [];
      for (const r of connection.requestsInProgress()) {
        const phase = this.overdue(r, now, read, write, stall);
        if (phase) overdue.push([r.streamId, phase]);
      }
      // Cancelling removes the request from the bridge: not while iterating it.
      for (const [streamId, phase] of overdue) {
        this.timedOut(phase);
        connection.cancel(streamId, H3_REQUEST_CANCELLED);
      }
    }
  }

  private overdue(r: Http3RequestClock, now: number, read: number, write: number, stall: number): DeadlinePhase | undefined {
    if (read > 0 && !r.requestComplete && now - r.since > read) return 'body';
    if (write > 0 && now - r.since > write) return 'write';
    if (stall <= 0) return undefined;
    return responseStalled(r, r.bufferedResponseBytes(), now, stall) ? 'stalled' : undefined;
  }
}
