/**
 * Every open HTTP/1.1 socket and HTTP/2 session of one TCP entrypoint, with
 * the phase it is in and the deadline of that phase, so no connection or
 * response lives unbounded whatever the client sends or fails to take:
 *
 * - a request head (h1 bytes after accept or after the previous response; an
 *   h2 header block whose END_HEADERS never comes) must be complete, and a
 *   request body read, within readTimeout of the head's first byte;
 * - a connection with no request in progress is closed after idleTimeout,
 *   however many bytes that are not a request it trickles (h2 PING, SETTINGS);
 * - an h2 connection that has gone quiet is sent one PING; without an answer
 *   within UNANSWERED_PING_MS it is closed. nghttp2 stops reading a connection
 *   once it has sent GOAWAY for a protocol error, and Node then neither closes
 *   it nor notices the client leave (it stayed in CLOSE-WAIT until the idle
 *   timeout); no event says so, but such a session never answers a PING.
 * - a response must be written within writeTimeout of its request's head
 *   (Traefik's meaning), and a response whose client takes none of the bytes
 *   waiting for it (an h2 reader that never opens its flow-control window, an
 *   h1 socket nobody reads) is cut after writeStallTimeout; cutting it (h1:
 *   the socket; h2: RST_STREAM) aborts the exchange and releases what it
 *   holds upstream;
 * - on shutdown (drain) idle connections close at once and busy ones as soon
 *   as their last response is done, so drained() resolves with the last
 *   in-flight request instead of at the grace deadline.
 *
 * Why our own deadlines: Node's http server runs its header and request
 * timeout checks from the listening server's connectionsCheckingInterval, and
 * our sockets reach it with emit('connection') (TLS and ALPN are ours), so
 * they never ran. One sweep per entrypoint checks all connections; the hot
 * path only updates fields of the connection's record (no listener, timer or
 * closure per response: those cost a measured 5-25% of h1 throughput and
 * doubled p99 when responses had records of their own).
 *
 * Progress of a response is read from the writable that holds its unsent
 * bytes (the h1 socket, the h2 stream): an empty buffer, or one whose length
 * changed since the previous sweep, means the client is taking bytes. A
 * stalled response's producer is paused by backpressure, so its buffer stays
 * exactly the same size until the client reads.
 */
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { responseStalled } from './responding-timeouts.js';
import http2, { type Http2Session, type Http2ServerRequest, type ServerHttp2Stream } from 'node:http2';

export type DeadlinePhase = 'head' | 'body' | 'idle' | 'unresponsive' | 'write' | 'stalled';

/** How long a quiet h2 peer has to answer our PING (RFC 9113 §6.7: it must, as soon as it can). */
export const UNANSWERED_PING_MS = 4000;

export interface ConnectionDeadlines {
  readTimeoutMs: number;
  idleTimeoutMs: number;
  /** A whole response, from its request's head to its last byte; 0 = no limit. */
  writeTimeoutMs: number;
  /** A response with bytes waiting that the client does not take; 0 = no limit. */
  writeStallTimeoutMs: number;
  /** How often deadlines are checked; a deadline may pass by up to this much. */
  sweepMs: number;
}

interface H1Connection {
  readonly socket: Socket;
  /** Responses started and not yet closed (more than one only with pipelining). */
  inFlight: number;
  /** Requests whose body is still being read. */
  reading: number;
  /** performance.now() when the request head now being read began; NaN when no head is pending. */
  headSince: number;
  idleSince: number;
  /** socket.bytesRead when the connection went idle: more bytes mean a new head has begun. */
  bytesAtIdle: number;
  /** When the response now being written had its request head (the oldest in flight with pipelining). */
  respondingSince: number;
  /** Last sweep at which the client was seen taking bytes, and the socket's buffer length then. */
  progressAt: number;
  bufferedAtSweep: number;
}

/** An h2 response in progress; created with its stream's head, dropped when the stream closes. */
interface H2Response {
  readonly since: number;
  progressAt: number;
  bufferedAtSweep: number;
}

interface H2Connection {
  readonly session: Http2Session;
  activeStreams: number;
  idleSince: number;
  /** Highest stream id whose complete head reached us; a higher lastProcStreamID is a header block still open. */
  highestSeenStream: number;
  pendingStream: number;
  pendingSince: number;
  /** Requests whose body is still being read, with when their head arrived. */
  readonly reading: Map<Http2ServerRequest, number>;
  /** Responses in progress (tunnels excluded: they have a life of their own). */
  readonly responding: Map<ServerHttp2Stream, H2Response>;
  /** Socket bytes read at the previous sweep: unchanged means the peer is quiet. */
  bytesAtSweep: number;
  /** Quiet since the last answered PING: not probed again until the peer sends something. */
  probed: boolean;
  /** When our unanswered PING was sent; NaN when none is outstanding. */
  pingSince: number;
}

export interface OpenConnectionsEvents {
  /** A connection was closed because a deadline passed. */
  timedOut(phase: DeadlinePhase): void;
}

const H1_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

