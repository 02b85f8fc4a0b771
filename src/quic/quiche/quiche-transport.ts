/**
 * The quiche transport: UDP sockets (one per address family), the table of
 * connections keyed by every connection ID we issued, and the accept path.
 * A new connection's Initial datagrams are held until the ClientHello is
 * complete (our userland sniffer reads the SNI), then accepted with the
 * certificate for that name and replayed. Garbage, undersized Initials and
 * unknown short-header packets are dropped without creating state.
 */
import dgram, { type Socket as UdpSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { QuicConnection, QuicListener, QuicListenOptions, QuicTransport } from '../transport.js';
import { ClientHelloSniffer } from '../initial/client-hello-sniffer.js';
import { loadQuiche, type Quiche, type QuicheConfig } from './binding.js';
import { QuicheConnectionHandle, type ConnectionHost } from './quiche-connection.js';
import { KeylogCollector } from '../keylog-collector.js';
import { QlogWriter } from '../qlog/qlog-writer.js';

const MAX_PENDING_DATAGRAMS = 8;
const PENDING_TTL_MS = 5_000;
const MIN_INITIAL = 1200;

interface PendingHandshake {
  sniffer: ClientHelloSniffer;
  datagrams: Buffer[];
  created: number;
}

class QuicheListener implements QuicListener {
  readonly connections = new Set<QuicConnection>();
  private readonly table = new Map<string, QuicheConnectionHandle>();
  private readonly pending = new Map<string, PendingHandshake>();
  private readonly configs = new Map<string, QuicheConfig>();
  private readonly sockets: UdpSocket[] = [];
  private readonly keylog: KeylogCollector | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private readonly host: ConnectionHost;
  private readonly ticketKey = randomBytes(48);
  port = 0;

  constructor(
    private readonly quiche: Quiche,
    private readonly opts: QuicListenOptions,
  ) {
    this.keylog = opts.keylogFile ? new KeylogCollector(opts.keylogFile) : undefined;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [k, p] of this.pending) if (now - p.created > PENDING_TTL_MS) this.pending.delete(k);
    }, PENDING_TTL_MS).unref();
    this.host = {
      quiche,
      generator: opts.connectionIds,
      socketFor: (address) => this.sockets.find((s) => (s.address().family === 'IPv4') === isIPv4(address)) ?? this.sockets[0]!,
      register: (cid, conn) => this.table.set(cid.toString('hex'), conn),
      unregister: (cid) => this.table.delete(cid.toString('hex')),
      closed: (conn) => {
        for (const cid of conn.cids) if (this.table.get(cid) === conn) this.table.delete(cid);
        this.connections.delete(conn);
      },
    };
  }

  async bind(): Promise<void> {
    const { host, port } = this.opts;
    const families: Array<['udp4' | 'udp6', string]> =
      host === undefined ? [['udp4', '0.0.0.0'], ['udp6', '::']] : [[isIPv4(host) ? 'udp4' : 'udp6', host === 'localhost' ? '127.0.0.1' : host]];
    let boundPort = port;
    for (const [type, address] of families) {
      const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6', reuseAddr: false });
      socket.on('message', (msg, rinfo) => this.onDatagram(socket, msg, rinfo));
      socket.on('error', (err) => this.opts.log('warn', `UDP socket error: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(boundPort, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      boundPort = socket.address().port;
      this.sockets.push(socket);
    }
    this.port = boundPort;
  }

  private onDatagram(socket: UdpSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let header: ReturnType<Quiche['Header']['fromSlice']>;
    try {
      header = this.quiche.Header.fromSlice(msg, this.opts.connectionIds.length);
    } catch {
      return this.opts.onDrop('not-quic');
    }
    const from = { host: rinfo.address, port: rinfo.port };
    const dcid = Buffer.from(header.dcid).toString('hex');
    const known = this.table.get(dcid);
    if (known) return known.receive(msg, from);
    if (header.ty !== this.quiche.Type.Initial) return this.opts.onDrop('unknown-connection');
    if (!this.quiche.versionIsSupported(header.version)) {
      const out = Buffer.allocUnsafe(1350);
      const len = this.quiche.negotiateVersion(header.scid, header.dcid, out);
      socket.send(out.subarray(0, len), rinfo.port, rinfo.address);
      return;
    }
    if (msg.length < MIN_INITIAL) return this.opts.onDrop('undersized-initial');
    if (this.connections.size >= this.opts.maxConnections) return this.opts.onDrop('connection-limit');
    let p = this.pending.get(dcid);
    if (!p) {
      if (this.pending.size > 1024) return this.opts.onDrop('handshake-backlog');
      p = { sniffer: new ClientHelloSniffer(), datagrams: [], created: Date.now() };
      this.pending.set(dcid, p);
    }
    const sniff = p.sniffer.feed(msg);
    if (sniff.status === 'invalid') return this.opts.onDrop('invalid-initial');
    p.datagrams.push(msg);
    if (sniff.status === 'need-more') {
      if (p.datagrams.length > MAX_PENDING_DATAGRAMS) {
        this.pending.delete(dcid);
        this.opts.onDrop('client-hello-too-long');
      }
      return;
    }
    this.pending.delete(dcid);
    this.accept(socket, Buffer.from(header.dcid), sniff.serverName, from, p.datagrams);
  }

  private accept(socket: UdpSocket, odcid: Buffer, serverName: string | undefined, from: { host: string; port: number }, datagrams: Buffer[]): void {
    const cert = this.opts.selectCertificate(serverName);
    if (!cert) return this.opts.onDrop('sni-refused');
    let config = this.configs.get(cert.fingerprint);
    if (!config) {
      config = this.buildConfig(cert.certPem, cert.keyPem);
      this.configs.set(cert.fingerprint, config);
    }
    const scid = this.opts.connectionIds.generate();
    const addr = socket.address();
    const local = { host: addr.address, port: addr.port };
    let conn: ReturnType<Quiche['Connection']['accept']>;
    try {
      conn = this.quiche.Connection.accept(scid, null, local, from, config);
    } catch (err) {
      this.opts.log('debug', `QUIC accept failed: ${(err as Error).message}`);
      return this.opts.onDrop('accept-failed');
    }
    const keys = this.keylog?.perConnection();
    if (keys) conn.setKeylog(keys.path);
    const qlog = this.opts.qlogDir ? new QlogWriter(this.opts.qlogDir, odcid.toString('hex')) : undefined;
    qlog?.event('connectivity', 'connection_started', { src_ip: local.host, src_port: local.port, dst_ip: from.host, dst_port: from.port, server_name: serverName });
    const handle = new QuicheConnectionHandle(this.host, conn, serverName, from.host.replace(/^::ffff:/, ''), from.port, local.port, local, qlog, keys?.done);
    handle.cids.add(scid.toString('hex'));
    handle.cids.add(odcid.toString('hex'));
    this.table.set(scid.toString('hex'), handle);
    // The client keeps addressing Initials to its original DCID until it learns ours.
    this.table.set(odcid.toString('hex'), handle);
    this.connections.add(handle);
    this.opts.onConnection(handle);
    for (const d of datagrams) handle.receive(d, from);
  }

  private buildConfig(certPem: string, keyPem: string): QuicheConfig {
    const c = this.quiche.Config.withBoringSslCtx(false, false, null, [Buffer.from(keyPem)], [Buffer.from(certPem)], null);
    if (this.keylog) c.logKeys();
    c.setApplicationProtos(this.opts.alpn);
    c.setMaxIdleTimeout(this.opts.idleTimeoutMs);
    c.setMaxRecvUdpPayloadSize(1500);
    c.setMaxSendUdpPayloadSize(1350);
    c.setInitialMaxData(16 * 1024 * 1024);
    c.setInitialMaxStreamDataBidiLocal(2 * 1024 * 1024);
    c.setInitialMaxStreamDataBidiRemote(1024 * 1024);
    c.setInitialMaxStreamDataUni(1024 * 1024);
    c.setInitialMaxStreamsBidi(this.opts.maxStreamsBidi);
    c.setInitialMaxStreamsUni(16);
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
