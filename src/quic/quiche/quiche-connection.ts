/**
 * One QUIC connection on quiche: feeds it datagrams and timer expiries,
 * drains its streams into events, queues stream writes until flow control
 * takes them, and paces what it sends. Stream IDs stay numbers (exact below
 * 2^53, far beyond any connection's stream limit).
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Quiche, QuicheConnection } from './binding.js';
import type { QuicConnection, QuicConnectionEvents, QuicConnectionStats } from '../transport.js';
import type { ConnectionIdGenerator } from '../connection-id.js';
import type { QlogWriter } from '../qlog/qlog-writer.js';
import type { ConnectionKeylog } from '../keylog-collector.js';
import { SendPacer } from './send-pacer.js';

/** Most packets sent in one turn of the event loop, so receiving (ACKs, other connections) is never starved. */
const PACKETS_PER_TURN = 32;
/** Burst the pacer allows: ten packets, as RFC 9002 §7.7 suggests. */
const PACER_BURST = 10 * 1350;
/** Bytes queued on a stream above which writers are told to wait (onWritable). */
const STREAM_HIGH_WATER = 256 * 1024;
const MAX_DATAGRAM = 1350;
/** Outgoing datagrams are written into slabs of this size and sent as views of them (no copy, one allocation per ~48 packets). */
const SEND_SLAB = 64 * 1024;
/** How often the pacer re-reads cwnd and RTT (pathStats() builds objects for every path: too dear per turn). */
const PACER_REFRESH_MS = 1;

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
  /** The handshake completed (before the application hears of it). */
  established(conn: QuicheConnectionHandle): void;
  generator: ConnectionIdGenerator;
  /** The stateless reset token for a connection ID we issue (RFC 9000 §10.3). */
  resetToken(cid: Buffer): bigint;
}

type HostPort = { host: string; port: number };

export class QuicheConnectionHandle implements QuicConnection {
  events: QuicConnectionEvents | undefined;
  remoteAddress: string;
  remotePort: number;
  /** The peer's address as quiche knows it (IPv4-mapped on a dual-stack socket). */
  private rawRemote: HostPort;
  readonly localAddress: string;
  readonly localPort: number;
  alpn: string | undefined;
  /** Every source CID we issued for this connection (for routing and cleanup). */
  readonly cids = new Set<string>();
  private readonly streams = new Map<number, StreamState>();
  private readonly recvBuf = Buffer.allocUnsafe(64 * 1024);
  private sendSlab = Buffer.allocUnsafe(SEND_SLAB);
  private sendOffset = 0;
  private pacerRefreshedAt = -Infinity;
  /**
   * Streams that could receive a STOP_SENDING we have to report: every
   * stream the peer opened or we wrote to, until our side is finished. A
   * set we keep, because quiche's writable() iterator costs ~10 µs a call.
   */
  private readonly watched = new Set<number>();
  private readonly pacer = new SendPacer(PACER_BURST);
  private timer: NodeJS.Timeout | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private serviceScheduled = false;
  private established = false;
  private done = false;
  private nextUni = 3;
  /** Streams whose STOP_SENDING the application has been told about. */
  private readonly stopNotified = new Set<number>();
  /** Peer addresses the peer migrated away from, whose stranded packets still need a loss verdict (see recoverAbandonedPaths). */
  private abandonedPaths: HostPort[] = [];

  constructor(
    private readonly host: ConnectionHost,
    readonly conn: QuicheConnection,
    readonly serverName: string | undefined,
    from: HostPort,
    private readonly local: HostPort,
    private readonly qlogWriter: QlogWriter | undefined,
    private readonly keylog: ConnectionKeylog | undefined,
  ) {
    this.remoteAddress = unmapped(from.host);
    this.remotePort = from.port;
    this.rawRemote = from;
    this.localAddress = local.host;
    this.localPort = local.port;
  }

  get wasEstablished(): boolean {
    return this.established;
  }

  /**
   * A datagram for this connection arrived. quiche takes it at once; the
   * rest (streams, timers, sending) runs once per turn of the event loop,
   * after every datagram of the turn: an ACK-clocked sender gets dozens per
   * turn, and per-datagram bookkeeping would cost more than quiche itself.
   */
  receive(data: Buffer, from: HostPort): void {
    if (this.done) return;
    try {
      this.conn.recv(data, { to: this.local, from });
    } catch (err) {
      // "Done" and per-packet failures: quiche already dropped what it could not use; fatal ones show in localError.
      if ((err as Error).message !== 'Done') this.qlog('transport', 'packet_dropped', { trigger: (err as Error).message });
    }
    this.scheduleService();
  }

