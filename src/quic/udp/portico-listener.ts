/**
 * The listener of our own QUIC stack: UDP sockets (udp-sockets.ts), the
 * table of connections keyed by every connection ID routed to them, and the
 * stateless side — dispatch by DCID from the invariant header alone,
 * Version Negotiation, Retry, stateless resets, limits, drop counters.
 *
 * Work is batched per event-loop turn: a datagram goes into its connection
 * at once, and the connection is marked; one `setImmediate` pass then runs
 * the application and sends for every marked connection. All connection
 * deadlines (loss detection, ACK delay, idle, pacing) sit in one min-heap
 * behind one timer per listener.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { createHmac, randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { QuicConnection as SansIoConnection, type PeerAddress } from '../connection/quic-connection.js';
import { PacketHeader, PacketType, isKnownVersion, parsePacketHeader, readDestinationCid } from '../packet/packet-header.js';
import { buildVersionNegotiation } from '../packet/version-negotiation.js';
import { buildRetryPacket } from '../packet/retry-packet.js';
import { EarlyDataStrikeRegister, createQuicTlsServer, type QuicTlsEarlyDataGuard } from '../tls13/index.js';
import type { QuicTlsServerSelection } from '../tls13/quic-tls.js';
import { ConnectionKeylogLines } from '../keylog-collector.js';
import { tlsNamePolicy } from './tls-name-policy.js';
import { RetryTokens, retryRequired } from '../retry-tokens.js';
import { StatelessResets } from '../stateless-reset.js';
import { QlogWriter } from '../qlog/qlog-writer.js';
import type { QuicConnection, QuicListener, QuicListenerCounters, QuicListenOptions } from '../transport.js';
import { CertificateCache } from './certificate-cache.js';
import { PorticoConnection, type PorticoConnectionHost } from './portico-connection.js';
import { TimerHeap } from './timer-heap.js';
import { bindUdpSockets } from './udp-sockets.js';
import { countDrop, newListenerCounters, statelessResetFor } from './listener-counters.js';

const MIN_INITIAL = 1200;
/** Connections still in their handshake at once (each holds TLS state and a key exchange). */
const MAX_PENDING_HANDSHAKES = 1024;
/** Largest UDP payload we send: the ceiling of the path MTU search (1500-byte Ethernet over IPv6); each connection starts at 1200. */
const MAX_DATAGRAM = 1452;
/** What one QuicConnection.sendDatagrams call returns at most: a full batch means it may have more. */
const MAX_DATAGRAMS_PER_PASS = 32;

export type PorticoListenerOptions = QuicListenOptions;

export class PorticoListener implements QuicListener, PorticoConnectionHost {
  readonly connections = new Set<QuicConnection>();
  readonly counters: QuicListenerCounters = newListenerCounters();
  addresses: Array<{ address: string; family: 'IPv4' | 'IPv6'; port: number }> = [];
  port = 0;
  private readonly table = new Map<string, PorticoConnection>();
  /** Every connection, established or not (`connections` holds those handed to the application). */
  private readonly all = new Set<PorticoConnection>();
  private handshaking = 0;
  private readonly sockets: UdpSocket[] = [];
  private socket4: UdpSocket | undefined;
  private socket6: UdpSocket | undefined;
  private readonly header = new PacketHeader();
  private readonly resets: StatelessResets;
  private readonly retryTokens: RetryTokens;
  /** Where each datagram of the last `service` goes (the connection decides: migration, probes on other paths). */
  private readonly destinations: (PeerAddress | undefined)[] = [];
  private readonly certificates = new CertificateCache();
  private readonly ticketKey: Buffer;
  /** 0-RTT anti-replay (earlyData): this process's tickets only, each ClientHello's early data once. */
  private readonly earlyDataGuard: QuicTlsEarlyDataGuard | undefined;
  private readonly earlyDataContext: Buffer | undefined;
  private readonly timers = new TimerHeap<PorticoConnection>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly dirty = new Set<PorticoConnection>();
  private flushScheduled = false;
  /** Connections whose last pass hit the batch limit (QuicConnection.sendDatagrams gives at most 32). */
  private readonly again: PorticoConnection[] = [];
  private closing = false;

