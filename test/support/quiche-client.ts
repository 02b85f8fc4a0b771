/**
 * A raw QUIC client on quiche: one UDP socket, one connection, streams as
 * byte pipes (no HTTP/3). It exists to test the server transport and to
 * drive load (an HTTP/3 load generator can put its own framing on top).
 * It paces nothing and keeps whole streams in memory: not for production
 * traffic.
 */
import dgram, { type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Quiche, QuicheConfig, QuicheConnection } from '../../src/quic/quiche/binding.js';

export interface QuicheClientOptions {
  host: string;
  port: number;
  /** SNI; omitted for an IP literal unless given. */
  serverName?: string;
  alpn?: string[];
  /** PEM of the CA(s) to verify the server with; without it the server is not verified. */
  caPem?: string;
  idleTimeoutMs?: number;
  /** NSS key log of this connection (quiche truncates the file). */
  keylogFile?: string;
  streamWindow?: number;
  connectionWindow?: number;
  /** Give up if the handshake has not completed by then. */
  handshakeTimeoutMs?: number;
}

interface ClientStream {
  chunks: Buffer[];
  received: number;
  finished: boolean;
  waiters: Array<{ resolve: (b: Buffer) => void; reject: (e: Error) => void }>;
  out: Buffer[];
  outFin: boolean;
  finSent: boolean;
}

const PACKETS_PER_TURN = 32;

export class QuicheClient {
  private socket: UdpSocket;
  private readonly local: { host: string; port: number };
  private readonly streams = new Map<number, ClientStream>();
  private readonly recvBuf = Buffer.allocUnsafe(16 * 1024);
  private readonly sendBuf = Buffer.allocUnsafe(1500);
  private timer: NodeJS.Timeout | undefined;
  private sendScheduled = false;
  private nextBidi = 0;
  private done = false;
  private closeReason = '';
  private readonly closedWaiters: Array<(reason: string) => void> = [];
  private establishedWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Called for every chunk of stream data, before it is buffered for readStream. */
  onStreamData: ((streamId: number, data: Buffer, fin: boolean) => void) | undefined;
  /** Streams the peer reset, with their codes. */
  readonly resets = new Map<number, number>();
  /** Streams not read (their data stays in quiche, so its flow-control window never opens). */
  private readonly unread = new Set<number>();

  private constructor(
    private readonly quiche: Quiche,
    readonly conn: QuicheConnection,
    socket: UdpSocket,
    private readonly remote: { host: string; port: number },
  ) {
    this.socket = socket;
    const a = socket.address();
    this.local = { host: a.address, port: a.port };
    this.attach(socket);
  }

  /** Connects and resolves once the handshake completes; rejects with the reason if it fails. */
  static async connect(quiche: Quiche, opts: QuicheClientOptions): Promise<QuicheClient> {
    const config = clientConfig(quiche, opts);
    const socket = await bindUdp(isIPv6(opts.host) ? 'udp6' : 'udp4', isIPv6(opts.host) ? '::1' : '127.0.0.1');
    const a = socket.address();
    const remote = { host: opts.host, port: opts.port };
    const conn = quiche.Connection.connect(opts.serverName ?? null, randomBytes(16), { host: a.address, port: a.port }, remote, config);
    if (opts.keylogFile) conn.setKeylog(opts.keylogFile);
    const client = new QuicheClient(quiche, conn, socket, remote);
    const established = new Promise<void>((resolve, reject) => (client.establishedWaiter = { resolve, reject }));
    const limit = setTimeout(
      () => client.fail(`handshake with ${opts.host}:${opts.port} did not complete in ${opts.handshakeTimeoutMs ?? 5000} ms`),
      opts.handshakeTimeoutMs ?? 5000,
    );
    client.flush();
    try {
      await established;
    } finally {
      clearTimeout(limit);
    }
    return client;
  }