  private scheduleService(): void {
    if (this.serviceScheduled || this.done) return;
    this.serviceScheduled = true;
    setImmediate(this.service);
  }

  private readonly service = (): void => {
    this.serviceScheduled = false;
    if (this.done) return;
    if (!this.established && this.conn.isEstablished()) {
      this.established = true;
      this.host.established(this);
      this.alpn = Buffer.from(this.conn.applicationProto()).toString('latin1') || undefined;
      this.keylog?.flush();
      this.qlog('connectivity', 'connection_state_updated', { new: 'handshake_complete' });
      this.events?.established();
    }
    if (this.established) {
      this.readStreams();
      this.noticeStoppedStreams();
      this.maintainConnectionIds();
    }
    this.flushStreams();
    this.sendPackets();
  };

  /**
   * quiche reports a peer's STOP_SENDING only to a write; streams with
   * nothing queued (a response still waiting for its backend) are asked
   * here, so the application can stop producing at once.
   */
  private noticeStoppedStreams(): void {
    for (const id of this.watched) {
      const st = this.streams.get(id);
      if (st?.queue.length) continue;
      if (this.stopNotified.has(id) || st?.finSent) {
        this.watched.delete(id);
        continue;
      }
      try {
        this.conn.streamCapacity(id);
      } catch (err) {
        const m = /StreamStopped\((\d+)\)/.exec((err as Error).message);
        // Any other error: quiche no longer has the stream; nothing more can arrive for it.
        this.watched.delete(id);
        if (!m) continue;
        this.stopNotified.add(id);
        const st = this.streams.get(id);
        if (st) st.finSent = true;
        this.events?.streamStopSending(id, Number(m[1]));
      }
    }
  }

  private readStreams(): void {
    // readable() builds an iterator through NAPI (~10 µs); isReadable() is a plain call.
    if (!this.conn.isReadable()) return;
    for (const id of this.conn.readable()) {
      if (!this.stopNotified.has(id) && !this.streams.get(id)?.finSent) this.watched.add(id);
      if (this.streams.get(id)?.paused) continue;
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
        if (fin || this.done || this.streams.get(id)?.paused) break;
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
    if (!st.finSent) this.watched.add(streamId);
    if (data.length) {
      st.queue.push(data);
      st.queued += data.length;
    }
    if (fin) st.fin = true;
    this.flushStream(streamId, st);
    this.scheduleService();
  }

  private flushStreams(): void {
    for (const [id, st] of this.streams) if (st.queue.length || (st.fin && !st.finSent) || st.writable.length) this.flushStream(id, st);
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
      if (m && !this.stopNotified.has(id)) {
        this.stopNotified.add(id);
        this.events?.streamStopSending(id, Number(m[1]));
      }
    }
    if (st.queued < STREAM_HIGH_WATER && st.writable.length) {
      const cbs = st.writable;
      st.writable = [];
      for (const cb of cbs) cb();
    }
    if (st.finSent && !st.queue.length && !st.paused && !st.writable.length) this.streams.delete(id);
  }

  resetStream(streamId: number, code: number): void {
    try {
      this.conn.streamShutdown(streamId, this.host.quiche.Shutdown.Write, code);
    } catch {
      /* already closed */
    }
    this.watched.delete(streamId);
    const st = this.streams.get(streamId);
    if (st) {
      st.queue = [];
      st.queued = 0;
      const cbs = st.writable;
      this.streams.delete(streamId);
      for (const cb of cbs) cb();
    }
    this.scheduleService();
  }

  stopSending(streamId: number, code: number): void {
    try {
      this.conn.streamShutdown(streamId, this.host.quiche.Shutdown.Read, code);
    } catch {
      /* already closed */
    }
    this.scheduleService();
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
    this.qlog('connectivity', 'connection_close_requested', { owner: 'local', application_code: code, reason });
    this.scheduleService();
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
    if (!st || st.queued < STREAM_HIGH_WATER || this.done) return void queueMicrotask(cb);
    st.writable.push(cb);
  }

  pauseRead(streamId: number): void {
    this.stream(streamId).paused = true;
  }

  resumeRead(streamId: number): void {
    const st = this.streams.get(streamId);
    if (!st?.paused) return;
    st.paused = false;
    // Data waiting in quiche: read it now (on a fresh stack, the caller may be inside a data event).
    this.scheduleService();
  }

  qlog(category: string, event: string, data: Record<string, unknown>): void {
    this.qlogWriter?.event(category, event, data);
  }

