/**
 * A UDP entrypoint (`:53/udp`): one socket clients send to, and one session
 * per client address. A session is a socket connected to the backend the
 * route picked for that client, so every datagram of a client goes to the
 * same backend, the backend's replies come back from the entrypoint's own
 * socket (the address the client talks to), and only that backend can
 * answer into the session. A session with no datagram either way for
 * `udp.timeout` (Traefik's default 3 s) is closed; a backend that refuses
 * (ICMP port unreachable surfaces as ECONNREFUSED on the connected socket)
 * ends its session and the client's next datagram picks again. The session
 * table is bounded (`udp.maxSessions`): a new client beyond it is not served
 * and counted. Which backend a new session goes to is the runtime's
 * (src/runtime/udp-routes.ts), read per new session, so a reload applies
 * without touching the socket; a session whose route changed is picked again.
 */
import dgram, { type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import type { EntryPointConfig } from '../config/static-config.js';
import { parseDurationMs } from '../config/duration.js';
import { parseListenAddress } from '../config/listen-address.js';
import type { UdpRoute } from '../runtime/runtime-config.js';
import { UdpSessionCounters, type UdpCloseReason } from '../observability/udp-session-metrics.js';

export const DEFAULT_UDP_TIMEOUT_MS = 3_000;
export const DEFAULT_UDP_MAX_SESSIONS = 10_000;
/** Datagrams a session holds while its backend socket connects (name lookup); more are dropped. */
const MAX_PENDING = 64;

export interface UdpEntryPointOptions {
  name: string;
  config: EntryPointConfig;
  /** The current route of this entrypoint (undefined: no usable UDP router). */
  route: () => UdpRoute | undefined;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

interface Session {
  readonly client: { address: string; port: number };
  readonly routeKey: string;
  readonly backend: string;
  readonly upstream: Socket;
  /** Datagrams waiting for the upstream socket to connect; undefined once connected. */
  pending: Buffer[] | undefined;
  lastActive: number;
}

export class UdpEntryPoint {
  readonly counters: UdpSessionCounters;
  private readonly sessions = new Map<string, Session>();
  private readonly timeoutMs: number;
  private readonly maxSessions: number;
  private socket: Socket | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(private readonly opts: UdpEntryPointOptions) {
    this.counters = new UdpSessionCounters(() => this.sessions.size);
    this.timeoutMs = opts.config.udp?.timeout !== undefined ? parseDurationMs(opts.config.udp.timeout) : DEFAULT_UDP_TIMEOUT_MS;
    this.maxSessions = opts.config.udp?.maxSessions ?? DEFAULT_UDP_MAX_SESSIONS;
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  /** Sessions open now (tests and the API). */
  get openSessions(): number {
    return this.sessions.size;
  }

  async listen(): Promise<void> {
    const { host, port } = parseListenAddress(this.opts.config.address);
    // `:53/udp` binds `::`, which takes IPv4 too (dual stack); a host without IPv6 falls back to 0.0.0.0.
    try {
      this.socket = await bind(host === undefined || isIPv6(host) ? 'udp6' : 'udp4', host ?? '::', port);
    } catch (err) {
      if (host !== undefined || (err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw err;
      this.socket = await bind('udp4', '0.0.0.0', port);
    }
    this.socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    // Errors of sends to clients come back in their callbacks; anything else is logged, never thrown.
    this.socket.on('error', (err) => this.opts.log('warn', 'UDP entrypoint socket error', { err: err.message }));
    const period = Math.max(20, Math.min(1_000, Math.floor(this.timeoutMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), period);
    this.sweeper.unref();
  }

  private fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = this.sessions.get(key);
    const route = this.opts.route();
    if (session && session.routeKey !== route?.key) {
      this.end(key, session, 'route-changed');
      session = undefined;
    }
    if (!session) {
      if (this.draining) return this.counters.countDrop('shutting-down');
      if (!route) return this.counters.countDrop('no-route');
      if (this.sessions.size >= this.maxSessions) return this.counters.countDrop('sessions-full');
      const backend = route.pick();
      if (!backend) return this.counters.countDrop('no-backend');
      session = this.open(key, rinfo, route.key, backend.host, backend.port, backend.address);
    }
    session.lastActive = performance.now();
    this.counters.datagramsFromClients++;
    this.counters.bytesFromClients += msg.length;
    if (session.pending) {
      if (session.pending.length < MAX_PENDING) session.pending.push(msg);
      else this.counters.countDrop('send-failed');
      return;
    }
    this.toBackend(key, session, msg);
  }

  private open(key: string, rinfo: RemoteInfo, routeKey: string, host: string, port: number, backend: string): Session {
    const literal = host.includes(':') ? 6 : /^\d+\.\d+\.\d+\.\d+$/.test(host) ? 4 : 0;
    const session: Session = {
      client: { address: rinfo.address, port: rinfo.port },
      routeKey,
      backend,
      // A name is looked up first; its family decides the socket's (below).
      upstream: dgram.createSocket(literal === 6 ? 'udp6' : 'udp4'),
      pending: [],
      lastActive: performance.now(),
    };
    this.sessions.set(key, session);
    this.counters.opened++;
    const upstream = session.upstream;
    upstream.on('message', (data) => {
      if (this.sessions.get(key) !== session) return;
      session.lastActive = performance.now();
      this.counters.datagramsToClients++;
      this.counters.bytesToClients += data.length;
      this.socket?.send(data, session.client.port, session.client.address, (err) => {
        if (err) this.opts.log('debug', 'UDP reply to client failed', { client: key, err: err.message });
      });
    });
    // ECONNREFUSED (the backend's ICMP port unreachable) and the like: this backend is not answering this session.
    upstream.on('error', (err) => {
      this.opts.log('debug', 'UDP backend error; session closed', { entryPoint: this.opts.name, backend, err: err.message });
      if (this.sessions.get(key) === session) this.end(key, session, 'backend-error');
    });
    const connect = (address: string) =>
      upstream.connect(port, address, () => {
        const queued = session.pending ?? [];
        session.pending = undefined;
        if (this.sessions.get(key) === session) for (const m of queued) this.toBackend(key, session, m);
      });
    if (literal) connect(host);
    else
      lookup(host, { family: 4 }).then(
        (r) => this.sessions.get(key) === session && connect(r.address),
        (err: Error) => {
          this.opts.log('warn', 'UDP backend name does not resolve; session closed', { entryPoint: this.opts.name, backend, err: err.message });
          if (this.sessions.get(key) === session) this.end(key, session, 'backend-error');
        },
      );
    return session;
  }

  private toBackend(key: string, session: Session, msg: Buffer): void {
    session.upstream.send(msg, (err) => {
      if (!err) return;
      this.counters.countDrop('send-failed');
      if (this.sessions.get(key) === session) this.end(key, session, 'backend-error');
    });
  }

  private end(key: string, session: Session, reason: UdpCloseReason): void {
    this.sessions.delete(key);
    this.counters.countClose(reason);
    try {
      session.upstream.close();
    } catch {
      // already closed (its error may have closed it first)
    }
  }

  private sweep(): void {
    const idleSince = performance.now() - this.timeoutMs;
    for (const [key, s] of this.sessions) if (s.lastActive <= idleSince) this.end(key, s, 'idle');
  }

  /** Stop taking new clients; let open sessions go on until they idle out, for up to `graceMs`; then close everything. */
  async close(graceMs = 0): Promise<void> {
    this.draining = true;
    const until = performance.now() + graceMs;
    while (this.sessions.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, Math.min(50, this.timeoutMs)));
    if (this.sweeper) clearInterval(this.sweeper);
    for (const [key, s] of this.sessions) this.end(key, s, 'shutdown');
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((r) => socket.close(() => r()));
  }
}

function bind(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type, reuseAddr: false });
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