  get alpn(): string {
    return Buffer.from(this.conn.applicationProto()).toString();
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** The server's leaf certificate (DER), if it sent one. */
  peerCertificate(): Buffer | undefined {
    const chain = this.conn.peerCertChain();
    return chain?.[0] ? Buffer.from(chain[0]) : undefined;
  }

  openBidiStream(): number {
    const id = this.nextBidi;
    this.nextBidi += 4;
    return id;
  }

  write(streamId: number, data: Buffer, fin: boolean): void {
    const st = this.stream(streamId);
    if (data.length) st.out.push(data);
    if (fin) st.outFin = true;
    this.flushStream(streamId, st);
    this.flush();
  }

  /** Abandon sending on a stream (RESET_STREAM with this code). */
  resetStream(streamId: number, code: number): void {
    const st = this.stream(streamId);
    st.out = [];
    st.finSent = true;
    try {
      this.conn.streamShutdown(streamId, this.quiche.Shutdown.Write, code);
    } catch {
      /* already finished */
    }
    this.flush();
  }

  /** Ask the peer to stop sending on a stream (STOP_SENDING with this code). */
  stopSending(streamId: number, code: number): void {
    try {
      this.conn.streamShutdown(streamId, this.quiche.Shutdown.Read, code);
    } catch {
      /* already finished */
    }
    this.flush();
  }

  /** Stop reading a stream: the peer's data for it waits and the stream's window stays closed, as a zero-window reader's would. */
  pauseReading(streamId: number): void {
    this.unread.add(streamId);
  }

  /** Everything the peer sends on a stream, once it finishes. */
  readStream(streamId: number): Promise<Buffer> {
    const st = this.stream(streamId);
    if (st.finished) return Promise.resolve(Buffer.concat(st.chunks));
    if (this.done) return Promise.reject(new Error(`connection closed (${this.closeReason}) before stream ${streamId} finished`));
    return new Promise((resolve, reject) => st.waiters.push({ resolve, reject }));
  }

  /** Bytes written to a stream that quiche has not taken yet (held by flow control or congestion). */
  queued(streamId: number): number {
    return this.streams.get(streamId)?.out.reduce((n, b) => n + b.length, 0) ?? 0;
  }

  /** Bytes received so far on a stream (for streams read by onStreamData). */
  received(streamId: number): number {
    return this.streams.get(streamId)?.received ?? 0;
  }

  close(code = 0, reason = ''): Promise<string> {
    if (!this.done) {
      try {
        this.conn.close(true, code, Buffer.from(reason));
      } catch {
        /* already closing */
      }
      this.flush();
    }
    return this.closed();
  }

  closed(): Promise<string> {
    if (this.done) return Promise.resolve(this.closeReason);
    return new Promise((r) => this.closedWaiters.push(r));
  }

  /** Stop everything now, without telling the peer (the peer will time out). */
  abandon(): void {
    this.finish('abandoned');
  }

  /**
   * Simulate a NAT rebinding: later datagrams leave from a new UDP port, and
   * quiche is not told (its idea of the local address stays the same), as a
   * middlebox would do it.
   */
  async rebind(): Promise<void> {
    const old = this.socket;
    const a = old.address();
    const next = await bindUdp(a.family === 'IPv6' ? 'udp6' : 'udp4', a.address);
    this.socket = next;
    this.attach(next);
    old.close();
    // An ack-eliciting packet, so the server sees the new address at once.
    this.conn.sendAckEliciting();
    this.flush();
  }

  stats(): { rttMs: number; cwnd: number; lost: number; sent: number; recv: number } {
    const s = this.conn.stats();
    const p = this.conn.pathStats()[0];
    return { rttMs: p?.rtt ?? 0, cwnd: p?.cwnd ?? 0, lost: s.lost, sent: s.sent, recv: s.recv };
  }

  private attach(socket: UdpSocket): void {
    socket.on('message', (msg, rinfo) => {
      if (this.socket !== socket || this.done) return;
      try {
        this.conn.recv(msg, { to: this.local, from: { host: rinfo.address, port: rinfo.port } });
      } catch {
        /* quiche dropped what it could not use; errors show up in localError */
      }
      // Streams and sending once per turn, after all of the turn's datagrams.
      this.flush();
    });
    socket.on('error', () => undefined);
  }

  private afterIo(): void {
    if (this.conn.isEstablished()) {
      this.readStreams();
      this.refillConnectionIds();
    }
    for (const [id, st] of this.streams) if (st.out.length || (st.outFin && !st.finSent)) this.flushStream(id, st);
    this.sendPackets();
  }

  /** Spare connection IDs let the server probe a new path with a fresh ID (RFC 9000 §9.5). */
  private refillConnectionIds(): void {
    try {
      while (this.conn.sourceCidsLeft() > 0) this.conn.newSourceCid(randomBytes(16), BigInt('0x' + randomBytes(16).toString('hex')), false);
    } catch {
      /* the server's limit was reached */
    }
    try {
      while (this.conn.retiredScidNext()) {
        /* nothing routes by our IDs: just drain */
      }
    } catch {
      /* none retired */
    }
  }

  private readStreams(): void {
    for (const id of this.conn.readable()) {
      const st = this.stream(id);
      // An unread stream is still asked for nothing, which tells whether the peer reset it.
      const into = this.unread.has(id) ? this.recvBuf.subarray(0, 0) : this.recvBuf;
      for (;;) {
        let r: [number, boolean] | null;
        try {
          r = this.conn.streamRecv(id, into);
        } catch (err) {
          const m = /StreamReset\((\d+)\)/.exec((err as Error).message);
          if (m) {
            this.resets.set(id, Number(m[1]));
            for (const w of st.waiters.splice(0)) w.reject(new Error(`stream ${id} reset by the server with code ${m[1]}`));
          }
          break;
        }
        if (!r || into.length === 0) break;
        const [len, fin] = r;
        const data = Buffer.from(this.recvBuf.subarray(0, len));
        st.received += len;
        this.onStreamData?.(id, data, fin);
        if (!this.onStreamData) st.chunks.push(data);
        if (fin) {
          st.finished = true;
          const all = Buffer.concat(st.chunks);
          for (const w of st.waiters.splice(0)) w.resolve(all);
          break;
        }
      }
    }
  }

  private stream(id: number): ClientStream {
    let st = this.streams.get(id);
    if (!st) {
      st = { chunks: [], received: 0, finished: false, waiters: [], out: [], outFin: false, finSent: false };
      this.streams.set(id, st);
    }
    return st;
  }

  private flushStream(id: number, st: ClientStream): void {
    try {
      while (st.out.length) {
        const chunk = st.out[0]!;
        const last = st.out.length === 1;
        const n = this.conn.streamSend(id, chunk, last && st.outFin);
        if (n === null) return;
        if (n < chunk.length) {
          st.out[0] = chunk.subarray(n);
          return;
        }
        st.out.shift();
        if (last && st.outFin) st.finSent = true;
      }
      if (st.outFin && !st.finSent && this.conn.streamSend(id, Buffer.alloc(0), true) !== null) st.finSent = true;
    } catch (err) {
      // Beyond the server's stream limit: keep the data until MAX_STREAMS raises it.
      if ((err as Error).message === 'StreamLimit') return;
      st.out = [];
      st.finSent = true;
    }
  }

  private flush(): void {
    if (this.sendScheduled || this.done) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.afterIo();
    });
  }

  private sendPackets(): void {
    if (this.done) return;
    let sent = 0;
    for (; sent < PACKETS_PER_TURN; sent++) {
      let r: ReturnType<QuicheConnection['send']>;
      try {
        r = this.conn.send(this.sendBuf);
      } catch {
        r = null;
      }
      if (!r) break;
      const [len, info] = r;
      this.socket.send(Buffer.from(this.sendBuf.subarray(0, len)), info.to.port, info.to.host);
    }
    // Resolve only once the handshake's last flight has left: quiche 0.18 cannot send a
    // CONNECTION_CLOSE from a client that closes before sending its Finished.
    if (this.conn.isEstablished() && this.establishedWaiter) {
      this.establishedWaiter.resolve();
      this.establishedWaiter = undefined;
    }
    if (sent === PACKETS_PER_TURN) this.flush();
    this.armTimer();
    if (this.conn.isClosed()) this.finish(this.describeClose());
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    const ms = this.conn.timeout();
    if (ms === null) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.conn.onTimeout();
      if (this.conn.isClosed()) return this.finish(this.describeClose());
      this.afterIo();
    }, ms);
  }

  private describeClose(): string {
    if (this.conn.isTimedOut()) return 'idle timeout';
    const peer = this.conn.peerError();
    if (peer)
      return `peer closed: ${peer.isApp ? 'application' : 'transport'} error 0x${peer.errorCode.toString(16)} ${Buffer.from(peer.reason).toString()}`.trim();
    const local = this.conn.localError();
    if (local)
      return `local error: ${local.isApp ? 'application' : 'transport'} error 0x${local.errorCode.toString(16)} ${Buffer.from(local.reason).toString()}`.trim();
    return 'closed';
  }

  private fail(reason: string): void {
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.closeReason = reason;
    if (this.timer) clearTimeout(this.timer);
    this.socket.close();
    this.establishedWaiter?.reject(new Error(`QUIC handshake failed: ${reason}`));
    this.establishedWaiter = undefined;
    for (const [id, st] of this.streams)
      for (const w of st.waiters.splice(0)) w.reject(new Error(`connection closed (${reason}) before stream ${id} finished`));
    for (const w of this.closedWaiters.splice(0)) w(reason);
  }

  /** For tests of the binding itself. */
  get binding(): Quiche {
    return this.quiche;
  }

  get remoteAddress(): { host: string; port: number } {
    return this.remote;
  }
}