  stats(): QuicConnectionStats {
    const s = this.conn.stats();
    const path = this.activePath();
    return {
      sent: s.sent,
      recv: s.recv,
      lost: s.lost,
      retrans: s.retrans,
      sentBytes: s.sentBytes,
      recvBytes: s.recvBytes,
      lostBytes: s.lostBytes,
      // The binding reports the RTT in whole milliseconds (0 below 1 ms).
      rttMs: path?.rtt ?? 0,
      cwnd: path?.cwnd ?? 0,
      pmtu: path?.pmtu ?? 0,
      deliveryRate: path?.deliveryRate ?? 0,
      paths: s.pathsCount,
    };
  }

  /** Stop at once without telling the peer (the listener is going away). */
  abandon(reason: string): void {
    this.finish(reason);
  }

  private activePath(): ReturnType<QuicheConnection['pathStats']>[number] | undefined {
    let stats: ReturnType<QuicheConnection['pathStats']>;
    try {
      stats = this.conn.pathStats();
    } catch {
      return undefined;
    }
    return stats.find((p) => p.active) ?? stats[0];
  }

  /** Send what quiche has, paced, at most PACKETS_PER_TURN per turn of the event loop. */
  private sendPackets(): void {
    if (this.done) return;
    if (this.abandonedPaths.length) this.recoverAbandonedPaths();
    const now = performance.now();
    if (now - this.pacerRefreshedAt >= PACER_REFRESH_MS) {
      this.pacerRefreshedAt = now;
      const path = this.activePath();
      if (path) this.pacer.update(path.cwnd, path.rtt);
    }
    let sent = 0;
    let more = false;
    for (;;) {
      if (sent >= PACKETS_PER_TURN || !this.pacer.canSend(MAX_DATAGRAM)) {
        more = true;
        break;
      }
      let r: ReturnType<QuicheConnection['send']>;
      try {
        // With no path given quiche picks one, probing new paths (PATH_CHALLENGE after a migration or NAT rebinding) first.
        r = this.conn.send(this.sendSpace());
      } catch {
        r = null;
      }
      if (!r) break;
      const [len, info] = r;
      this.host.socketFor(info.to.host).send(this.takeSent(len), info.to.port, info.to.host);
      this.pacer.spend(len);
      sent++;
    }
    if (more) this.resumeSendingLater();
    this.armTimer();
    if (this.conn.isClosed()) this.finish();
  }

  /**
   * Work around a quiche 0.18 recovery gap on migration. Packets sent to the
   * old address after the peer rebound but before its first packet from the
   * new one arrived (a window of a few ms in which a bulk transfer fills a
   * whole congestion window) stay "in flight" on the old path forever: quiche
   * runs loss detection for a path only when an ACK newly acknowledges one of
   * that path's packets, and a PTO there re-queues only the oldest one or two
   * packets that carried STREAM/CRYPTO data. Their stream data and their
   * MAX_STREAM_DATA/MAX_DATA credit are never resent, so the transfer stalls
   * on a hole, or the peer waits for credit, until the idle timeout.
   *
   * The old path's PTO does fire; its probe (a PING booked on that path) is
   * taken here with sendOnPath and delivered to the peer's current, validated
   * address — the only one that still reaches it after a NAT rebinding. The
   * peer acknowledges it, which gives the old path a newly acknowledged
   * packet above everything stranded there: quiche declares those lost and
   * retransmits their frames on the active path. Once nothing is in flight on
   * the old path its PTO stops and sendOnPath has nothing more to send.
   */
  private recoverAbandonedPaths(): void {
    const to = this.rawRemote;
    for (const old of [...this.abandonedPaths]) {
      for (let n = 0; n < 2; n++) {
        let r: ReturnType<QuicheConnection['sendOnPath']>;
        try {
          r = this.conn.sendOnPath(this.sendSpace(), this.local, old);
        } catch {
          // The path is gone (quiche evicted it): nothing stranded is left to recover.
          this.abandonedPaths = this.abandonedPaths.filter((p) => p !== old);
          break;
        }
        if (!r) break;
        this.host.socketFor(to.host).send(this.takeSent(r[0]), to.port, to.host);
        this.qlog('recovery', 'abandoned_path_probe', { old_peer: old, sent_to: to, length: r[0] });
      }
    }
  }

  /** Room for the next datagram: a view of the current slab (a fresh slab when it is full; sent views keep the old one alive). */
  private sendSpace(): Buffer {
    if (this.sendOffset + MAX_DATAGRAM > SEND_SLAB) {
      this.sendSlab = Buffer.allocUnsafe(SEND_SLAB);
      this.sendOffset = 0;
    }
    return this.sendSlab.subarray(this.sendOffset, this.sendOffset + MAX_DATAGRAM);
  }

