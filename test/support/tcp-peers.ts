/**
 * Real TCP peers for layer-4 tests: an echo server (half-close aware), an
 * `openssl s_server` TLS backend, `openssl s_client` as a client, and a
 * client round trip that writes, half-closes and reads until the peer closes.
 */
import { execFile, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { IssuedCert } from './pki.js';
import { freePort } from './free-port.js';
import { sleep, within } from './raw-tcp-client.js';

/** Write `text`, half-close, and read everything until the peer closes (bounded). */
export async function roundTrip(socket: Socket, text: string, ms = 5000): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise((r) => socket.once('close', r));
  socket.end(text);
  await within(closed, ms);
  socket.destroy();
  return Buffer.concat(chunks).toString();
}

export function openTcp(port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Echoes every byte and ends its side when the client does; `onFirst` sees each connection's first chunk. */
export async function startTcpEcho(onFirst?: (chunk: Buffer) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    let first = true;
    s.on('data', (d: Buffer) => {
      if (first) onFirst?.(d);
      first = false;
      s.write(d);
    });
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** `openssl s_server -www` with this certificate, once it accepts connections (bounded wait). */
export async function startOpensslServer(cert: IssuedCert): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert.certFile, '-key', cert.keyFile, '-www', '-quiet'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    await sleep(100);
  }
  return { port, stop: () => child.kill() };
}

/** What `openssl s_client` prints for a handshake with this server name (stdout and stderr). */
export function opensslClient(port: number, servername: string): Promise<string> {
  return new Promise<string>((ok) => {
    const c = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername], { timeout: 10_000 }, (_e, so, se) => ok(so + se));
    c.stdin!.end('Q\n');
  });
}
