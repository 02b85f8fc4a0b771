/**
 * One QUIC connection on quiche: feeds it datagrams and timer expiries,
 * drains its streams into events, queues stream writes until flow control
 * takes them, and paces what it sends. Stream IDs stay numbers (exact below
 * 2^53, far beyond any connection's stream limit).
 */
import { randomBytes } from 'node:crypto';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Quiche, QuicheConnection } from './binding.js';
import type { QuicConnection, QuicConnectionEvents } from '../transport.js';
import type { ConnectionIdGenerator } from '../connection-id.js';
import type { QlogWriter } from '../qlog/qlog-writer.js';

/** Packets sent per turn of the event loop: spreads bursts so loopback and NICs don't drop them. */
const PACKETS_PER_TURN = 24;
const STREAM_HIGH_WATER = 256 * 1024;
const MAX_DATAGRAM = 1350;

interface StreamState {
  queue: Buffer[];
  queued: number;
  fin: boolean;
  finSent: boolean;
  paused: boolean;
  writable: Array<() => void>;
}

export interface ConnectionHost {
  quiche: Quiche;
  socketFor(address: string): UdpSocket;
  register(cid: Buffer, conn: QuicheConnectionHandle): void;
  unregister(cid: Buffer): void;
  closed(conn: QuicheConnectionHandle): void;
  generator: ConnectionIdGenerator;
}

export class QuicheConnectionHandle implements QuicConnection {
  events: QuicConnectionEvents | undefined;
  private readonly streams = new Map<number, StreamState>();
  private readonly recvBuf = Buffer.allocUnsafe(64 * 1024);
  private readonly sendBuf = Buffer.allocUnsafe(MAX_DATAGRAM);
  private timer: NodeJS.Timeout | undefined;
  private sendScheduled = false;
  private established = false;
  private done = false;
  private nextUni = 3;
  /** Every source CID we issued for this connection (for cleanup). */
  readonly cids = new Set<string>();

  constructor(
    private readonly host: ConnectionHost,
    readonly conn: QuicheConnection,
    readonly serverName: string | undefined,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly localPort: number,
    private readonly localHost: { host: string; port: number },
    private readonly qlogWriter: QlogWriter | undefined,
    private readonly onKeylogDone: (() => void) | undefined,
  ) {}

  /** A datagram for this connection arrived. */
  receive(data: Buffer, from: { host: string; port: number }): void {
    if (this.done) return;
    try {
      this.conn.recv(data, { to: this.localHost, from });
    } catch (err) {
      // "Done" and per-packet failures: quiche already dropped what it could not use.
      if ((err as Error).message !== 'Done') this.qlog('transport', 'packet_dropped', { reason: (err as Error).message });
    }
    this.process();
  }

  private process(): void {
    if (!this.established && this.conn.isEstablished()) {
      this.established = true;
      this.refillConnectionIds();
      this.qlog('connectivity', 'connection_state_updated', { new: 'handshake_complete' });
      this.events?.established();
    }
    if (this.established) {
      this.readStreams();
      this.drainConnectionIds();
    }
    this.flushStreams();
    this.scheduleSend();
    this.armTimer();
    if (this.conn.isClosed()) this.finish();
  }

  private readStreams(): void {
    for (const id of this.conn.readable()) {
      const st = this.streams.get(id);
      if (st?.paused) continue;
      for (;;) {
        let r: [number, boolean] | null;
        try {
          r = this.conn.streamRecv(id, this.recvBuf);
        } catch (err) {
          const m = /StreamReset\((\d+)\)/.exec((err as Error).message);
          if (m) this.events?.streamReset(id, Number(m[1]));
          break;
        }
        if (!r) break;
        const [len, fin] = r;
        this.events?.streamData(id, Buffer.from(this.recvBuf.subarray(0, len)), fin);
        if (fin || this.streams.get(id)?.paused) break;
      }
    }
  }

  private stream(id: number): StreamState {
    let st = this.streams.get(id);
    if (!st) {
      st = { queue: [], queued: 0, fin: false, finSent: false, paused: false, writable: [] };
      this.streams.set(id, st);
    }
    return st;
  }

  writeStream(streamId: number, data: Buffer, fin: boolean): void {
    if (this.done) return;
    const st = this.stream(streamId);
    if (data.length) {
      st.queue.push(data);
      st.queued += data.length;
    }
    if (fin) st.fin = true;
    this.flushStream(streamId, st);
    this.scheduleSend();
  }

  private flushStreams(): void {
    for (const [id, st] of this.streams) if (st.queue.length || (st.fin && !st.finSent)) this.flushStream(id, st);
  }

  private flushStream(id: number, st: StreamState): void {
    try {
      while (st.queue.length) {
        const chunk = st.queue[0]!;
        const last = st.queue.length === 1;
        const n = this.conn.streamSend(id, chunk, last && st.fin);
        if (n === null) break;
        st.queued -= n;
        if (n < chunk.length) {
          st.queue[0] = chunk.subarray(n);
          break;
        }
        st.queue.shift();
        if (last && st.fin) st.finSent = true;
      }
      if (!st.queue.length && st.fin && !st.finSent) {
        if (this.conn.streamSend(id, Buffer.alloc(0), true) !== null) st.finSent = true;
      }
    } catch (err) {
      const m = /StreamStopped\((\d+)\)/.exec((err as Error).message);
      st.queue = [];
      st.queued = 0;
      st.finSent = true;
      if (m) this.events?.streamStopSending(id, Number(m[1]));
    }
    if (st.queued < STREAM_HIGH_WATER && st.writable.length) {
      const cbs = st.writable;
      st.writable = [];
      for (const cb of cbs) cb();
    }
    if (st.finSent && !st.queue.length && !st.paused) this.streams.delete(id);
  }

