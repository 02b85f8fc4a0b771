/**
 * Raw TCP connections for hostile-client tests: write exactly the bytes an
 * attacker would, see what comes back and when the server closes. Every wait
 * is bounded, so a test fails instead of hanging when Portico does not react.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import http from 'node:http';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): Buffer;
  /** Resolves (with the time it happened, performance.now()) when the server closed or reset the connection. */
  readonly closed: Promise<number>;
  isClosed(): boolean;
  write(bytes: string | Uint8Array): void;
}

/** A plain TCP connection, or with `alpn` a TLS one offering those protocols (any certificate accepted: Portico's generated default). */
export async function openRawConnection(port: number, host = '127.0.0.1', alpn?: string[]): Promise<RawConnection> {
  const socket = alpn
    ? connectTls({ port, host, servername: 'app.test', ALPNProtocols: alpn, rejectUnauthorized: false })
    : connect({ port, host, noDelay: true });
  const chunks: Buffer[] = [];
  let closedFlag = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  // An attacker's socket: a reset from the server is an outcome to observe, not an error.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closedFlag = true;
      resolve(performance.now());
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once(alpn ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed,
    isClosed: () => closedFlag,
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
  };
}

/** Resolves true if `p` settles within `ms`, false otherwise. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Send raw request bytes on a fresh connection and return what the server answered before closing (or after `ms`). */
export async function exchangeRaw(port: number, bytes: string, ms = 3000): Promise<{ response: string; closed: boolean }> {
  const c = await openRawConnection(port);
  c.write(bytes);
  const closed = await within(c.closed, ms);
  c.socket.destroy();
  return { response: c.received().toString('latin1'), closed };
}

/**
 * What a well-behaved client gets: one GET on a fresh connection, bounded by
 * `timeoutMs`; a refused or reset connection is a result ('error'), not a throw.
 */
export function normalGet(port: number, path = '/', host = 'app.test', timeoutMs = 3000): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

/** Retry normalGet until it answers with a status or `budgetMs` runs out; returns the last outcome and when it succeeded. */
export async function normalGetEventually(port: number, budgetMs: number, path = '/', host = 'app.test') {
  const end = performance.now() + budgetMs;
  let last: Awaited<ReturnType<typeof normalGet>> = { error: 'not tried' };
  while (performance.now() < end) {
    last = await normalGet(port, path, host, Math.max(200, Math.min(2000, end - performance.now())));
    if ('status' in last) return { ...last, at: performance.now() };
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
