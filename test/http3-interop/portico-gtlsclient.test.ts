/**
 * Our own QUIC stack (`http3.quic: portico`, src/quic/udp) under a real
 * Portico, against gtlsclient (ngtcp2 + GnuTLS): the whole path — UDP
 * listener, QUIC connection, TLS 1.3 engine, HTTP/3 session, QPACK, request
 * bridge, routing — to whoami@internal. One test per interop cell, each
 * bounded by the client's own idle timeout and a test timeout.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { gtlsclient } from '../support/gtlsclient.js';

const work = mkdtempSync(join(tmpdir(), 'portico-ourquic-'));
const qlogDir = join(work, 'qlog');

/** The qlog records (JSON-SEQ) of the connections that started while `run` ran. */
async function newConnectionQlogs<T>(run: () => Promise<T>): Promise<{ result: T; records: Array<Array<{ name?: string; data?: any }>> }> {
  const before = new Set(existsSync(qlogDir) ? readdirSync(qlogDir) : []);
  const result = await run();
  const files = readdirSync(qlogDir).filter((f) => !before.has(f));
  // qlog files are written asynchronously: give each new connection's handshake_complete record a moment to land.
  const complete = () => files.every((f) => readFileSync(join(qlogDir, f), 'utf8').includes('handshake_complete'));
  for (let i = 0; i < 30 && !complete(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const records = files.map((f) =>
    readFileSync(join(qlogDir, f), 'utf8')
      .split('\x1e')
      .filter(Boolean)
      .map((r) => JSON.parse(r)),
  );
  return { result, records };
}

async function startOurs(http3: Record<string, unknown>): Promise<{ p: Harness; port: number }> {
  const p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'portico', ...http3 } } } },
    {
      'routes.yaml': `
http:
  routers:
    all: { rule: "PathPrefix(\`/\`)", service: whoami@internal, entryPoints: [websecure], tls: {} }
`,
    },
  );
  await p.server.nextApply(1);
  return { p, port: p.port('websecure') };
}

let ours: { p: Harness; port: number };

/** Fetch `path` with gtlsclient and return what was downloaded plus the client's log. */
async function fetchH3(port: number, path: string, extra: string[] = [], timeoutMs = 30_000): Promise<{ body: Buffer; out: string; code: number }> {
  const dir = mkdtempSync(join(work, 'dl-'));
  const r = await gtlsclient([`--download=${dir}`, ...extra, '127.0.0.1', String(port), `https://localhost:${port}${path}`], { idleTimeout: '5s', timeoutMs });
  const files = readdirSync(dir);
  return { body: files.length ? readFileSync(join(dir, files[0]!)) : Buffer.alloc(0), out: r.out, code: r.code };
}

const tail = (out: string) => out.split('\n').slice(-30).join('\n');

beforeAll(async () => {
  ours = await startOurs({ qlogDir });
}, 30_000);

afterAll(async () => {
  await ours?.p.stop();
});