  resetStream(streamId: number, code: number): void {
    try {
      this.conn.streamShutdown(streamId, this.host.quiche.Shutdown.Write, code);
    } catch {
      /* already closed */
    }
    const st = this.streams.get(streamId);
    if (st) {
      st.queue = [];
      st.queued = 0;
      for (const cb of st.writable) cb();
      this.streams.delete(streamId);
    }
    this.scheduleSend();
  }

  stopSending(streamId: number, code: number): void {
    try {
      this.conn.streamShutdown(streamId, this.host.quiche.Shutdown.Read, code);
    } catch {
      /* already closed */
    }
    this.scheduleSend();
  }

  openUniStream(): number {
    const id = this.nextUni;
    this.nextUni += 4;
    return id;
  }

  close(code: number, reason: string): void {
    if (this.done) return;
    try {
      this.conn.close(true, code, Buffer.from(reason));
    } catch {
      /* already closing */
    }
    this.scheduleSend();
    this.armTimer();
  }

  closeConnection(code: number, reason: string): void {
    this.close(code, reason);
  }

  bufferedAmount(streamId: number): number {
    return this.streams.get(streamId)?.queued ?? 0;
  }

  onWritable(streamId: number, cb: () => void): void {
    const st = this.streams.get(streamId);
    if (!st || st.queued < STREAM_HIGH_WATER) return void queueMicrotask(cb);
    st.writable.push(cb);
  }

  pauseRead(streamId: number): void {
    this.stream(streamId).paused = true;
  }

  resumeRead(streamId: number): void {
    const st = this.streams.get(streamId);
    if (!st?.paused) return;
    st.paused = false;
    // Data waiting in quiche: read it now.
    setImmediate(() => {
      if (!this.done) this.process();
    });
  }

  qlog(category: string, event: string, data: Record<string, unknown>): void {
    this.qlogWriter?.event(category, event, data);
  }

  stats(): Record<string, number> {
    const s = this.conn.stats();
    const path = this.conn.pathStats()[0];
    return { sent: s.sent, recv: s.recv, lost: s.lost, sentBytes: s.sentBytes, recvBytes: s.recvBytes, rttMs: path ? path.rtt / 1e6 : 0, cwnd: path?.cwnd ?? 0 };
  }

  /** Send what quiche has, a bounded number of packets per turn of the event loop. */
  private scheduleSend(): void {
    if (this.sendScheduled || this.done) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.sendPackets();
    });
  }

  private sendPackets(): void {
    if (this.done) return;
    let sent = 0;
    // Every path, not just the active one: after a migration or NAT rebinding the new path must be
    // validated (PATH_CHALLENGE/RESPONSE) on itself, which plain send() does not do.
    let peers: Array<{ host: string; port: number }> = [];
    try {
      peers = [...this.conn.pathsIter(this.localHost)];
    } catch {
      peers = [];
    }
    const attempts = peers.length > 1 ? peers : [undefined];
    for (const peer of attempts) {
      while (sent < PACKETS_PER_TURN) {
        let r: ReturnType<QuicheConnection['send']>;
        try {
          r = peer ? this.conn.sendOnPath(this.sendBuf, this.localHost, peer) : this.conn.send(this.sendBuf);
        } catch {
          r = null;
        }
        if (!r) break;
        const [len, info] = r;
        this.host.socketFor(info.to.host).send(Buffer.from(this.sendBuf.subarray(0, len)), info.to.port, info.to.host);
        sent++;
      }
    }
    if (sent === PACKETS_PER_TURN) this.scheduleSend();
    // Sending may have freed flow-control credit for queued stream data.
    this.flushStreams();
    this.armTimer();
    if (this.conn.isClosed()) this.finish();
  }

  private armTimer(): void {
    if (this.done) return;
    if (this.timer) clearTimeout(this.timer);
    const ms = this.conn.timeout();
    if (ms === null) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.conn.onTimeout();
      this.process();
    }, ms);
  }

  /** Issue fresh source connection IDs up to the peer's limit, so migration and NAT rebinding have IDs to use. */
  private refillConnectionIds(): void {
    try {
      while (this.conn.sourceCidsLeft() > 0) {
        const cid = this.host.generator.generate();
        const token = BigInt('0x' + randomBytes(16).toString('hex'));
        this.conn.newSourceCid(cid, token, false);
        this.cids.add(cid.toString('hex'));
        this.host.register(cid, this);
      }
    } catch {
      /* the peer's limit was reached */
    }
  }

  private drainConnectionIds(): void {
    for (;;) {
      let retired: Uint8Array | null = null;
      try {
        retired = this.conn.retiredScidNext();
      } catch {
        retired = null;
      }
      if (!retired) break;
      const b = Buffer.from(retired);
      this.cids.delete(b.toString('hex'));
      this.host.unregister(b);
    }
    for (;;) {
      let ev: ReturnType<QuicheConnection['pathEventNext']> | null = null;
      try {
        ev = this.conn.pathEventNext();
      } catch {
        ev = null;
      }
      if (!ev) break;
      this.qlog('connectivity', 'path_event', { type: ev.type });
    }
    if (this.conn.sourceCidsLeft() > 0) this.refillConnectionIds();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    const err = this.conn.peerError() ?? this.conn.localError();
    const reason = this.conn.isTimedOut() ? 'idle timeout' : err ? `${err.isApp ? 'application' : 'transport'} error ${err.errorCode}` : 'closed';
    this.qlog('connectivity', 'connection_closed', { reason });
    this.qlogWriter?.close();
    this.onKeylogDone?.();
    for (const st of this.streams.values()) for (const cb of st.writable) cb();
    this.streams.clear();
    this.events?.closed(reason);
    this.host.closed(this);
  }
}