  constructor(private readonly opts: PorticoListenerOptions) {
    this.resets = new StatelessResets({ key: opts.statelessResetKey });
    // Address tokens are accepted by every process that shares the reset key (workers, replicas), under a key of their own.
    const tokenKey = opts.statelessResetKey ? createHmac('sha256', opts.statelessResetKey).update('portico quic address tokens v1').digest() : undefined;
    this.retryTokens = new RetryTokens({ key: tokenKey });
    // Session tickets too: a client resuming on another worker (or replica sharing the key) is resumed, not renegotiated.
    this.ticketKey = opts.statelessResetKey ? createHmac('sha256', opts.statelessResetKey).update('portico quic session tickets v1').digest() : randomBytes(32);
    if (opts.earlyData) {
      const strikes = new EarlyDataStrikeRegister();
      // Random per process: a ticket's 0-RTT is accepted only where its uses are all recorded (other workers resume it in 1-RTT).
      this.earlyDataGuard = { instance: randomBytes(8), firstUse: (binder, now) => strikes.firstUse(binder, now) };
      // RFC 9001 §4.6.2: 0-RTT only with the limits the client remembers; a listener with other ones refuses it.
      this.earlyDataContext = Buffer.from(
        JSON.stringify({
          alpn: opts.alpn,
          window: [opts.connectionWindow, opts.streamWindow, opts.maxStreamsBidi, opts.maxStreamsUni, opts.idleTimeoutMs],
          application: opts.earlyDataContext?.toString('base64'),
        }),
      );
    }
  }

  async bind(): Promise<void> {
    const bound = await bindUdpSockets(
      this.opts.host,
      this.opts.port,
      (socket, msg, rinfo) => this.onDatagram(socket, msg, rinfo),
      (level, msg) => this.opts.log(level, msg),
      {
        reusePort: this.opts.reusePort,
      },
    );
    this.sockets.push(...bound.sockets);
    this.socket4 = bound.socket4;
    this.socket6 = bound.socket6;
    this.addresses = bound.addresses;
    this.port = bound.port;
    this.opts.workers?.forwarder.register(this.port, (msg, from) => this.onDatagram(this.socketFor(from.family), msg, from, true));
  }

  private socketFor(family: 'IPv4' | 'IPv6'): UdpSocket {
    return (family === 'IPv6' ? this.socket6 : this.socket4) ?? this.sockets[0]!;
  }

  // ------------------------------------------------ receiving

  private drop(reason: string): void {
    countDrop(this.counters, this.opts.onDrop, reason);
  }