  /** The datagram just written into sendSpace(), as its own view; the next one goes after it. */
  private takeSent(len: number): Buffer {
    const out = this.sendSlab.subarray(this.sendOffset, this.sendOffset + len);
    this.sendOffset += len;
    return out;
  }

  private resumeSendingLater(): void {
    const wait = this.pacer.delayMs(MAX_DATAGRAM);
    // Timers have millisecond granularity: shorter waits are a turn of the event loop.
    if (wait < 1) return this.scheduleService();
    if (this.sendTimer) return;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      this.service();
    }, Math.ceil(wait));
  }

  private armTimer(): void {
    if (this.done) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const ms = this.conn.timeout();
    if (ms === null) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.conn.onTimeout();
      this.service();
    }, ms);
  }

  /**
   * Keep the peer supplied with our connection IDs (it needs a fresh one to
   * migrate, or to answer a NAT rebinding), route the new ones here, forget
   * the retired ones, and follow the peer to its new address.
   */
  private maintainConnectionIds(): void {
    for (;;) {
      let retired: Uint8Array | null;
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
      let ev: ReturnType<QuicheConnection['pathEventNext']> | null;
      try {
        ev = this.conn.pathEventNext();
      } catch {
        ev = null; // "Done"
      }
      if (!ev) break;
      this.onPathEvent(ev);
    }
    try {
      while (this.conn.sourceCidsLeft() > 0) {
        const cid = this.host.generator.generate();
        this.conn.newSourceCid(cid, this.host.resetToken(cid), false);
        this.cids.add(cid.toString('hex'));
        this.host.register(cid, this);
      }
    } catch {
      /* the peer's limit was reached */
    }
  }

  private onPathEvent(ev: ReturnType<QuicheConnection['pathEventNext']>): void {
    switch (ev.type) {
      case 'PeerMigrated': {
        // The binding names quiche's PeerMigrated(local, peer) fields old/new: `new` is the peer's new address.
        const previous = this.rawRemote;
        this.rawRemote = { host: ev.new.host, port: ev.new.port };
        this.remoteAddress = unmapped(ev.new.host);
        this.remotePort = ev.new.port;
        if (previous.host !== ev.new.host || previous.port !== ev.new.port) {
          // Keep a few: a peer that rebinds again and again must not grow this without bound.
          this.abandonedPaths = [...this.abandonedPaths.filter((p) => p.host !== ev.new.host || p.port !== ev.new.port), previous].slice(-4);
        }
        this.qlog('connectivity', 'connection_migrated', { old: previous, new: ev.new, local: ev.old });
        break;
      }
      case 'ReusedSourceConnectionId':
        // Sequence numbers are BigInt in the binding: JSON cannot carry them as they are.
        this.qlog('connectivity', 'path_event', { type: ev.type, seq: String(ev.seq), old: ev.old, new: ev.new });
        break;
      default:
        this.qlog('connectivity', 'path_event', { type: ev.type, local: ev.local, peer: ev.peer });
    }
  }

  private describeClose(): string {
    if (this.conn.isTimedOut()) return 'idle timeout';
    const peer = this.conn.peerError();
    if (peer) return `peer closed with ${peer.isApp ? 'application' : 'transport'} error 0x${peer.errorCode.toString(16)}${reasonText(peer.reason)}`;
    const local = this.conn.localError();
    if (local) return `closed with ${local.isApp ? 'application' : 'transport'} error 0x${local.errorCode.toString(16)}${reasonText(local.reason)}`;
    return 'closed';
  }

  private finish(reason = this.describeClose()): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sendTimer) clearTimeout(this.sendTimer);
    const s = this.conn.stats();
    this.qlog('connectivity', 'connection_closed', {
      owner: this.conn.peerError() ? 'remote' : 'local',
      trigger: this.conn.isTimedOut() ? 'idle_timeout' : this.established ? 'clean' : 'handshake_failed',
      reason,
      packets_sent: s.sent,
      packets_received: s.recv,
      packets_lost: s.lost,
    });
    this.qlogWriter?.close();
    this.keylog?.done();
    const waiting = [...this.streams.values()].flatMap((st) => st.writable);
    this.streams.clear();
    this.watched.clear();
    this.host.closed(this);
    for (const cb of waiting) cb();
    this.events?.closed(reason);
  }
}

function unmapped(host: string): string {
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}

function reasonText(reason: Uint8Array): string {
  const text = Buffer.from(reason)
    .toString('utf8')
    .replace(/[^\x20-\x7e]/g, '?');
  return text ? ` (${text})` : '';
}
