/**
 * Our QUIC stack as a client (issue 8: "the new stack as client against
 * Caddy (quic-go)"): QuicConnection with our TLS client engine over a UDP
 * socket, verifying Caddy's certificate against our test CA, then one
 * HTTP/3 GET (control stream with SETTINGS, HEADERS on a request stream,
 * QPACK without the dynamic table) to Caddy 2.6 serving a fixed body.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuicConnection } from '../../../src/quic/connection/quic-connection.js';
import { createQuicTlsClient } from '../../../src/quic/tls13/index.js';
import { TestPki } from '../../support/pki.js';
import { freePort } from '../../support/free-port.js';
import { clientControlStream, headersFrame, parseResponse } from '../../http3/in-memory-peer.js';

const caddyInstalled = existsSync('/usr/bin/caddy');
const work = mkdtempSync(join(tmpdir(), 'portico-caddy-client-'));
let caddy: ChildProcess | undefined;
let port = 0;
let caPem = '';
let caddyLog = '';

beforeAll(async () => {
  if (!caddyInstalled) return;
  const pki = new TestPki('Caddy client test CA');
  const leaf = pki.issue('caddy', ['localhost']);
  caPem = readFileSync(pki.caCert, 'utf8');
  port = await freePort();
  const caddyfile = join(work, 'Caddyfile');
  writeFileSync(
    caddyfile,
    `{\n  admin off\n  auto_https disable_redirects\n  skip_install_trust\n  servers {\n    protocols h1 h2 h3\n  }\n}\nhttps://localhost:${port} {\n  tls ${leaf.certFile} ${leaf.keyFile}\n  respond /hello "hello from caddy over h3" 200\n}\n`,
  );
  caddy = spawn('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
    env: { ...process.env, XDG_DATA_HOME: work, XDG_CONFIG_HOME: work, HOME: work },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  caddy.stdout!.on('data', (d) => (caddyLog += d));
  caddy.stderr!.on('data', (d) => (caddyLog += d));
  // Caddy logs "server running" per server once it listens (HTTP/3 included).
  for (let i = 0; i < 100 && !/enabling HTTP\/3 listener|server running/.test(caddyLog); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
}, 30_000);

afterAll(() => {
  caddy?.kill('SIGTERM');
});

describe.skipIf(!caddyInstalled)('our QUIC client against Caddy (quic-go)', () => {
  it('completes the handshake (Caddy certificate verified against the CA) and GETs over HTTP/3', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    let peerCertificates = 0;
    const client = new QuicConnection({
      role: 'client',
      localCid: randomBytes(8),
      remoteCid: randomBytes(8),
      now: performance.now(),
      maxDatagramSize: 1452,
      pathMtuDiscovery: true,
      transportParameters: { initialMaxStreamsUni: 16 },
      createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], caPem: [caPem], now: () => Date.now() }),
    });
    socket.on('message', (m, rinfo) => client.receiveDatagram(m, performance.now(), { address: rinfo.address, port: rinfo.port, family: 'IPv4' }));
    let request: number | undefined;
    const response: Buffer[] = [];
    const deadline = Date.now() + 15_000;
    try {
      while (Date.now() < deadline && !client.isClosed) {
        const now = performance.now();
        if (now >= client.nextTimeout()) client.handleTimeout(now);
        for (let e = client.pollEvent(); e; e = client.pollEvent()) if (e.type === 'handshakeComplete') peerCertificates = e.info.peerCertificates.length;
        if (client.isEstablished && request === undefined) {
          const control = client.streams.openStream('uni')!;
          client.streams.write(control, clientControlStream());
          request = client.streams.openStream('bidi')!;
          client.streams.write(
            request,
            headersFrame([
              [':method', 'GET'],
              [':scheme', 'https'],
              [':authority', `localhost:${port}`],
              [':path', '/hello'],
            ]),
          );
          client.streams.end(request);
        }
        if (request !== undefined) {
          for (let d = client.streams.read(request, now); d; d = client.streams.read(request, now)) response.push(Buffer.from(d));
          for (let e = client.streams.pollEvent(); e; e = client.streams.pollEvent()) {
            // Caddy's control and QPACK streams: read and dropped (no dynamic table was allowed).
            if (e.type === 'readable' && e.streamId !== request) while (client.streams.read(e.streamId, now));
          }
          if (client.streams.readEnded(request)) break;
        }
        for (const d of client.sendDatagrams(now)) socket.send(d, port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(client.isEstablished, caddyLog.slice(-2000)).toBe(true);
      expect(peerCertificates).toBeGreaterThanOrEqual(1);
      const parsed = parseResponse(Buffer.concat(response));
      const status = parsed.headers[0]?.find(([name]) => name === ':status')?.[1];
      expect(status).toBe('200');
      expect(parsed.body.toString()).toBe('hello from caddy over h3');
      client.close(0, 'done', true, performance.now());
      for (const d of client.sendDatagrams(performance.now())) socket.send(d, port, '127.0.0.1');
    } finally {
      await new Promise((r) => setTimeout(r, 20));
      socket.close();
    }
  }, 30_000);
});
