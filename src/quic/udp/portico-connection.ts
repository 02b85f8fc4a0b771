/**
 * One of our sans-I/O QuicConnections seen through the transport interface
 * (../transport.ts) that src/http3 uses: stream events out, stream writes
 * in, back-pressure, close, stats. It never touches a socket or a timer:
 * the listener feeds it datagrams and expiries and calls `service(now)`
 * once per event-loop turn for each connection that had something happen,
 * which drains the connection's and the streams' events, calls the
 * application, and returns the datagrams to send and where each goes (the
 * connection follows migration itself; `remoteAddress` is its validated
 * peer address, what ClientIP rules, X-Forwarded-For and logs see).
 */
import type { QuicConnection as SansIoConnection, CloseInfo, PeerAddress } from '../connection/quic-connection.js';
import type { QuicConnection, QuicConnectionEvents, QuicConnectionStats } from '../transport.js';
import type { QlogWriter } from '../qlog/qlog-writer.js';
import type { ConnectionKeylogLines } from '../keylog-collector.js';

/** onWritable callbacks fire once the stream's unacknowledged bytes drop below this. */
const WRITABLE_MARK = 256 * 1024;

/** What the connection needs from its listener. */
export interface PorticoConnectionHost {
  /** Something happened outside a listener pass (an application write, close…): service it this turn. */
  wake(conn: PorticoConnection): void;
  /** The connection issued `cid` (packets to it are routed here) or the peer retired it (forgotten). */
  routeConnectionId(conn: PorticoConnection, cid: Buffer): void;
  unrouteConnectionId(conn: PorticoConnection, cid: Buffer): void;
}

export class PorticoConnection implements QuicConnection {
  events: QuicConnectionEvents | undefined;
  remoteAddress: string;
  remotePort: number;
  alpn: string | undefined;
  /** Every connection ID the listener routes to this connection (hex). */
  readonly cids = new Set<string>();
  wasEstablished = false;
  /** This connection's key log lines (keylogFile / SSLKEYLOGFILE), flushed by the listener. */
  keylog: ConnectionKeylogLines | undefined;
  closeReason: string | undefined;
  private readonly paused = new Set<number>();
  /** Streams whose FIN was delivered, or that were reset: nothing more goes to the application. */
  private readonly finished = new Set<number>();
  private readonly writableWaiters = new Map<number, Array<() => void>>();
  private closedNotified = false;
  /** Handed to the application on accepted 0-RTT, before the handshake completed. */
  private earlyStarted = false;
  private forwardedSeen = false;

  constructor(
    private readonly host: PorticoConnectionHost,
    readonly connection: SansIoConnection,
    /** The client's SNI: known once TLS read the ClientHello, before the application sees the connection. */
    public serverName: string | undefined,
    remote: PeerAddress,
    readonly localAddress: string,
    readonly localPort: number,
    private readonly qlogWriter: QlogWriter | undefined,
    private readonly clock: () => number,
  ) {
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
  }

  get peerCertificate(): Buffer | undefined {
    return this.connection.handshakeInfo?.peerCertificates[0];
  }

  get cipherSuite(): string | undefined {
    return this.connection.handshakeInfo?.cipherSuite;
  }

  get inEarlyData(): boolean {
    return this.earlyStarted && !this.connection.isEstablished;
  }

  // ------------------------------------------------ application → QUIC

  writeStream(streamId: number, data: Buffer, fin: boolean): void {
    const streams = this.connection.streams;
    if (this.connection.isClosed) return;
    try {
      if (data.length) streams.write(streamId, data);
      if (fin) streams.end(streamId);
    } catch {
      // The stream's sending half is gone (reset by us, or STOP_SENDING from the peer): the data has nowhere to go.
      return;
    }
    this.host.wake(this);
  }

  resetStream(streamId: number, code: number): void {
    try {
      this.connection.streams.resetStream(streamId, code);
    } catch {
      return;
    }
    this.host.wake(this);
  }

  stopSending(streamId: number, code: number): void {
    try {
      this.connection.streams.stopReading(streamId, code);
    } catch {
      return;
    }
    this.finished.add(streamId);
    this.host.wake(this);
  }

  openUniStream(): number {
    const id = this.connection.streams.openStream('uni');
    if (id === undefined) throw new Error('the peer allows no more unidirectional streams');
    return id;
  }

  close(code: number, reason: string): void {
    this.connection.close(code, reason, true, this.clock());
    this.host.wake(this);
  }

  closeConnection(code: number, reason: string): void {
    this.close(code, reason);
  }

  bufferedAmount(streamId: number): number {
    return this.connection.streams.bufferedAmount(streamId);
  }

  onWritable(streamId: number, cb: () => void): void {
    const list = this.writableWaiters.get(streamId);
    if (list) list.push(cb);
    else this.writableWaiters.set(streamId, [cb]);
    this.host.wake(this);
  }

  pauseRead(streamId: number): void {
    this.paused.add(streamId);
  }

  resumeRead(streamId: number): void {
    if (!this.paused.delete(streamId)) return;
    this.host.wake(this);
    this.deliver(streamId, this.clock());
  }

  qlog(category: string, event: string, data: Record<string, unknown>): void {
    this.qlogWriter?.event(category, event, data);
  }

  stats(): QuicConnectionStats {
    const c = this.connection;
    const r = c.recovery;
    const bytes = c.datagramBytes;
    return {
      rttMs: r.rtt.smoothedRtt,
      cwnd: r.congestionWindow,
      sent: r.counters.packetsSent,
      recv: c.packetsReceived,
      lost: r.counters.packetsLost,
      sentBytes: bytes.sent,
      recvBytes: bytes.received,
      bytesLost: r.counters.bytesLost,
      probeTimeouts: r.counters.probeTimeouts,
      congestionEvents: r.counters.congestionEvents,
      keyUpdates: c.keyUpdates,
      datagramSize: c.stats().datagramSize,
      mtuProbesSent: c.pathMtu?.counters.probesSent ?? 0,
      mtuProbesLost: c.pathMtu?.counters.probesLost ?? 0,
    };
  }