  /** A datagram from `rinfo` (dgram's RemoteInfo is a PeerAddress); `forwarded` when another worker handed it over. */
  private onDatagram(socket: UdpSocket, msg: Buffer, rinfo: PeerAddress, forwarded = false): void {
    if (this.closing) return;
    const cidLength = this.opts.connectionIds.length;
    const dcid = readDestinationCid(msg, cidLength);
    if (!dcid) return this.drop('not-quic');
    const known = this.table.get(dcid.toString('hex'));
    if (known) {
      if (forwarded) known.noteForwarded();
      // The connection copies the address it keeps.
      known.receive(msg, rinfo, performance.now());
      return this.wake(known);
    }
    const h = this.header;
    if (msg[0]! & 0x80 && msg.length >= 5 && !isKnownVersion(msg.readUInt32BE(1)) && msg.readUInt32BE(1) !== 0) {
      // RFC 9000 §6.1: answer only datagrams big enough to be a client's first Initial (no amplification).
      if (msg.length < MIN_INITIAL) return this.drop('undersized-initial');
      const scid = readScid(msg);
      if (!scid) return this.drop('not-quic');
      this.sendTo(socket, buildVersionNegotiation(Buffer.from(dcid), Buffer.from(scid)), rinfo.address, rinfo.port);
      this.counters.versionNegotiationsSent++;
      return;
    }
    try {
      parsePacketHeader(msg, 0, cidLength, h);
    } catch {
      return this.drop('not-quic');
    }
    const workers = this.opts.workers;
    if (workers && !forwarded && (h.type === PacketType.OneRtt || h.type === PacketType.Handshake)) {
      // Our connection ID, issued by another worker (SO_REUSEPORT hashed a migrated client here): that worker's.
      // Initials and 0-RTT carry the client's own random DCID, and stay wherever the kernel sent them.
      const owner = dcid[workers.cidOffset]!;
      if (owner !== workers.id && workers.forwarder.forward(owner, this.port, msg, rinfo)) return;
    }
    if (h.type === PacketType.OneRtt) {
      this.answerWithReset(socket, dcid, msg.length, rinfo);
      return this.drop('unknown-connection');
    }
    if (h.type !== PacketType.Initial) return this.drop(h.type === PacketType.ZeroRtt ? 'early-0rtt' : 'unknown-connection');
    if (msg.length < MIN_INITIAL) return this.drop('undersized-initial');
    if (dcid.length < 8) return this.drop('invalid-initial');
    if (this.all.size >= this.opts.maxConnections) {
      this.counters.connectionsRefused++;
      return this.drop('connection-limit');
    }
    if (this.handshaking >= MAX_PENDING_HANDSHAKES) return this.drop('handshake-backlog');
    let originalDcid: Buffer = Buffer.from(dcid);
    let retrySourceCid: Buffer | undefined;
    let validated = false;
    if (h.tokenLength > 0) {
      const token = Buffer.from(h.token);
      const odcid = this.retryTokens.validate(token, rinfo.address, dcid);
      if (odcid) {
        originalDcid = odcid;
        retrySourceCid = Buffer.from(dcid);
        validated = true;
      } else if (this.retryTokens.isRetryToken(token)) {
        // The answer to a Retry with a forged, stale or foreign token: a second Retry would be ignored (§17.2.5.2).
        return this.drop('invalid-retry-token');
      } else {
        // A NEW_TOKEN token from an earlier connection proves the address as well as a Retry would (§8.1.3); one we
        // cannot use (another server's, expired) is no reason to refuse: Retry or carry on as without one.
        validated = this.retryTokens.validateNewToken(token, rinfo.address);
      }
    }
    if (!validated && retryRequired(this.opts.retry, this.handshaking)) return this.sendRetry(socket, h, rinfo);
    this.accept(socket, msg, rinfo, originalDcid, retrySourceCid, Buffer.from(h.scid), h.version, validated);
  }

  private accept(
    socket: UdpSocket,
    msg: Buffer,
    rinfo: PeerAddress,
    originalDcid: Buffer,
    retrySourceCid: Buffer | undefined,
    clientScid: Buffer,
    version: number,
    addressValidated: boolean,
  ): void {
    const o = this.opts;
    // After a Retry the client already addresses us by the ID we chose in the Retry; keep it.
    const localCid = retrySourceCid ?? o.connectionIds.generate();
    const now = performance.now();
    const local =
      socket === this.socket6 ? this.addresses.find((a) => a.family === 'IPv6')! : (this.addresses.find((a) => a.family === 'IPv4') ?? this.addresses[0]!);
    const qlog = o.qlogDir ? new QlogWriter(o.qlogDir, originalDcid.toString('hex')) : undefined;
    // eslint-disable-next-line prefer-const -- the TLS callbacks built below capture it before the connection exists
    let conn: PorticoConnection | undefined;
    let serverName: string | undefined;
    const streamWindow = o.streamWindow ?? 1024 * 1024;
    const keylog = o.keylogFile ? new ConnectionKeylogLines(o.keylogFile) : undefined;
    let sans: SansIoConnection;
    try {
      sans = new SansIoConnection({
        role: 'server',
        version,
        localCid,
        remoteCid: clientScid,
        originalDcid,
        retrySourceCid,
        statelessResetToken: this.resets.token(localCid),
        maxDatagramSize: MAX_DATAGRAM,
        pathMtuDiscovery: true,
        congestionControl: 'cubic',
        now,
        peerAddress: rinfo,
        addressValidated,
        ...(keylog ? { keylog: (line: string) => keylog.add(line) } : {}),
        // More IDs for the client to move to (migration, NAT rebinding), each with its reset token; routed on connectionIdIssued.
        connectionIdGenerator: o.connectionIds,
        resetToken: (cid) => this.resets.token(cid),
        newToken: (address) => this.retryTokens.mintNewToken((address ?? rinfo).address),
        transportParameters: {
          maxIdleTimeout: o.idleTimeoutMs,
          initialMaxData: o.connectionWindow ?? 16 * 1024 * 1024,
          initialMaxStreamDataBidiLocal: streamWindow,
          initialMaxStreamDataBidiRemote: streamWindow,
          initialMaxStreamDataUni: Math.min(streamWindow, 1024 * 1024),
          initialMaxStreamsBidi: o.maxStreamsBidi,
          initialMaxStreamsUni: o.maxStreamsUni ?? 16,
        },
        createTls: (binding) =>
          createQuicTlsServer({
            ...binding,
            alpn: o.alpn,
            ticketKeys: { current: this.ticketKey },
            ...(this.earlyDataGuard ? { earlyData: true, earlyDataGuard: this.earlyDataGuard, earlyDataContext: this.earlyDataContext } : {}),
            now: () => Date.now(),
            selectCertificate: (name) => {
              serverName = name;
              if (conn) conn.serverName = name;
              return this.certificateFor(name);
            },
          }),
      });
    } catch (err) {
      qlog?.close();
      o.log('debug', `QUIC connection from ${rinfo.address}:${rinfo.port} not created: ${(err as Error).message}`);
      return this.drop('accept-failed');
    }
    conn = new PorticoConnection(this, sans, serverName, rinfo, local.address, local.port, qlog, () => performance.now());
    conn.keylog = keylog;
    qlog?.event('connectivity', 'connection_started', {
      ip_version: isIPv4(rinfo.address) ? 'ipv4' : 'ipv6',
      src_ip: rinfo.address,
      src_port: rinfo.port,
      dst_ip: local.address,
      dst_port: local.port,
      src_cid: originalDcid.toString('hex'),
      dst_cid: localCid.toString('hex'),
    });
    conn.receive(msg, rinfo, now);
    if (!sans.lastDatagramAuthenticated) {
      // Nothing in it decrypted under the Initial keys of its DCID: not a client's first flight. Keep no state (a TLS
      // engine held until the idle timeout per forged Initial would be cheap to exhaust).
      qlog?.close();
      return this.drop('invalid-initial');
    }
    // The client keeps addressing its Initials to the DCID it chose until it learns ours.
    for (const cid of [localCid, Buffer.from(readDestinationCid(msg, 0)!)]) this.routeConnectionId(conn, cid);
    this.all.add(conn);
    this.handshaking++;
    this.wake(conn);
  }

