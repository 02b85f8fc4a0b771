/**
 * A server written only against the QuicTransport interface, for the
 * transport tests. On each client bidirectional stream: a request line
 * `SEND <n>\n` makes the server send n bytes (with back-pressure, through
 * bufferedAmount/onWritable) and finish; anything else is echoed back, and
 * the server finishes when the client does. `RESET <code>\n` makes the
 * server reset its side of the stream with that code; `HOLD\n` makes it
 * answer nothing (a response waiting for its backend); `PAUSE\n` makes it
 * stop reading for 300 ms, then count what the client sent and answer
 * `<total> <received while paused>`.
 */
import type { QuicConnection, QuicListener, QuicListenOptions, QuicTransport } from '../../../src/quic/transport.js';
import { RandomConnectionIdGenerator } from '../../../src/quic/connection-id.js';

export interface EchoServer {
  listener: QuicListener;
  port: number;
  /** Every connection the transport handed out, with what happened to it. */
  seen: Array<{ conn: QuicConnection; established: boolean; closedReason?: string }>;
  drops: Map<string, number>;
  /** Resets and stop-sendings the transport reported, in order. */
  streamEvents: Array<{ type: 'reset' | 'stop-sending'; id: number; code: number }>;
}

const HIGH_WATER = 256 * 1024;

export async function startEchoServer(
  transport: QuicTransport,
  opts: Partial<QuicListenOptions> & Pick<QuicListenOptions, 'selectCertificate'>,
): Promise<EchoServer> {
  const seen: EchoServer['seen'] = [];
  const drops = new Map<string, number>();
  const streamEvents: EchoServer['streamEvents'] = [];
  const listener = await transport.listen({
    host: '127.0.0.1',
    port: 0,
    alpn: ['h3'],
    connectionIds: new RandomConnectionIdGenerator(16),
    idleTimeoutMs: 30_000,
    maxConnections: 100,
    maxStreamsBidi: 100,
    onDrop: (reason) => drops.set(reason, (drops.get(reason) ?? 0) + 1),
    log: () => undefined,
    ...opts,
    onConnection: (conn) => {
      const entry: EchoServer['seen'][number] = { conn, established: false };
      seen.push(entry);
      const firstChunk = new Map<number, boolean>();
      const counting = new Map<number, (bytes: number, fin: boolean) => void>();
      conn.events = {
        established: () => (entry.established = true),
        streamData: (id, data, fin) => {
          if (!firstChunk.has(id)) {
            const head = data.subarray(0, 32).toString('latin1');
            const send = /^SEND (\d+)\n/.exec(head);
            const reset = /^RESET (\d+)\n/.exec(head);
            // A command owns the stream: later chunks (the client's FIN) are not echoed.
            firstChunk.set(id, !(send || reset || head.startsWith('HOLD\n') || head.startsWith('PAUSE\n')));
            if (send) return sendBytes(conn, id, Number(send[1]));
            if (reset) return conn.resetStream(id, Number(reset[1]));
            if (head.startsWith('HOLD\n')) return;
            if (head.startsWith('PAUSE\n')) return pauseThenCount(conn, id, data.length, fin, counting);
          }
          const count = counting.get(id);
          if (count) return count(data.length, fin);
          if (firstChunk.get(id) === false && !counting.has(id)) return;
          conn.writeStream(id, data, fin);
        },
        streamReset: (id, code) => streamEvents.push({ type: 'reset', id, code }),
        streamStopSending: (id, code) => streamEvents.push({ type: 'stop-sending', id, code }),
        closed: (reason) => (entry.closedReason = reason),
      };
      opts.onConnection?.(conn);
    },
  });
  return { listener, port: listener.port, seen, drops, streamEvents };
}

/** Send n bytes of a recognisable pattern, never queueing more than HIGH_WATER. */
function sendBytes(conn: QuicConnection, id: number, n: number): void {
  const block = Buffer.alloc(64 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff;
  let left = n;
  const pump = (): void => {
    while (left > 0 && conn.bufferedAmount(id) < HIGH_WATER) {
      const len = Math.min(left, block.length);
      left -= len;
      conn.writeStream(id, block.subarray(0, len), left === 0);
    }
    if (left > 0) conn.onWritable(id, pump);
  };
  if (n === 0) conn.writeStream(id, Buffer.alloc(0), true);
  else pump();
}

/** Stop reading for 300 ms (flow control must hold the client), then count everything. */
function pauseThenCount(conn: QuicConnection, id: number, first: number, fin: boolean, counting: Map<number, (bytes: number, fin: boolean) => void>): void {
  let total = first;
  let whilePaused = -1;
  const finish = (): void => conn.writeStream(id, Buffer.from(`${total} ${whilePaused}`), true);
  counting.set(id, (bytes, end) => {
    total += bytes;
    if (end && whilePaused >= 0) finish();
  });
  conn.pauseRead(id);
  setTimeout(() => {
    whilePaused = total;
    conn.resumeRead(id);
    if (fin) finish();
  }, 300);
}