  // ------------------------------------------------ listener → connection

  /** A datagram of this connection reached another worker, which handed it over (qlog'd once per connection). */
  noteForwarded(): void {
    if (this.forwardedSeen) return;
    this.forwardedSeen = true;
    this.qlog('connectivity', 'datagrams_from_other_worker', {});
  }

  /**
   * A datagram from the peer and its source. The connection decides whether
   * the peer moved (path validation, RFC 9000 §9); `remoteAddress` follows
   * only once the new path is validated (service(), 'peerAddressChanged').
   */
  receive(data: Buffer, from: PeerAddress, now: number): void {
    this.connection.receiveDatagram(data, now, from);
  }

  /**
   * Runs the application for everything that happened, then returns the
   * datagrams due now. Called by the listener once per turn per connection.
   */
  service(now: number, destinations: (PeerAddress | undefined)[]): Buffer[] {
    const c = this.connection;
    for (let e = c.pollEvent(); e; e = c.pollEvent()) {
      if (e.type === 'connectionIdIssued') this.host.routeConnectionId(this, e.cid);
      else if (e.type === 'connectionIdRetired') this.host.unrouteConnectionId(this, e.cid);
      else if (e.type === 'peerAddressChanged') {
        this.qlog('connectivity', 'connection_migrated', {
          old: { ip: this.remoteAddress, port: this.remotePort },
          new: { ip: e.address.address, port: e.address.port },
        });
        this.remoteAddress = e.address.address;
        this.remotePort = e.address.port;
      } else if (e.type === 'earlyDataAccepted') {
        this.earlyStarted = true;
        this.qlog('connectivity', 'connection_state_updated', { new: 'early_write', early_data: 'accepted' });
        this.events?.established();
      } else if (e.type === 'handshakeComplete') {
        this.alpn = e.info.alpn;
        this.wasEstablished = true;
        this.qlog('connectivity', 'connection_state_updated', {
          new: 'handshake_complete',
          cipher_suite: e.info.cipherSuite,
          group: e.info.group,
          resumed: e.info.resumed,
          early_data_accepted: e.info.earlyDataAccepted,
          zero_rtt_packets_received: c.zeroRttPacketsReceived,
        });
        if (this.earlyStarted) this.events?.handshakeComplete?.();
        else this.events?.established();
      } else if (e.type === 'closed') {
        this.notifyClosed(describeClose(e.close));
      }
    }
    const streams = c.streams;
    for (let e = streams.pollEvent(); e; e = streams.pollEvent()) {
      switch (e.type) {
        case 'readable':
          this.deliver(e.streamId, now);
          break;
        case 'reset':
          if (!this.finished.has(e.streamId)) {
            this.finished.add(e.streamId);
            this.events?.streamReset(e.streamId, e.errorCode);
          }
          break;
        case 'stop-sending':
          this.events?.streamStopSending(e.streamId, e.errorCode);
          this.fireWritable(e.streamId);
          break;
        case 'closed':
          this.finished.delete(e.streamId);
          this.paused.delete(e.streamId);
          this.fireWritable(e.streamId);
          break;
        default:
          break;
      }
    }
    if (this.writableWaiters.size) {
      for (const id of [...this.writableWaiters.keys()]) if (streams.bufferedAmount(id) < WRITABLE_MARK) this.fireWritable(id);
    }
    if (c.isClosed) {
      this.notifyClosed(this.closeReason ?? 'closed');
      destinations.length = 0;
      return [];
    }
    return c.sendDatagrams(now, destinations);
  }

  /** Ends the connection without a word to the peer (listener shutdown after the grace period). */
  abandon(reason: string): void {
    this.notifyClosed(reason);
  }

  private deliver(streamId: number, now: number): void {
    if (this.paused.has(streamId) || this.finished.has(streamId)) return;
    const streams = this.connection.streams;
    for (;;) {
      const view = streams.read(streamId, now);
      if (view === undefined) break;
      // A view of the reassembly buffer: the HTTP/3 layer may keep what it gets.
      this.events?.streamData(streamId, Buffer.from(view), false);
      if (this.paused.has(streamId) || this.finished.has(streamId)) return;
    }
    if (streams.readEnded(streamId)) {
      this.finished.add(streamId);
      this.events?.streamData(streamId, Buffer.alloc(0), true);
    }
  }

  private fireWritable(streamId: number): void {
    const list = this.writableWaiters.get(streamId);
    if (!list) return;
    this.writableWaiters.delete(streamId);
    for (const cb of list) cb();
  }

  private notifyClosed(reason: string): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.closeReason = reason;
    this.qlog('connectivity', 'connection_closed', {
      reason,
      packets_sent: this.connection.recovery.counters.packetsSent,
      packets_received: this.connection.packetsReceived,
      key_updates: this.connection.keyUpdates,
    });
    this.qlogWriter?.close();
    for (const id of [...this.writableWaiters.keys()]) this.fireWritable(id);
    this.events?.closed(reason);
  }
}

function describeClose(close: CloseInfo): string {
  if (close.initiator === 'idle') return 'idle timeout';
  const hex = `0x${close.code.toString(16)}`;
  const who = close.initiator === 'peer' ? 'peer closed' : 'closed';
  const reason = close.reason ? `: ${close.reason}` : '';
  return close.application ? `${who} with application error ${hex}${reason}` : `${who} with transport error ${hex}${reason}`;
}
