/**
 * Real UDP peers on loopback for the UDP entrypoint tests: a small DNS
 * server answering every A query with its own address, an echo server that
 * says who it is and which source port it saw, and a client socket.
 */
import dgram, { type Socket } from 'node:dgram';

export interface UdpServer {
  port: number;
  /** Source ports datagrams came from, in order. */
  sources: number[];
  close(): Promise<void>;
}

async function bound(onMessage: (socket: Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void): Promise<{ socket: Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port };
}

/** Answers `<name>:<source port>:<payload>`. */
export async function startEchoServer(name: string): Promise<UdpServer> {
  const sources: number[] = [];
  const { socket, port } = await bound((s, msg, rinfo) => {
    sources.push(rinfo.port);
    s.send(`${name}:${rinfo.port}:${msg.toString()}`, rinfo.port, rinfo.address);
  });
  return { port, sources, close: () => new Promise((r) => socket.close(() => r())) };
}

/**
 * An authoritative DNS server for every name: each A query (RFC 1035 §4.1)
 * gets one answer, `answer`, with TTL 0; other types get an empty NOERROR.
 */
export async function startDnsServer(answer: string): Promise<UdpServer & { queries: string[] }> {
  const sources: number[] = [];
  const queries: string[] = [];
  const { socket, port } = await bound((s, msg, rinfo) => {
    if (msg.length < 12) return;
    sources.push(rinfo.port);
    // The question: labels up to a zero byte, then QTYPE and QCLASS.
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString());
      i += msg[i]! + 1;
    }
    const questionEnd = i + 5;
    if (questionEnd > msg.length) return;
    const qtype = msg.readUInt16BE(i + 1);
    queries.push(labels.join('.'));
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // ID
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100), 2); // QR, RA, the query's RD
    header.writeUInt16BE(1, 4); // QDCOUNT
    header.writeUInt16BE(qtype === 1 ? 1 : 0, 6); // ANCOUNT
    const question = msg.subarray(12, questionEnd);
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(1, 2); // A
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(0, 6); // TTL
    record.writeUInt16BE(4, 10);
    answer.split('.').forEach((octet, k) => record.writeUInt8(Number(octet), 12 + k));
    s.send(Buffer.concat(qtype === 1 ? [header, question, record] : [header, question]), rinfo.port, rinfo.address);
  });
  return { port, sources, queries, close: () => new Promise((r) => socket.close(() => r())) };
}

export interface UdpClient {
  port: number;
  /** Send `payload` to `port` on 127.0.0.1 and wait for one reply (undefined after `timeoutMs`). */
  ask(port: number, payload: string, timeoutMs?: number): Promise<string | undefined>;
  close(): void;
}

export async function udpClient(): Promise<UdpClient> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const replies: string[] = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (m) => {
    replies.push(m.toString());
    waiter?.();
  });
  return {
    port: socket.address().port,
    async ask(port, payload, timeoutMs = 2_000) {
      replies.length = 0;
      socket.send(payload, port, '127.0.0.1');
      if (!replies.length)
        await new Promise<void>((r) => {
          const t = setTimeout(r, timeoutMs);
          waiter = () => {
            clearTimeout(t);
            r();
          };
        });
      waiter = undefined;
      return replies.shift();
    },
    close: () => socket.close(),
  };
}

/** A loopback UDP port nothing listens on: datagrams to it draw ICMP port unreachable. */
export async function deadUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The peers one test started, closed together after it. */
export class UdpPeerSet {
  private readonly servers: UdpServer[] = [];
  private readonly clients: UdpClient[] = [];

  async echo(name: string): Promise<UdpServer> {
    return this.keep(this.servers, await startEchoServer(name));
  }

  async dns(answer: string): Promise<UdpServer & { queries: string[] }> {
    const server = await startDnsServer(answer);
    this.servers.push(server);
    return server;
  }

  async client(): Promise<UdpClient> {
    return this.keep(this.clients, await udpClient());
  }

  async closeAll(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }

  private keep<T>(list: T[], item: T): T {
    list.push(item);
    return item;
  }
}
