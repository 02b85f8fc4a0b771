/**
 * The quiche transport: UDP sockets (one per address family), the table of
 * connections keyed by every connection ID we issued, and the accept path.
 * A new connection's Initial datagrams are held until the ClientHello is
 * complete (our userland sniffer reads the SNI), then accepted with the
 * certificate for that name and replayed. Garbage and undersized Initials
 * are dropped without creating state; short-header packets for unknown
 * connection IDs are dropped too, answered with a stateless reset.
 */
import type dgram from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { bindUdpSockets } from '../udp/udp-sockets.js';
import { countDrop, newListenerCounters, statelessResetFor } from '../udp/listener-counters.js';
import { randomBytes } from 'node:crypto';
import type { QuicConnection, QuicListener, QuicListenerCounters, QuicListenOptions, QuicTransport } from '../transport.js';
import { ClientHelloSniffer } from '../initial/client-hello-sniffer.js';
import { loadQuiche, type Quiche, type QuicheConfig } from './binding.js';
import { QuicheConnectionHandle, type ConnectionHost } from './quiche-connection.js';
import { RetryTokens, retryRequired } from '../retry-tokens.js';
import { StatelessResets } from '../stateless-reset.js';
import { KeylogCollector } from '../keylog-collector.js';
import { QlogWriter } from '../qlog/qlog-writer.js';

/** Datagrams held per connection attempt while the ClientHello is incomplete (PQ ClientHellos take 2–3). */
const MAX_PENDING_DATAGRAMS = 8;
/** Connection attempts held at once waiting for the rest of their ClientHello. */
const MAX_PENDING_HANDSHAKES = 1024;
const PENDING_TTL_MS = 5_000;
const MIN_INITIAL = 1200;
const MAX_DATAGRAM = 1350;

interface PendingHandshake {
  sniffer: ClientHelloSniffer;
  datagrams: Buffer[];
  created: number;
  /** Set when the client came back from a Retry with a valid token. */
  odcid: Buffer | undefined;
}

class QuicheListener implements QuicListener {
  readonly connections = new Set<QuicConnection>();
  readonly counters: QuicListenerCounters = newListenerCounters();
  addresses: Array<{ address: string; family: 'IPv4' | 'IPv6'; port: number }> = [];
  private readonly table = new Map<string, QuicheConnectionHandle>();
  private readonly pending = new Map<string, PendingHandshake>();
  private readonly configs = new Map<string, QuicheConfig>();
  private readonly sockets: UdpSocket[] = [];
  private readonly keylog: KeylogCollector | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private readonly host: ConnectionHost;
  private readonly ticketKey = randomBytes(48);
  private readonly retryTokens = new RetryTokens();
  /** Connections accepted whose handshake has not completed (for `retry: 'auto'`). */
  private handshaking = 0;
  private readonly resets: StatelessResets;
  private readonly scratch = Buffer.allocUnsafe(MAX_DATAGRAM);
  private socket4: UdpSocket | undefined;
  private socket6: UdpSocket | undefined;
  port = 0;