function clientConfig(quiche: Quiche, opts: QuicheClientOptions): QuicheConfig {
  const c = quiche.Config.withBoringSslCtx(opts.caPem !== undefined, false, opts.caPem ? Buffer.from(opts.caPem) : null, null, null, null);
  if (opts.keylogFile) c.logKeys();
  c.setApplicationProtos(opts.alpn ?? ['h3']);
  c.setMaxIdleTimeout(opts.idleTimeoutMs ?? 30_000);
  c.setMaxRecvUdpPayloadSize(1500);
  c.setMaxSendUdpPayloadSize(1350);
  c.setInitialMaxData(opts.connectionWindow ?? 32 * 1024 * 1024);
  c.setInitialMaxStreamDataBidiLocal(opts.streamWindow ?? 16 * 1024 * 1024);
  c.setInitialMaxStreamDataBidiRemote(opts.streamWindow ?? 16 * 1024 * 1024);
  c.setInitialMaxStreamDataUni(opts.streamWindow ?? 1024 * 1024);
  c.setInitialMaxStreamsBidi(100);
  c.setInitialMaxStreamsUni(100);
  c.setActiveConnectionIdLimit(4);
  return c;
}

function bindUdp(type: 'udp4' | 'udp6', address: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.once('error', reject);
    s.bind(0, address, () => {
      s.off('error', reject);
      try {
        s.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        /* capped by net.core.rmem_max */
      }
      resolve(s);
    });
  });
}
