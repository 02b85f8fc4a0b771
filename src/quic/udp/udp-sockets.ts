/**
 * The UDP sockets of a QUIC listener, shared by every transport: one
 * `node:dgram` socket per address family. No host binds 0.0.0.0 and ::
 * (IPv6-only) on the same port; "localhost" binds 127.0.0.1 and ::1
 * (browsers try ::1 first); an IP literal binds just that. The IPv6 socket
 * of a pair is skipped with a warning where IPv6 is switched off. Buffers are
 * raised to 4 MiB so a burst of a few hundred packets fits the kernel queue.
 */
import dgram, { type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import dns from 'node:dns';
import { isIP, isIPv4 } from 'node:net';

export interface BoundUdpSockets {
  sockets: UdpSocket[];
  socket4: UdpSocket | undefined;
  socket6: UdpSocket | undefined;
  addresses: Array<{ address: string; family: 'IPv4' | 'IPv6'; port: number }>;
  port: number;
}

export async function bindUdpSockets(
  host: string | undefined,
  port: number,
  onDatagram: (socket: UdpSocket, msg: Buffer, rinfo: RemoteInfo) => void,
  log: (level: 'warn', msg: string) => void,
  options: { reusePort?: boolean } = {},
): Promise<BoundUdpSockets> {
  const families: Array<['udp4' | 'udp6', string]> =
    host === undefined
      ? [
          ['udp4', '0.0.0.0'],
          ['udp6', '::'],
        ]
      : host === 'localhost'
        ? [
            ['udp4', '127.0.0.1'],
            ['udp6', '::1'],
          ]
        : [[isIPv4(host) ? 'udp4' : 'udp6', host]];
  const out: BoundUdpSockets = { sockets: [], socket4: undefined, socket6: undefined, addresses: [], port };
  let boundPort = port;
  for (const [type, address] of families) {
    const optional = type === 'udp6' && families.length === 2;
    const socketOptions: dgram.SocketOptions & { reusePort?: boolean } = { type, ipv6Only: type === 'udp6', reuseAddr: false, lookup: literalLookup };
    if (options.reusePort) socketOptions.reusePort = true;
    const socket = dgram.createSocket(socketOptions);
    socket.on('message', (msg, rinfo) => onDatagram(socket, msg, rinfo));
    socket.on('error', (err) => log('warn', `QUIC UDP socket ${address}:${boundPort}: ${err.message}`));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // exclusive: a cluster worker binds its own socket (else node:cluster shares the primary's, and every worker reads every other's datagrams).
        socket.bind({ port: boundPort, address, exclusive: options.reusePort === true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (optional && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
        log('warn', `QUIC: no IPv6 on this host (${code}); listening on IPv4 only`);
        continue;
      }
      for (const s of out.sockets) s.close();
      throw new Error(`cannot listen for QUIC on UDP ${address}:${boundPort}: ${(err as Error).message}`, { cause: err });
    }
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      /* capped by net.core.rmem_max: the defaults still work, with more loss under load */
    }
    const a = socket.address();
    boundPort = a.port;
    out.sockets.push(socket);
    if (a.family === 'IPv4') out.socket4 = socket;
    else out.socket6 = socket;
    out.addresses.push({ address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port });
  }
  out.port = boundPort;
  return out;
}

/**
 * dgram resolves the address of every send; for an IP literal dns.lookup
 * answers on the next tick, one more callback per packet. Literals (all we
 * send to) are answered at once; names still go to dns.lookup.
 */
export function literalLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family) return callback(null, hostname, family);
  dns.lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}