  constructor(
    private readonly quiche: Quiche,
    private readonly opts: QuicListenOptions,
  ) {
    this.keylog = opts.keylogFile ? new KeylogCollector(opts.keylogFile) : undefined;
    this.resets = new StatelessResets({ key: opts.statelessResetKey });
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [k, p] of this.pending) if (now - p.created > PENDING_TTL_MS) this.pending.delete(k);
    }, PENDING_TTL_MS).unref();
    this.host = {
      quiche,
      generator: opts.connectionIds,
      resetToken: (cid) => this.resets.tokenBigInt(cid),
      // Per packet: look the socket up by family once (Socket.address() is a getsockname system call).
      socketFor: (address) => (isIPv4(address) ? this.socket4 : this.socket6) ?? this.sockets[0]!,
      register: (cid, conn) => this.table.set(cid.toString('hex'), conn),
      unregister: (cid) => this.table.delete(cid.toString('hex')),
      closed: (conn) => {
        for (const cid of conn.cids) if (this.table.get(cid) === conn) this.table.delete(cid);
        this.connections.delete(conn);
        this.counters.connectionsClosed++;
        if (!conn.wasEstablished) {
          this.counters.handshakeFailures++;
          this.handshaking--;
        }
      },
      established: () => {
        this.handshaking--;
      },
    };
  }

  async bind(): Promise<void> {
    const bound = await bindUdpSockets(
      this.opts.host,
      this.opts.port,
      (socket, msg, rinfo) => this.onDatagram(socket, msg, rinfo),
      (level, msg) => this.opts.log(level, msg),
    );
    this.sockets.push(...bound.sockets);
    this.socket4 = bound.socket4;
    this.socket6 = bound.socket6;
    this.addresses = bound.addresses;
    this.port = bound.port;
  }

  private drop(reason: string): void {
    countDrop(this.counters, this.opts.onDrop, reason);
  }

  private onDatagram(socket: UdpSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // The common case, a short-header packet of a connection we know: its DCID is one of ours, of our
    // length, right after the first byte; no need to parse the header through the binding.
    const cidLength = this.opts.connectionIds.length;
    if ((msg[0]! & 0x80) === 0 && msg.length > cidLength) {
      const known = this.table.get(msg.toString('hex', 1, 1 + cidLength));
      if (known) return known.receive(msg, { host: rinfo.address, port: rinfo.port });
    }
    let header: ReturnType<Quiche['Header']['fromSlice']>;
    try {
      header = this.quiche.Header.fromSlice(msg, this.opts.connectionIds.length);
    } catch {
      return this.drop('not-quic');
    }
    const from = { host: rinfo.address, port: rinfo.port };
    const dcid = Buffer.from(header.dcid);
    const key = dcid.toString('hex');
    const known = this.table.get(key);
    if (known) return known.receive(msg, from);
    if (header.ty === this.quiche.Type.Short) {
      this.answerWithReset(socket, dcid, msg.length, rinfo);
      return this.drop('unknown-connection');
    }
    if (header.ty !== this.quiche.Type.Initial) return this.drop(header.ty === this.quiche.Type.ZeroRTT ? 'early-0rtt' : 'unknown-connection');
    if (!this.quiche.versionIsSupported(header.version)) {
      // RFC 9000 §6.1: only answer datagrams big enough to be a client's first Initial (no amplification).
      if (msg.length < MIN_INITIAL) return this.drop('undersized-initial');
      const len = this.quiche.negotiateVersion(header.scid, header.dcid, this.scratch);
      socket.send(Buffer.from(this.scratch.subarray(0, len)), rinfo.port, rinfo.address);
      this.counters.versionNegotiationsSent++;
      return;
    }
    if (msg.length < MIN_INITIAL) return this.drop('undersized-initial');
    let p = this.pending.get(key);
    if (!p) {
      if (this.connections.size >= this.opts.maxConnections) {
        this.counters.connectionsRefused++;
        return this.drop('connection-limit');
      }
      if (this.pending.size >= MAX_PENDING_HANDSHAKES) return this.drop('handshake-backlog');
      let odcid: Buffer | undefined;
      const token = header.token ? Buffer.from(header.token) : Buffer.alloc(0);
      if (token.length > 0 && this.opts.retry && this.retryTokens.isRetryToken(token)) {
        odcid = this.retryTokens.validate(token, rinfo.address, dcid);
        if (!odcid) return this.drop('invalid-retry-token');
      } else if (retryRequired(this.opts.retry, this.handshaking + this.pending.size)) {
        return this.sendRetry(socket, header, rinfo);
      }
      p = { sniffer: new ClientHelloSniffer(), datagrams: [], created: Date.now(), odcid };
      this.pending.set(key, p);
    }
    const sniff = p.sniffer.feed(msg);
    if (sniff.status === 'invalid') {
      if (!p.datagrams.length) this.pending.delete(key);
      this.opts.log('debug', `QUIC Initial from ${rinfo.address}:${rinfo.port} dropped: ${sniff.reason}`);
      return this.drop('invalid-initial');
    }
    p.datagrams.push(msg);
    if (sniff.status === 'need-more') {
      if (p.datagrams.length >= MAX_PENDING_DATAGRAMS) {
        this.pending.delete(key);
        this.drop('client-hello-too-long');
      }
      return;
    }
    this.pending.delete(key);
    this.accept(socket, dcid, p.odcid, sniff.serverName, from, p.datagrams);
  }

  /**
   * A short-header packet for a connection we do not know (we restarted, or
   * it closed): tell the client with a stateless reset, if the packet is big
   * enough to answer with a smaller one and resets are within their rate.
   */
  private answerWithReset(socket: UdpSocket, dcid: Buffer, length: number, rinfo: dgram.RemoteInfo): void {
    const packet = statelessResetFor(this.resets, this.counters, Buffer.from(dcid), length);
    if (packet) socket.send(packet, rinfo.port, rinfo.address);
  }

  private sendRetry(socket: UdpSocket, header: ReturnType<Quiche['Header']['fromSlice']>, rinfo: dgram.RemoteInfo): void {
    const newScid = this.opts.connectionIds.generate();
    const token = this.retryTokens.mint(rinfo.address, Buffer.from(header.dcid), newScid);
    const len = this.quiche.retry(header.scid, header.dcid, newScid, token, header.version, this.scratch);
    socket.send(Buffer.from(this.scratch.subarray(0, len)), rinfo.port, rinfo.address);
    this.counters.retriesSent++;
  }

  private accept(
    socket: UdpSocket,
    dcid: Buffer,
    retryOdcid: Buffer | undefined,
    serverName: string | undefined,
    from: { host: string; port: number },
    datagrams: Buffer[],
  ): void {
    const cert = this.opts.selectCertificate(serverName);
    if (!cert) {
      this.counters.connectionsRefused++;
      return this.drop('sni-refused');
    }
    let config = this.configs.get(cert.fingerprint);
    if (!config) {
      try {
        config = this.buildConfig(cert.certPem, cert.keyPem);
      } catch (err) {
        this.opts.log(
          'error',
          `QUIC: the certificate for "${serverName ?? '(no SNI)'}" cannot be loaded into quiche: ${(err as Error).message}; check that its PEM key matches`,
        );
        this.counters.connectionsRefused++;
        return this.drop('certificate-unusable');
      }
      this.configs.set(cert.fingerprint, config);
    }
    // After a Retry the client already addresses us by the ID we chose in the Retry; keep it.
    const scid = retryOdcid ? dcid : this.opts.connectionIds.generate();
    const addr = socket.address();
    const local = { host: addr.address, port: addr.port };
    let conn: ReturnType<Quiche['Connection']['accept']>;
    try {
      // The reset token of our first connection ID travels in the transport parameters; accept() copies them from the config.
      config.setStatelessResetToken(this.resets.tokenBigInt(scid));
      conn = this.quiche.Connection.accept(scid, retryOdcid ?? null, local, from, config);
    } catch (err) {
      this.opts.log('debug', `QUIC accept failed: ${(err as Error).message}`);
      return this.drop('accept-failed');
    }
    const odcid = retryOdcid ?? dcid;
    const keys = this.keylog?.perConnection();
    if (keys) conn.setKeylog(keys.path);
    const qlog = this.opts.qlogDir ? new QlogWriter(this.opts.qlogDir, odcid.toString('hex')) : undefined;
    qlog?.event('connectivity', 'connection_started', {
      ip_version: isIPv4(from.host) ? 'ipv4' : 'ipv6',
      src_ip: from.host,
      src_port: from.port,
      dst_ip: local.host,
      dst_port: local.port,
      src_cid: dcid.toString('hex'),
      dst_cid: scid.toString('hex'),
      server_name: serverName,
    });
    const handle = new QuicheConnectionHandle(this.host, conn, serverName, from, local, qlog, keys);
    for (const cid of new Set([scid.toString('hex'), dcid.toString('hex')])) {
      handle.cids.add(cid);
      // The client keeps addressing Initials to the DCID it chose until it learns ours.
      this.table.set(cid, handle);
    }
    this.connections.add(handle);
    this.handshaking++;
    this.counters.connectionsAccepted++;
    this.opts.onConnection(handle);
    for (const d of datagrams) handle.receive(d, from);
  }

  private buildConfig(certPem: string, keyPem: string): QuicheConfig {
    const o = this.opts;
    const c = this.quiche.Config.withBoringSslCtx(false, false, null, [Buffer.from(keyPem)], [Buffer.from(certPem)], null);
    if (this.keylog) c.logKeys();
    c.setApplicationProtos(o.alpn);
    c.setMaxIdleTimeout(o.idleTimeoutMs);
    c.setMaxRecvUdpPayloadSize(1500);
    c.setMaxSendUdpPayloadSize(MAX_DATAGRAM);
    const streamWindow = o.streamWindow ?? 1024 * 1024;
    c.setInitialMaxData(o.connectionWindow ?? 16 * 1024 * 1024);
    c.setInitialMaxStreamDataBidiLocal(streamWindow);
    c.setInitialMaxStreamDataBidiRemote(streamWindow);
    c.setInitialMaxStreamDataUni(Math.min(streamWindow, 1024 * 1024));
    c.setInitialMaxStreamsBidi(o.maxStreamsBidi);
    c.setInitialMaxStreamsUni(o.maxStreamsUni ?? 16);
    c.setActiveConnectionIdLimit(4);
    c.setDisableActiveMigration(false);
    c.setCcAlgorithmName('cubic');
    // Session tickets (resumption): one random key per listener, shared by all its certificates' configs.
    c.setTicketKey(this.ticketKey);
    return c;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const c of this.connections) c.close(0, 'server shutting down');
    // Let the CONNECTION_CLOSE frames leave before the sockets go.
    await new Promise((r) => setTimeout(r, 50));
    for (const c of [...this.connections]) (c as QuicheConnectionHandle).abandon('listener closed');
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.keylog?.dispose();
  }
}

export const quicheTransport: QuicTransport = {
  name: 'quiche',
  async listen(opts: QuicListenOptions): Promise<QuicListener> {
    const loaded = await loadQuiche();
    if (!loaded.ok) throw new Error(loaded.reason);
    const listener = new QuicheListener(loaded.quiche, opts);
    await listener.bind();
    return listener;
  },
};

/**
 * The quiche transport if its native library loads on this machine, else
 * why not (the caller then serves HTTP/1.1 and HTTP/2 only). Never throws.
 */
export async function loadQuicheTransport(): Promise<{ ok: true; transport: QuicTransport } | { ok: false; reason: string }> {
  const loaded = await loadQuiche();
  return loaded.ok ? { ok: true, transport: quicheTransport } : { ok: false, reason: loaded.reason };
}