export class OpenConnections {
  private readonly h1 = new Map<Socket, H1Connection>();
  private readonly h2 = new Map<Http2Session, H2Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private draining = false;
  private drainWaiters: Array<() => void> = [];
  /** Requests in progress over all connections (h1 responses not closed, h2 streams open). */
  activeRequests = 0;

  constructor(
    private readonly deadlines: ConnectionDeadlines,
    private readonly events: OpenConnectionsEvents,
  ) {}

  get size(): number {
    return this.h1.size + this.h2.size;
  }

  addH1(socket: Socket): void {
    const now = performance.now();
    const c: H1Connection = {
      socket,
      inFlight: 0,
      reading: 0,
      headSince: now,
      idleSince: now,
      bytesAtIdle: socket.bytesRead,
      respondingSince: NaN,
      progressAt: now,
      bufferedAtSweep: 0,
    };
    this.h1.set(socket, c);
    socket.once('close', () => {
      this.activeRequests -= c.inFlight;
      c.inFlight = 0;
      this.h1.delete(socket);
      this.settle();
    });
    this.ensureSweeper();
  }

  /** The socket stopped carrying HTTP/1.1 requests (it became a WebSocket tunnel, which has its own life): no deadline of ours applies any more. */
  releaseH1(socket: Socket): void {
    const c = this.h1.get(socket);
    if (!c) return;
    this.activeRequests -= c.inFlight;
    this.h1.delete(socket);
    this.settle();
  }

  /** An h1 request head is complete; returns the function to call when its response is closed (finished or aborted). */
  h1Request(req: IncomingMessage): () => void {
    const c = this.h1.get(req.socket);
    if (!c) return () => undefined;
    const now = performance.now();
    if (c.inFlight++ === 0) {
      c.respondingSince = now;
      c.progressAt = now;
    }
    this.activeRequests++;
    if (Number.isNaN(c.headSince)) c.headSince = now;
    if (!req.complete) {
      c.reading++;
      let counted = true;
      const read = () => {
        if (!counted) return;
        counted = false;
        if (c.reading > 0 && --c.reading === 0) c.headSince = NaN;
      };
      req.once('end', read);
      req.once('close', read);
    } else if (c.reading === 0) c.headSince = NaN;
    let done = false;
    return () => {
      if (done || !this.h1.has(c.socket)) return;
      done = true;
      this.activeRequests--;
      const now = performance.now();
      if (--c.inFlight > 0) {
        // A pipelined response is written once the one before it is done: its time starts now.
        c.respondingSince = now;
        c.progressAt = now;
        return;
      }
      c.respondingSince = NaN;
      // Whatever body was not read is no longer awaited (Node discards it with the response).
      c.reading = 0;
      c.idleSince = now;
      c.bytesAtIdle = c.socket.bytesRead;
      c.headSince = NaN;
      // Draining: the response just finished was this connection's last.
      if (this.draining) c.socket.end(() => c.socket.destroy());
    };
  }

  addH2(session: Http2Session): void {
    const now = performance.now();
    const c: H2Connection = {
      session,
      activeStreams: 0,
      idleSince: now,
      highestSeenStream: 0,
      pendingStream: 0,
      pendingSince: now,
      reading: new Map(),
      responding: new Map(),
      bytesAtSweep: -1,
      probed: false,
      pingSince: NaN,
    };
    this.h2.set(session, c);
    // Every stream whose head completed, also those reset before they became requests.
    session.on('stream', (stream: { id?: number }) => {
      if ((stream.id ?? 0) > c.highestSeenStream) c.highestSeenStream = stream.id ?? 0;
    });
    session.once('close', () => {
      this.activeRequests -= c.activeStreams;
      c.activeStreams = 0;
      this.h2.delete(session);
      this.settle();
    });
    if (this.draining) session.close();
    this.ensureSweeper();
  }

  /**
   * An h2 stream's head is complete; returns the function to call when the stream is closed.
   * With `req`, the stream carries a request and its response has the write deadlines; without, it is a tunnel (extended CONNECT).
   */
  h2Stream(session: Http2Session, streamId: number, req?: Http2ServerRequest): () => void {
    const c = this.h2.get(session);
    if (!c) return () => undefined;
    if (streamId > c.highestSeenStream) c.highestSeenStream = streamId;
    c.activeStreams++;
    this.activeRequests++;
    const now = performance.now();
    if (req) {
      if (this.deadlines.writeTimeoutMs > 0 || this.deadlines.writeStallTimeoutMs > 0)
        c.responding.set(req.stream, { since: now, progressAt: now, bufferedAtSweep: 0 });
      if (!req.complete) {
        c.reading.set(req, now);
        const read = () => c.reading.delete(req);
        req.once('end', read);
        req.once('close', read);
      }
    }
    let done = false;
    return () => {
      if (done || !this.h2.has(session)) return;
      done = true;
      if (req) c.responding.delete(req.stream);
      this.activeRequests--;
      if (--c.activeStreams === 0) c.idleSince = performance.now();
    };
  }

  /** Stop keeping connections open: idle ones close now, busy ones after their last response. */
  drain(): void {
    this.draining = true;
    for (const c of this.h1.values()) if (c.inFlight === 0) c.socket.destroy();
    for (const c of this.h2.values()) c.session.close();
    this.settle();
  }