  /** The certificate and TLS options for a client's SNI, in our TLS engine's form; undefined refuses (sniStrict, or unusable). */
  private certificateFor(serverName: string | undefined): QuicTlsServerSelection | undefined {
    const cert = this.opts.selectCertificate(serverName);
    if (!cert) {
      this.counters.connectionsRefused++;
      this.drop('sni-refused');
      return undefined;
    }
    try {
      const certificate = this.certificates.get(cert);
      return cert.tls ? { ...certificate, policy: tlsNamePolicy(cert.tls) } : certificate;
    } catch (err) {
      this.opts.log('error', `QUIC: the certificate for "${serverName ?? '(no SNI)'}" cannot be used: ${(err as Error).message}`);
      this.counters.connectionsRefused++;
      this.drop('certificate-unusable');
      return undefined;
    }
  }

  private answerWithReset(socket: UdpSocket, dcid: Buffer, length: number, rinfo: PeerAddress): void {
    const packet = statelessResetFor(this.resets, this.counters, Buffer.from(dcid), length);
    if (packet) socket.send(packet, rinfo.port, rinfo.address);
  }

  private sendRetry(socket: UdpSocket, h: PacketHeader, rinfo: PeerAddress): void {
    const scid = this.opts.connectionIds.generate();
    const originalDcid = Buffer.from(h.dcid);
    const token = this.retryTokens.mint(rinfo.address, originalDcid, scid);
    this.sendTo(socket, buildRetryPacket({ version: h.version, dcid: Buffer.from(h.scid), scid, token, originalDcid }), rinfo.address, rinfo.port);
    this.counters.retriesSent++;
  }

  // ------------------------------------------------ connection IDs

  /** Packets to `cid` reach `conn` (PorticoConnectionHost: the connection issued it). */
  routeConnectionId(conn: PorticoConnection, cid: Buffer): void {
    const key = cid.toString('hex');
    const owner = this.table.get(key);
    // A random 16-byte (or QUIC-LB nonce) collision with a live connection: never steal its packets.
    if (owner && owner !== conn) return;
    conn.cids.add(key);
    this.table.set(key, conn);
  }

