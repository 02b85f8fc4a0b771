/**
 * A minimal UDP driver for QuicConnection, for interop tests until the
 * transport adapter exists: one socket on loopback, connections found by the
 * DCID of each datagram (every connection ID we issue is 8 bytes), a server
 * connection created for a client Initial of at least 1200 bytes, one timer
 * per connection re-armed after every event. Everything the protocol does
 * lives in QuicConnection; this only moves bytes and time.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { QuicConnection, type ConnectionEvent, type PeerAddress, type TlsBinding } from '../../../src/quic/connection/quic-connection.js';
import { PacketHeader, PacketType, parsePacketHeader, readDestinationCid } from '../../../src/quic/packet/packet-header.js';
import type { QuicTlsEndpoint } from '../../../src/quic/tls13/quic-tls.js';
import { RandomConnectionIdGenerator } from '../../../src/quic/connection-id.js';
import { StatelessResets } from '../../../src/quic/stateless-reset.js';

const CID_LENGTH = 8;

interface Entry {
  connection: QuicConnection;
  timer: NodeJS.Timeout | undefined;
  /** The application's turn: read stream events, write answers (before each send). */
  pump: (() => void) | undefined;
}

/** Attaches an application to a new server connection; returns what to run on every turn. */
export type AttachApplication = (connection: QuicConnection) => () => void;

export class UdpTestServer {
  readonly events: { cid: string; event: ConnectionEvent }[] = [];
  /** Every connection accepted, newest last (tests are short: no bound needed). */
  readonly accepted: QuicConnection[] = [];
  private readonly socket: Socket;
  private readonly connections = new Map<string, Entry>();
  private readonly header = new PacketHeader();
  private readonly cidGenerator = new RandomConnectionIdGenerator(CID_LENGTH);
  private readonly resets = new StatelessResets();
  /** Where each datagram of the last sendDatagrams call goes (the connection decides: migration, probes). */
  private readonly destinations: (PeerAddress | undefined)[] = [];

  private constructor(
    private readonly createTls: (binding: TlsBinding) => QuicTlsEndpoint,
    private readonly attach?: AttachApplication,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (data, remote) => this.onDatagram(data, remote));
  }

  static async listen(createTls: (binding: TlsBinding) => QuicTlsEndpoint, attach?: AttachApplication): Promise<UdpTestServer> {
    const server = new UdpTestServer(createTls, attach);
    await new Promise<void>((resolve) => server.socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    return this.socket.address().port;
  }

  private onDatagram(data: Buffer, remote: RemoteInfo): void {
    const dcid = readDestinationCid(data, CID_LENGTH);
    if (!dcid) return;
    const from: PeerAddress = { address: remote.address, port: remote.port, family: remote.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    let entry = this.connections.get(dcid.toString('hex'));
    if (!entry) {
      try {
        parsePacketHeader(data, 0, CID_LENGTH, this.header);
      } catch {
        return;
      }
      if (this.header.type !== PacketType.Initial || data.length < 1200) return;
      const localCid = randomBytes(CID_LENGTH);
      const connection = new QuicConnection({
        role: 'server',
        localCid,
        remoteCid: Buffer.from(this.header.scid),
        originalDcid: Buffer.from(this.header.dcid),
        createTls: this.createTls,
        now: performance.now(),
        peerAddress: from,
        connectionIdGenerator: this.cidGenerator,
        resetToken: (cid) => this.resets.token(cid),
      });
      entry = { connection, timer: undefined, pump: this.attach?.(connection) };
      this.accepted.push(connection);
      this.connections.set(localCid.toString('hex'), entry);
      this.connections.set(dcid.toString('hex'), entry);
    }
    entry.connection.receiveDatagram(data, performance.now(), from);
    this.service(entry);
  }

  private service(entry: Entry): void {
    const c = entry.connection;
    entry.pump?.();
    const out = c.sendDatagrams(performance.now(), this.destinations);
    for (let i = 0; i < out.length; i++) {
      const to = this.destinations[i]!;
      this.socket.send(out[i]!, to.port, to.address);
    }
    for (let e = c.pollEvent(); e; e = c.pollEvent()) {
      this.events.push({ cid: c.localCid.toString('hex'), event: e });
      // The connection's IDs come and go: packets to an issued one reach it, a retired one is forgotten.
      if (e.type === 'connectionIdIssued') this.connections.set(e.cid.toString('hex'), entry);
      else if (e.type === 'connectionIdRetired') this.connections.delete(e.cid.toString('hex'));
    }
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (c.isClosed) {
      for (const [key, value] of this.connections) if (value === entry) this.connections.delete(key);
      return;
    }
    const next = c.nextTimeout();
    if (next === Infinity) return;
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        c.handleTimeout(performance.now());
        this.service(entry);
      },
      Math.max(0, Math.ceil(next - performance.now())),
    );
  }

  async close(): Promise<void> {
    for (const entry of this.connections.values()) if (entry.timer) clearTimeout(entry.timer);
    this.connections.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
