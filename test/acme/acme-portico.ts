/** A real Portico (in process, real sockets) with ACME resolvers, its log lines captured so tests can count orders. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { httpsGet } from './https-get.js';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { PorticoServer } from '../../src/server/portico-server.js';

export interface AcmePortico {
  server: PorticoServer;
  /** Log messages so far (`msg` of each line), in order. */
  messages(): string[];
  count(message: string): number;
  api(path: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface AcmePorticoOptions {
  dir: string;
  webPort: number;
  websecurePort: number;
  resolvers: Record<string, Record<string, unknown>>;
  dynamicYaml: string;
}

export async function startAcmePortico(o: AcmePorticoOptions): Promise<AcmePortico> {
  const dynamicFile = join(o.dir, 'dynamic.yaml');
  writeFileSync(dynamicFile, o.dynamicYaml);
  const cfg = validateStaticConfig(
    {
      entryPoints: {
        web: { address: `127.0.0.1:${o.webPort}` },
        websecure: { address: `127.0.0.1:${o.websecurePort}`, http: { tls: {} } },
        portico: { address: '127.0.0.1:0' },
      },
      api: { insecure: true },
      providers: { file: { filename: dynamicFile, watch: true, debounceMs: 20 } },
      certificatesResolvers: Object.fromEntries(Object.entries(o.resolvers).map(([name, acme]) => [name, { acme }])),
    },
    o.dir,
    'test',
  );
  const lines: Array<{ msg: string }> = [];
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as { msg: string });
        if (process.env.PORTICO_TEST_LOG) process.stderr.write(line);
      },
    },
  );
  const server = new PorticoServer(cfg, log);
  await server.start();
  return {
    server,
    messages: () => lines.map((l) => l.msg),
    count: (message) => lines.filter((l) => l.msg === message).length,
    async api(path) {
      const res = await fetch(`http://127.0.0.1:${server.port('portico')}${path}`);
      return res.json();
    },
    stop: () => server.stop(),
  };
}

/** The certificate a TLS client sees for `servername`, and whether it verifies against `ca`. */
export function peerCertificate(port: number, servername: string, ca?: string): Promise<{ cert: X509Certificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const peer = socket.getPeerCertificate() as PeerCertificate;
      resolve({ cert: new X509Certificate(peer.raw), authorized: socket.authorized, error: socket.authorizationError?.message });
      socket.end();
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** An HTTPS GET to Portico for `host`, verified against `ca` (the request fails unless the certificate verifies). */
export function verifiedGet(port: number, host: string, path: string, ca: string): Promise<{ status: number; body: string }> {
  return httpsGet({ host: '127.0.0.1', port, servername: host, path, headers: { host }, ca });
}

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs` naming `what`. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