  /** The peer retired `cid`: packets to it are no longer this connection's (and get a stateless reset). */
  unrouteConnectionId(conn: PorticoConnection, cid: Buffer): void {
    const key = cid.toString('hex');
    if (!conn.cids.delete(key)) return;
    if (this.table.get(key) === conn) this.table.delete(key);
  }

  // ------------------------------------------------ the per-turn pass

  /** Services `conn` in this turn's pass (PorticoConnectionHost). */
  wake(conn: PorticoConnection): void {
    this.dirty.add(conn);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const now = performance.now();
    // A connection woken while the pass runs (an application write from a callback) is serviced in the same pass.
    for (const conn of this.dirty) {
      this.dirty.delete(conn);
      this.serviceOne(conn, now);
    }
    this.armTimer();
    // Connections that filled a whole batch may have more to send now: next turn, after the sockets had their say.
    if (this.again.length) {
      for (const conn of this.again.splice(0)) if (this.all.has(conn)) this.wake(conn);
    }
  }

  private serviceOne(conn: PorticoConnection, now: number): void {
    // Handed over when the handshake completes, or earlier when TLS accepted the client's 0-RTT.
    if (!this.connections.has(conn) && (conn.connection.isEstablished || conn.connection.earlyDataAccepted)) this.established(conn);
    const destinations = this.destinations;
    const datagrams = conn.service(now, destinations);
    if (datagrams.length) {
      for (let i = 0; i < datagrams.length; i++) {
        // Each datagram goes where the connection says: its current path (maybe one under validation) or a prober's address.
        const to = destinations[i];
        const address = to ? to.address : conn.remoteAddress;
        const port = to ? to.port : conn.remotePort;
        const v6 = to ? to.family === 'IPv6' : !isIPv4(address);
        this.sendTo((v6 ? this.socket6 : this.socket4) ?? this.sockets[0]!, datagrams[i]!, address, port);
      }
      if (datagrams.length >= MAX_DATAGRAMS_PER_PASS) this.again.push(conn);
    }
    if (conn.connection.isClosed) return this.forget(conn);
    this.timers.schedule(conn, conn.connection.nextTimeout());
  }

  /** The handshake completed: hand the connection to the application before it sees `established`. */
  private established(conn: PorticoConnection): void {
    conn.keylog?.flush();
    this.handshaking--;
    this.connections.add(conn);
    this.counters.connectionsAccepted++;
    this.opts.onConnection(conn);
  }

  private forget(conn: PorticoConnection): void {
    if (!this.all.delete(conn)) return;
    conn.keylog?.flush();
    this.timers.cancel(conn);
    for (const cid of conn.cids) if (this.table.get(cid) === conn) this.table.delete(cid);
    this.counters.connectionsClosed++;
    const handedOver = this.connections.delete(conn);
    if (!handedOver) this.handshaking--;
    // Handed over on 0-RTT but never completed (a replay cannot): a failed handshake all the same.
    if (!handedOver || !conn.wasEstablished) this.counters.handshakeFailures++;
  }

  private armTimer(): void {
    const next = this.timers.peek();
    if (next === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, Math.ceil(next - performance.now())));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    for (const conn of this.timers.takeDue(now)) {
      conn.connection.handleTimeout(now);
      this.dirty.add(conn);
    }
    this.flush();
  }

  private sendTo(socket: UdpSocket, data: Buffer, address: string, port: number): void {
    socket.send(data, port, address);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.opts.workers?.forwarder.unregister(this.port);
    for (const c of this.all) c.close(0, 'server shutting down');
    // Let the CONNECTION_CLOSE frames leave before the sockets go.
    await new Promise((r) => setTimeout(r, 50));
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of [...this.all]) {
      c.abandon('listener closed');
      this.forget(c);
    }
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** The SCID of a long-header packet, by the invariants (RFC 8999 §5.1). */
function readScid(msg: Buffer): Buffer | undefined {
  const dcidLength = msg[5];
  if (dcidLength === undefined) return undefined;
  const at = 6 + dcidLength;
  const scidLength = msg[at];
  if (scidLength === undefined || at + 1 + scidLength > msg.length) return undefined;
  return msg.subarray(at + 1, at + 1 + scidLength);
}
