/**
 * Hands QUIC datagrams between the worker processes of one Portico
 * (`workers: N`, HTTP/3 in every worker). Every worker binds the public UDP
 * port with SO_REUSEPORT, and the kernel picks a worker by the datagram's
 * 4-tuple: after a migration or NAT rebinding, a connection's datagrams may
 * reach a worker that does not hold it. That worker reads the owner from the
 * connection ID (worker-connection-id.ts) and forwards the datagram, with
 * the client's address, to the owner's forwarding socket.
 *
 * The forwarding sockets are UDP on 127.0.0.1 (node:dgram has no Unix
 * datagram sockets). Measured on a 2-core VM, 1200-byte datagrams between
 * two processes: ≈ 32 µs of CPU per datagram (both sides) over loopback UDP
 * against ≈ 65 µs with process.send (advanced serialization) directly
 * between the two — and IPC between workers goes through the primary, twice
 * that. A frame starts with a per-cluster random secret, so another local
 * process cannot inject datagrams with a forged client address.
 *
 *   secret (16) | public port (2) | client port (2) | family (1: 4 or 6) |
 *   address length (1) | client address (text) | the datagram
 */
import { createSocket, type Socket } from 'node:dgram';
import { timingSafeEqual } from 'node:crypto';
import type { PeerAddress } from '../connection/peer-address.js';

const SECRET_LENGTH = 16;
const FIXED_HEADER = SECRET_LENGTH + 2 + 2 + 1 + 1;
const BUFFER_SIZE = 4 * 1024 * 1024;

export type ForwardedDatagramHandler = (datagram: Buffer, from: PeerAddress) => void;

export class WorkerDatagramForwarder {
  port = 0;
  /** Datagrams sent to another worker, received from one, and refused (bad secret or frame, unknown port). */
  readonly counters = { forwarded: 0, received: 0, refused: 0 };
  private readonly socket: Socket = createSocket({ type: 'udp4', reuseAddr: false });
  private readonly peers = new Map<number, number>();
  private readonly handlers = new Map<number, ForwardedDatagramHandler>();

  constructor(
    readonly workerId: number,
    private readonly secret: Buffer,
  ) {
    if (secret.length !== SECRET_LENGTH) throw new RangeError(`forwarding secret must be ${SECRET_LENGTH} bytes`);
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      // exclusive: without it node:cluster hands every worker the same shared socket, and a worker reads what it forwarded.
      this.socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    for (const set of [(n: number) => this.socket.setRecvBufferSize(n), (n: number) => this.socket.setSendBufferSize(n)]) {
      try {
        set(BUFFER_SIZE);
      } catch {
        // Capped by net.core.rmem_max/wmem_max: the default still works, with more drops under bursts.
      }
    }
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address));
    this.socket.on('error', () => {});
    this.port = this.socket.address().port;
    this.socket.unref();
    return this.port;
  }

  /** The forwarding ports of every worker (this one included), as the primary last told them. */
  setPeers(ports: Record<number, number>): void {
    this.peers.clear();
    for (const [id, port] of Object.entries(ports)) if (Number(id) !== this.workerId) this.peers.set(Number(id), port);
  }

  /** Datagrams forwarded for the listener on `publicPort` go to `handler`. */
  register(publicPort: number, handler: ForwardedDatagramHandler): void {
    this.handlers.set(publicPort, handler);
  }

  unregister(publicPort: number): void {
    this.handlers.delete(publicPort);
  }

  /** Sends `datagram` (from `from`, received on `publicPort`) to worker `workerId`; false when no such other worker is known. */
  forward(workerId: number, publicPort: number, datagram: Buffer, from: PeerAddress): boolean {
    const port = this.peers.get(workerId);
    if (port === undefined) return false;
    const address = Buffer.from(from.address, 'latin1');
    const header = Buffer.allocUnsafe(FIXED_HEADER + address.length);
    this.secret.copy(header, 0);
    header.writeUInt16BE(publicPort, SECRET_LENGTH);
    header.writeUInt16BE(from.port, SECRET_LENGTH + 2);
    header[SECRET_LENGTH + 4] = from.family === 'IPv6' ? 6 : 4;
    header[SECRET_LENGTH + 5] = address.length;
    address.copy(header, FIXED_HEADER);
    this.socket.send([header, datagram], port, '127.0.0.1');
    this.counters.forwarded++;
    return true;
  }

  private receive(msg: Buffer, sender: string): void {
    if (sender !== '127.0.0.1' || msg.length < FIXED_HEADER || !timingSafeEqual(msg.subarray(0, SECRET_LENGTH), this.secret)) {
      this.counters.refused++;
      return;
    }
    const handler = this.handlers.get(msg.readUInt16BE(SECRET_LENGTH));
    const addressLength = msg[SECRET_LENGTH + 5]!;
    const start = FIXED_HEADER + addressLength;
    if (!handler || addressLength === 0 || addressLength > 45 || start >= msg.length) {
      this.counters.refused++;
      return;
    }
    this.counters.received++;
    handler(msg.subarray(start), {
      address: msg.toString('latin1', FIXED_HEADER, start),
      port: msg.readUInt16BE(SECRET_LENGTH + 2),
      family: msg[SECRET_LENGTH + 4] === 6 ? 'IPv6' : 'IPv4',
    });
  }

  close(): void {
    this.handlers.clear();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