describe('HTTP/3 over our QUIC stack with gtlsclient (ngtcp2)', () => {
  for (const [name, args, suite, group] of [
    ['default settings', [], 'TLS_AES_128_GCM_SHA256', 'x25519'],
    ['ChaCha20-Poly1305 only', ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'], 'TLS_CHACHA20_POLY1305_SHA256', 'x25519'],
    ['AES-256-GCM only', ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM'], 'TLS_AES_256_GCM_SHA384', 'x25519'],
    ['P-256 only', ['--groups=-GROUP-ALL:+GROUP-SECP256R1'], 'TLS_AES_128_GCM_SHA256', 'secp256r1'],
  ] as const) {
    test(`GET to whoami: ${name}`, async () => {
      const { result: r, records } = await newConnectionQlogs(() => fetchH3(ours.port, '/hello', [...args]));
      expect(r.body.toString(), tail(r.out)).toMatch(/GET \/hello HTTP\/3\.0/);
      expect(r.body.toString()).toMatch(/Protocol: HTTP\/3\.0/);
      // The server's side of the handshake: the suite and group the client limited itself to.
      const complete = records.flat().find((e) => e.name === 'connectivity:connection_state_updated' && e.data.new === 'handshake_complete');
      expect(complete?.data).toMatchObject({ cipher_suite: suite, group });
    }, 40_000);
  }

  test('1 MB GET arrives whole', async () => {
    const r = await fetchH3(ours.port, '/data?size=1048576');
    expect(r.body.length, tail(r.out)).toBe(1048576);
  }, 40_000);

  test('key update during a 20 MB download', async () => {
    const { result: r, records } = await newConnectionQlogs(async () => {
      const fetched = await fetchH3(ours.port, '/data?size=20971520', ['-q', '--key-update=50ms'], 90_000);
      // The server logs connection_closed after its draining period (three PTOs).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return fetched;
    });
    expect(r.body.length, tail(r.out)).toBe(20971520);
    const closed = records.flat().find((e) => e.name === 'connectivity:connection_closed');
    expect(closed?.data.key_updates, 'the server went through the client-initiated key update').toBeGreaterThanOrEqual(1);
  }, 100_000);

  for (const loss of [0.05, 0.1]) {
    test(`${loss * 100}% loss both ways: a 1 MB download completes`, async () => {
      const r = await fetchH3(ours.port, '/data?size=1048576', ['-q', '-t', String(loss), '-r', String(loss)], 90_000);
      expect(r.body.length, tail(r.out)).toBe(1048576);
    }, 100_000);
  }

  test('TLS session resumption; the 0-RTT the client offers with the ticket is refused and the request completes in 1-RTT', async () => {
    const session = join(work, 'session.pem');
    const tp = join(work, 'tp.pem');
    const first = await fetchH3(ours.port, '/first', [`--session-file=${session}`, `--tp-file=${tp}`]);
    expect(first.body.toString(), tail(first.out)).toMatch(/GET \/first HTTP\/3\.0/);
    expect(existsSync(session), 'a session ticket was issued and saved').toBe(true);
    const second = await fetchH3(ours.port, '/second', [`--session-file=${session}`, `--tp-file=${tp}`]);
    expect(second.body.toString(), tail(second.out)).toMatch(/GET \/second HTTP\/3\.0/);
    // Only a resumed session lets the client offer 0-RTT.
    expect(second.out).toMatch(/type=0RTT/);
    // 0-RTT is off by default: the TLS engine refuses the early data (no early_data in EncryptedExtensions), the client
    // learns it in the handshake and sends the request again in 1-RTT, which the GET above shows arrived.
    expect(second.out).toMatch(/Early data was rejected by server/);
  }, 60_000);

  test('60 connections at once, 10 streams each', async () => {
    const runs = await Promise.all(
      Array.from({ length: 60 }, () =>
        gtlsclient(['-q', '-n', '10', '127.0.0.1', String(ours.port), `https://localhost:${ours.port}/many`], { idleTimeout: '10s', timeoutMs: 90_000 }),
      ),
    );
    const failed = runs.filter((r) => r.code !== 0);
    expect(failed.length, failed[0]?.out.slice(-2000)).toBe(0);
  }, 120_000);
});

describe('http3.retry with our QUIC stack', () => {
  let withRetry: { p: Harness; port: number } | undefined;
  afterAll(async () => {
    await withRetry?.p.stop();
  });
  const retries = (h: Harness) => (h.server as unknown as { h3: Map<string, { counters: { retriesSent: number } }> }).h3.get('websecure')!.counters.retriesSent;

  test('retry: always — gtlsclient gets a Retry, comes back with the token, and the request completes', async () => {
    withRetry = await startOurs({ retry: 'always' });
    const r = await fetchH3(withRetry.port, '/after-retry');
    expect(r.body.toString(), tail(r.out)).toMatch(/GET \/after-retry HTTP\/3\.0/);
    expect(r.out).toMatch(/type=Retry/);
    expect(retries(withRetry.p)).toBe(1);
  }, 40_000);

  test('retry: auto — no Retry while few handshakes are in progress', async () => {
    const r = await fetchH3(ours.port, '/no-retry');
    expect(r.out).not.toMatch(/type=Retry/);
    const auto = await startOurs({ retry: 'auto' });
    try {
      const a = await fetchH3(auto.port, '/auto');
      expect(a.body.toString(), tail(a.out)).toMatch(/GET \/auto HTTP\/3\.0/);
      expect(a.out).not.toMatch(/type=Retry/);
      expect(retries(auto.p)).toBe(0);
    } finally {
      await auto.p.stop();
    }
  }, 40_000);
});
