/**
 * Migration and NAT rebinding on our own QUIC stack (`http3.quic: portico`,
 * and the quiche binding) under a real Portico, with gtlsclient (ngtcp2) as the client: the
 * connection validates the new path and moves there, the transfer in flight
 * completes, and the client address that requests after the move carry —
 * whoami's RemoteAddr, X-Forwarded-For at a real backend, the access log —
 * is the new one (not a snapshot from the handshake).
 *
 * `transport.maxConcurrentStreams: 1` makes gtlsclient run its requests one
 * after the other, so a request listed after the download starts after it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { gtlsclient } from '../support/gtlsclient.js';
import { UdpAddressSwitcher } from './udp-address-switcher.js';

const work = mkdtempSync(join(tmpdir(), 'portico-ourquic-migration-'));
let p: Harness;
let port: number;
let backend: Backend;
let qlogDir: string;
let accessLog: string;

/** Runs gtlsclient against `target` (host port) with these paths, one request after the other; the downloaded files by name. */
async function run(target: number, paths: string[], extra: string[], timeoutMs = 60_000): Promise<{ files: Map<string, Buffer>; out: string; code: number }> {
  const dir = mkdtempSync(join(work, 'dl-'));
  const r = await gtlsclient([`--download=${dir}`, ...extra, '127.0.0.1', String(target), ...paths.map((path) => `https://localhost:${port}${path}`)], {
    idleTimeout: '5s',
    timeoutMs,
  });
  const files = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))] as const));
  return { files, out: r.out, code: r.code };
}

/** The records of every qlog file written so far. */
function qlogs(): Array<Array<{ name?: string; data?: any }>> {
  return readdirSync(qlogDir).map((f) =>
    readFileSync(join(qlogDir, f), 'utf8')
      .split('\x1e')
      .filter(Boolean)
      .map((r) => JSON.parse(r)),
  );
}

const remoteAddr = (whoami: Buffer | undefined) => /RemoteAddr: (\S+)/.exec(whoami?.toString() ?? '')?.[1];
const tail = (r: { out: string; code: number }) => `client exit ${r.code}; last lines of its log:\n${r.out.split('\n').slice(-30).join('\n')}`;

beforeAll(async () => {
  backend = await startBackend('h3-migration-backend');
});

afterAll(async () => {
  await backend?.close();
});

/** Portico with HTTP/3 over `quic`, its own qlog directory and access log. */
async function startWith(quic: string): Promise<void> {
  const dir = mkdtempSync(join(work, `${quic}-`));
  qlogDir = join(dir, 'qlog');
  accessLog = join(dir, 'access.log');
  p = await startPortico(
    {
      entryPoints: {
        websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic, qlogDir }, transport: { maxConcurrentStreams: 1 } },
      },
      accessLog: { filePath: accessLog, format: 'json' },
    },
    {
      'routes.yaml': `
http:
  routers:
    be: { rule: "PathPrefix(\`/backend\`)", service: be, entryPoints: [websecure], tls: {} }
    all: { rule: "PathPrefix(\`/\`)", priority: 1, service: whoami@internal, entryPoints: [websecure], tls: {} }
  services:
    be: { loadBalancer: { servers: [{ url: "${backend.url}" }] } }
`,
    },
  );
  await p.server.nextApply(1);
  port = p.port('websecure');
}

// The quiche binding too: the address requests see comes from the same bridge.
describe.each(['portico', 'quiche'])('%s follows the client to a new address', (quic) => {
  beforeAll(() => startWith(quic), 30_000);
  afterAll(() => p?.stop());

  test('the client moves (--change-local-addr) in the middle of an 8 MiB download: the download completes and the next request shows the new port', async () => {
    const r = await run(port, ['/first', '/data?size=8388608', '/after'], ['-q', '--change-local-addr=150ms']);
    expect(r.files.get('data?size=8388608')?.length, tail(r)).toBe(8388608);
    const before = remoteAddr(r.files.get('first'));
    const after = remoteAddr(r.files.get('after'));
    expect(before, tail(r)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(after, tail(r)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(after, "the request after the migration carries the client's new port").not.toBe(before);
    expect(r.code, tail(r)).toBe(0);
    // The access log agrees with whoami: the last request's ClientPort is the new one.
    const lines = readFileSync(accessLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const logged = lines.filter((l) => l.RequestPath === '/after').at(-1);
    expect(`${logged.ClientHost}:${logged.ClientPort}`).toBe(after);
  }, 90_000);

  test('NAT rebinding (--nat-rebinding, no PATH_CHALLENGE from the client) during an upload: the server validates the new port and follows', async () => {
    const file = join(work, 'upload.bin');
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 7));
    const r = await run(port, ['/first', '/upload', '/after'], ['-q', '-m', 'POST', `--data=${file}`, '--change-local-addr=50ms', '--nat-rebinding']);
    for (const name of ['first', 'upload', 'after']) expect(r.files.get(name)?.toString(), tail(r)).toContain(`Body-Bytes: ${2 * 1024 * 1024}`);
    const before = remoteAddr(r.files.get('first'));
    const after = remoteAddr(r.files.get('after'));
    expect(after, tail(r)).not.toBe(before);
    expect(r.code, tail(r)).toBe(0);
  }, 90_000);

  test("a NAT that changes the client's IP mid-download: the download completes and X-Forwarded-For at the backend shows the new IP", async () => {
    const relay = new UdpAddressSwitcher(port, 1024 * 1024);
    await relay.start();
    try {
      const r = await run(relay.port, ['/backend/before', '/data?size=8388608', '/backend/after'], ['-q']);
      expect(relay.switched, tail(r)).toBe(true);
      expect(r.files.get('data?size=8388608')?.length, tail(r)).toBe(8388608);
      const before = JSON.parse(r.files.get('before')?.toString() ?? '{}');
      const after = JSON.parse(r.files.get('after')?.toString() ?? '{}');
      expect(before.headers?.['x-forwarded-for'], tail(r)).toBe('127.0.0.2');
      expect(after.headers?.['x-forwarded-for'], tail(r)).toBe('127.0.0.3');
      expect(r.code, tail(r)).toBe(0);
      // The server's qlog: it moved to the relay's new address (after validating it).
      const moved = qlogs()
        .flat()
        .filter((e) => e.name === 'connectivity:connection_migrated' && (e.data?.new?.ip ?? e.data?.new?.host) === '127.0.0.3');
      expect(moved.length).toBe(1);
      expect(moved[0]!.data.new.port).toBe(relay.newAddress.port);
    } finally {
      relay.close();
    }
  }, 90_000);
});
