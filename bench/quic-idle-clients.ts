/**
 * Idle QUIC connections for the memory benchmark: N handshakes with our own
 * sans-I/O client (`src/quic/connection` + `tls13/client`), one UDP socket
 * each, ALPN h3, then nothing but what keeps them alive (ACKs, the client's
 * own timers). The server's cost per connection is then its RSS growth / N.
 * Our client is used (not quiche) so the bench process loads no native QUIC.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { QuicConnection } from '../src/quic/connection/quic-connection.js';
import { createQuicTlsClient } from '../src/quic/tls13/client.js';

interface IdleClient {
  connection: QuicConnection;
  socket: Socket;
}

export class QuicIdleClients {
  private readonly clients: IdleClient[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly port: number) {
    // One pass over every connection every 10 ms: timers (PTO, ACK delay) and whatever they want to send.
    this.timer = setInterval(() => {
      for (const c of this.clients) this.service(c);
    }, 10);
  }

  /** Opens `count` connections to 127.0.0.1:`port` (at most `parallel` handshakes at once); resolves when all are confirmed or `timeoutMs` passed. */
  static async open(port: number, count: number, timeoutMs: number, parallel = 20): Promise<QuicIdleClients> {
    const set = new QuicIdleClients(port);
    const deadline = Date.now() + timeoutMs;
    while (set.clients.length < count && Date.now() < deadline) {
      const batch = Math.min(parallel, count - set.clients.length);
      const opened = await Promise.all(Array.from({ length: batch }, () => set.openOne()));
      set.clients.push(...opened);
      while (opened.some((c) => !c.connection.isHandshakeConfirmed && !c.connection.isClosed) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return set;
  }

  /** Connections whose handshake is confirmed and that are still open. */
  get established(): number {
    return this.clients.filter((c) => c.connection.isHandshakeConfirmed && !c.connection.isClosed).length;
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) {
      c.connection.close(0, 'bench done');
      this.service(c);
      c.socket.close();
    }
    this.clients.length = 0;
  }

  private async openOne(): Promise<IdleClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const connection = new QuicConnection({
      role: 'client',
      localCid: randomBytes(8),
      remoteCid: randomBytes(8),
      now: performance.now(),
      // Longer than any server's idle timeout: the server decides when an idle connection goes.
      transportParameters: { activeConnectionIdLimit: 8, maxIdleTimeout: 300_000 },
      createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], insecure: true, now: () => Date.now() }),
    });
    const client = { connection, socket };
    socket.on('message', (m, rinfo) => {
      connection.receiveDatagram(m, performance.now(), { address: rinfo.address, port: rinfo.port, family: 'IPv4' });
      this.service(client);
    });
    this.service(client);
    return client;
  }

  private service(c: IdleClient): void {
    if (c.connection.isClosed) return;
    const now = performance.now();
    if (now >= c.connection.nextTimeout()) c.connection.handleTimeout(now);
    // Events are not needed; drained so they do not pile up (the server's control streams open, etc.).
    while (c.connection.pollEvent());
    while (c.connection.streams.pollEvent());
    for (const d of c.connection.sendDatagrams(now)) c.socket.send(d, this.port, '127.0.0.1');
  }
}