  /** Resolves when no connection is left open (after drain(), with the last in-flight response). */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Close everything now (the grace period is over). */
  destroyAll(): void {
    for (const c of this.h1.values()) c.socket.destroy();
    for (const c of this.h2.values()) c.session.destroy();
    this.stopSweeper();
  }

  private settle(): void {
    if (this.size > 0) return;
    this.stopSweeper();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private ensureSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.deadlines.sweepMs);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = performance.now();
    const { readTimeoutMs: read, idleTimeoutMs: idle } = this.deadlines;
    for (const c of this.h1.values()) {
      if (c.inFlight === 0) {
        if (Number.isNaN(c.headSince) && c.socket.bytesRead > c.bytesAtIdle) c.headSince = now;
        if (read > 0 && now - c.headSince > read) this.expireH1(c, 'head', true);
        else if (Number.isNaN(c.headSince) && idle > 0 && now - c.idleSince > idle) this.expireH1(c, 'idle', false);
      } else if (c.reading > 0 && read > 0 && now - c.headSince > read) this.expireH1(c, 'body', false);
      else this.checkH1Response(c, now);
    }
    for (const c of this.h2.values()) {
      const last = c.session.destroyed ? 0 : (c.session.state.lastProcStreamID ?? 0);
      if (last > c.highestSeenStream) {
        if (c.pendingStream !== last) {
          c.pendingStream = last;
          c.pendingSince = now;
        } else if (read > 0 && now - c.pendingSince > read) {
          this.expireH2(c, 'head');
          continue;
        }
      } else c.pendingStream = 0;
      if (read > 0) {
        for (const [req, since] of c.reading)
          if (now - since > read) {
            c.reading.delete(req);
            this.events.timedOut('body');
            req.stream.close(0x8 /* CANCEL */);
          }
      }
      if (c.responding.size > 0) this.checkH2Responses(c, now);
      if (c.activeStreams === 0 && idle > 0 && now - c.idleSince > idle) this.expireH2(c, 'idle');
      else this.probeH2(c, now);
    }
  }

  private checkH1Response(c: H1Connection, now: number): void {
    const { writeTimeoutMs: write, writeStallTimeoutMs: stall } = this.deadlines;
    if (write > 0 && now - c.respondingSince > write) return this.expireH1(c, 'write', false);
    if (stall > 0 && !Number.isNaN(c.respondingSince) && responseStalled(c, c.socket.writableLength, now, stall)) this.expireH1(c, 'stalled', false);
  }

  private checkH2Responses(c: H2Connection, now: number): void {
    const { writeTimeoutMs: write, writeStallTimeoutMs: stall } = this.deadlines;
    for (const [stream, r] of c.responding) {
      let phase: DeadlinePhase | undefined;
      if (write > 0 && now - r.since > write) phase = 'write';
      else if (stall > 0 && responseStalled(r, stream.writableLength, now, stall)) phase = 'stalled';
      if (!phase) continue;
      c.responding.delete(stream);
      this.events.timedOut(phase);
      // RST_STREAM(CANCEL) says the stream was cut (a bare destroy() resets with NO_ERROR, which reads as a clean end).
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  private probeH2(c: H2Connection, now: number): void {
    if (c.session.destroyed) return;
    if (now - c.pingSince > UNANSWERED_PING_MS) return this.expireH2(c, 'unresponsive');
    const bytes = c.session.socket?.bytesRead ?? 0;
    if (bytes !== c.bytesAtSweep) {
      c.bytesAtSweep = bytes;
      c.probed = false;
      return;
    }
    if (c.probed || !Number.isNaN(c.pingSince)) return;
    c.pingSince = now;
    try {
      c.session.ping((err) => {
        if (err) return;
        c.pingSince = NaN;
        c.probed = true;
        c.bytesAtSweep = c.session.socket?.bytesRead ?? 0;
      });
    } catch {
      // A session that can no longer send a PING is finished: expired at the next sweep.
    }
  }

  private expireH1(c: H1Connection, phase: DeadlinePhase, answer408: boolean): void {
    this.events.timedOut(phase);
    this.h1.delete(c.socket);
    if (answer408 && c.socket.writable && c.socket.bytesRead > c.bytesAtIdle) c.socket.end(H1_TIMEOUT_RESPONSE, () => c.socket.destroy());
    else c.socket.destroy();
    // The socket may take a moment to flush the 408; it must not stop a drain meanwhile.
    this.settle();
  }

  private expireH2(c: H2Connection, phase: DeadlinePhase): void {
    this.events.timedOut(phase);
    this.h2.delete(c.session);
    // GOAWAY tells a well-behaved client why; the socket goes in any case (at once when the peer is not listening).
    if (phase === 'unresponsive' || c.session.destroyed) c.session.destroy();
    else {
      c.session.goaway(phase === 'idle' ? 0 : 0x1 /* PROTOCOL_ERROR */);
      setTimeout(() => c.session.destroy(), 50).unref();
    }
    this.settle();
  }
}
