/**
 * What the quiche listener decides before and around the handshake, over
 * real UDP: the certificate chosen by SNI (from our own ClientHello sniffer),
 * sniStrict refusal, garbage and undersized datagrams dropped and counted,
 * stateless resets for unknown connection IDs, Version Negotiation, Retry address validation, the shared key log and the
 * per-connection qlog files.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { loadQuiche, type Quiche } from '../../../src/quic/quiche/binding.js';
import { quicheTransport } from '../../../src/quic/quiche/quiche-transport.js';
import { QuicheClient } from '../../support/quiche-client.js';
import type { QuicCertificate } from '../../../src/quic/transport.js';
import { StatelessResets, isStatelessReset } from '../../../src/quic/stateless-reset.js';
import { TestPki, type IssuedCert } from '../../support/pki.js';
import { startEchoServer, type EchoServer } from './echo-server.js';

let quiche: Quiche;
let pki: TestPki;
let otherPki: TestPki;
let alpha: IssuedCert;
let beta: IssuedCert;
let caPem: string;
let dir: string;
let server: EchoServer;
const selected: Array<string | undefined> = [];

const asQuic = (c: IssuedCert, name: string): QuicCertificate => ({ certPem: c.certPem, keyPem: c.keyPem, fingerprint: name });

beforeAll(async () => {
  const loaded = await loadQuiche();
  if (!loaded.ok) throw new Error(loaded.reason);
  quiche = loaded.quiche;
  pki = new TestPki('SNI test CA');
  otherPki = new TestPki('Unrelated CA');
  alpha = pki.issue('alpha', ['alpha.test', 'localhost']);
  beta = pki.issue('beta', ['beta.test']);
  caPem = readFileSync(pki.caCert, 'utf8');
  dir = mkdtempSync(join(tmpdir(), 'portico-quic-tls-'));
  server = await startEchoServer(quicheTransport, {
    keylogFile: join(dir, 'keys.log'),
    qlogDir: dir,
    // sniStrict: only alpha.test and beta.test have certificates; anything else is refused.
    selectCertificate: (name) => {
      selected.push(name);
      if (name === 'alpha.test' || name === 'localhost') return asQuic(alpha, 'alpha');
      if (name === 'beta.test') return asQuic(beta, 'beta');
      return undefined;
    },
  });
});

afterAll(async () => {
  await server?.listener.close();
});

const connect = (serverName: string, extra: Partial<Parameters<typeof QuicheClient.connect>[1]> = {}) =>
  QuicheClient.connect(quiche, { host: '127.0.0.1', port: server.port, serverName, caPem, handshakeTimeoutMs: 2000, ...extra });

async function echo(c: QuicheClient, text: string): Promise<string> {
  const id = c.openBidiStream();
  c.write(id, Buffer.from(text), true);
  return (await c.readStream(id)).toString();
}

function exchange(datagram: Buffer, port: number, waitMs = 250): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m) => got.push(m));
    s.send(datagram, port, '127.0.0.1');
    setTimeout(() => {
      s.close();
      resolve(got);
    }, waitMs);
  });
}

/** A short-header datagram (fixed bit set) for a random 16-byte connection ID nobody issued. */
function shortHeader(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b;
}

/** A long-header Initial-looking datagram of the given version and size (its payload is zeros, not a valid packet). */
function longHeader(version: number, size: number): Buffer {
  const b = Buffer.alloc(size, 0);
  b[0] = 0xc0;
  b.writeUInt32BE(version, 1);
  b[5] = 8;
  Buffer.from('0102030405060708', 'hex').copy(b, 6);
  b[14] = 8;
  Buffer.from('1112131415161718', 'hex').copy(b, 15);
  return b;
}

// 10 s: under a full parallel test run a close can take longer than the 3 s it takes alone.
async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('certificate by SNI', () => {
  test('each name gets its own certificate, verified by the client against the CA', async () => {
    for (const [name, cert] of [
      ['alpha.test', alpha],
      ['beta.test', beta],
    ] as const) {
      const c = await connect(name);
      const leaf = new X509Certificate(c.peerCertificate()!);
      expect(leaf.fingerprint256).toBe(new X509Certificate(cert.certPem).fingerprint256);
      expect(leaf.checkHost(name)).toBe(name);
      expect(await echo(c, `hi ${name}`)).toBe(`hi ${name}`);
      expect(server.seen.at(-1)!.conn.serverName).toBe(name);
      await c.close();
    }
    expect(selected).toContain('alpha.test');
    expect(selected).toContain('beta.test');
  });

  test('a client trusting another CA fails the handshake', async () => {
    const failures = server.listener.counters.handshakeFailures;
    await expect(connect('alpha.test', { caPem: readFileSync(otherPki.caCert, 'utf8') })).rejects.toThrow(/handshake failed/);
    // The client's alert closes the server's half-made connection: counted as a handshake failure.
    await waitFor(() => server.listener.counters.handshakeFailures > failures);
    expect(server.seen.at(-1)!.established).toBe(false);
    expect(server.seen.at(-1)!.closedReason).toMatch(/peer closed with transport error 0x1/);
  });

  test('sniStrict: a name without a certificate is refused before any state, and counted', async () => {
    const before = server.listener.counters.connectionsRefused;
    const accepted = server.listener.counters.connectionsAccepted;
    await expect(connect('gamma.test', { handshakeTimeoutMs: 700 })).rejects.toThrow(/did not complete/);
    expect(server.listener.counters.connectionsRefused).toBeGreaterThan(before);
    expect(server.listener.counters.connectionsAccepted).toBe(accepted);
    expect(server.drops.get('sni-refused')).toBeGreaterThan(0);
  });
});

describe('datagrams that do not start a connection', () => {
  test('garbage, undersized Initials and unknown short headers are dropped without state, and counted', async () => {
    const size = () => server.listener.connections.size;
    const n = size();
    expect(await exchange(Buffer.from('hello, not quic'), server.port)).toEqual([]);
    expect(await exchange(longHeader(1, 300), server.port)).toEqual([]);
    // A short header for an unknown connection ID is answered only with a stateless reset (next test).
    expect(await exchange(shortHeader(100), server.port)).toHaveLength(1);
    // A full-size v1 Initial whose payload is not a decryptable packet.
    expect(await exchange(longHeader(1, 1200), server.port)).toEqual([]);
    const dropped = server.listener.counters.datagramsDropped;
    expect(dropped['not-quic']).toBeGreaterThan(0);
    expect(dropped['undersized-initial']).toBeGreaterThan(0);
    expect(dropped['unknown-connection']).toBeGreaterThan(0);
    expect(dropped['invalid-initial']).toBeGreaterThan(0);
    expect(size()).toBe(n);
    // The same numbers reached the onDrop callback.
    expect(server.drops.get('not-quic')).toBe(dropped['not-quic']);
  });

  test('a short header for an unknown connection ID gets a stateless reset: smaller than it, ending in the HMAC token of its DCID', async () => {
    const key = randomBytes(32);
    const r = await startEchoServer(quicheTransport, { statelessResetKey: key, selectCertificate: () => asQuic(alpha, 'alpha') });
    try {
      const resets = new StatelessResets({ key });
      for (const size of [1350, 200, 43, 35]) {
        const trigger = shortHeader(size);
        const replies = await exchange(trigger, r.port);
        expect(replies, `answer to ${size} bytes`).toHaveLength(1);
        const reset = replies[0]!;
        expect(reset.length).toBeLessThan(size);
        expect(reset.length).toBeGreaterThanOrEqual(21);
        if (size <= 43) expect(reset.length).toBe(size - 1);
        expect(reset[0]! & 0xc0).toBe(0x40); // looks like a short-header packet
        expect(isStatelessReset(reset, [resets.token(trigger.subarray(1, 17))])).toBe(true);
      }
      expect(r.listener.counters.statelessResetsSent).toBe(4);
      // Too small to be a packet with our 16-byte connection IDs: no answer (nor for a 21-byte reset sent to us).
      expect(await exchange(shortHeader(33), r.port)).toEqual([]);
      expect(await exchange(shortHeader(21), r.port)).toEqual([]);
      // A reset answered by a reset shrinks at every step: answering our own reset gives a smaller one.
      const first = (await exchange(shortHeader(60), r.port))[0]!;
      const second = (await exchange(first, r.port))[0];
      expect(second).toBeDefined();
      expect(second!.length).toBeLessThan(first.length);
      // Long headers for unknown connections are never answered with a reset.
      expect(await exchange(longHeader(1, 300), r.port)).toEqual([]);
      expect(r.listener.counters.datagramsDropped['unknown-connection']).toBeGreaterThanOrEqual(6);
    } finally {
      await r.listener.close();
    }
  });

  test('an unsupported version gets Version Negotiation listing QUIC v1 (only for full-size datagrams)', async () => {
    expect(await exchange(longHeader(0x1a2a3a4a, 300), server.port)).toEqual([]);
    const replies = await exchange(longHeader(0x1a2a3a4a, 1200), server.port);
    expect(replies).toHaveLength(1);
    const vn = replies[0]!;
    expect(vn.readUInt32BE(1)).toBe(0);
    const dcidLen = vn[5]!;
    // Echoes the client's IDs swapped.
    expect(vn.subarray(6, 6 + dcidLen).toString('hex')).toBe('1112131415161718');
    const scidLen = vn[6 + dcidLen]!;
    const versions: number[] = [];
    for (let o = 7 + dcidLen + scidLen; o + 4 <= vn.length; o += 4) versions.push(vn.readUInt32BE(o));
    expect(versions).toContain(1);
    expect(server.listener.counters.versionNegotiationsSent).toBe(1);
  });
});

describe('Retry', () => {
  test('with retry on, the client is validated by a Retry round trip, then served', async () => {
    const r = await startEchoServer(quicheTransport, { retry: true, selectCertificate: () => asQuic(alpha, 'alpha') });
    try {
      const c = await QuicheClient.connect(quiche, { host: '127.0.0.1', port: r.port, serverName: 'alpha.test', caPem });
      expect(await echo(c, 'after retry')).toBe('after retry');
      expect(r.listener.counters.retriesSent).toBe(1);
      expect(r.listener.counters.connectionsAccepted).toBe(1);
      await c.close();
      // An Initial without a token is answered with a Retry, without state.
      expect(await exchange(longHeader(1, 1200), r.port)).toHaveLength(1);
      expect(r.listener.counters.retriesSent).toBe(2);
      // A made-up token in the form of our Retry tokens gets nothing, and is counted.
      const forged = longHeader(1, 1200);
      forged[23] = 20; // token length
      Buffer.alloc(20, 0x5a).copy(forged, 24);
      forged[24] = 1; // the Retry token format byte
      expect(await exchange(forged, r.port)).toEqual([]);
      expect(r.listener.counters.datagramsDropped['invalid-retry-token']).toBe(1);
      expect(r.listener.connections.size).toBe(0);
      // A token of another kind (another server's NEW_TOKEN, say) is no reason to refuse (RFC 9000 §8.1.3): a Retry, as without one.
      forged[24] = 0x5a;
      expect(await exchange(forged, r.port)).toHaveLength(1);
      expect(r.listener.counters.retriesSent).toBe(3);
      expect(r.listener.connections.size).toBe(0);
    } finally {
      await r.listener.close();
    }
  });
});

describe('key log and qlog', () => {
  test('the key log collects lines of two connections in one file; each connection has a JSON-SEQ qlog', async () => {
    const qlogs = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.sqlog'));
    const files: string[] = [];
    for (const name of ['alpha.test', 'beta.test']) {
      const before = new Set(qlogs());
      const c = await connect(name);
      const keysBefore = existsSync(join(dir, 'keys.log')) ? readFileSync(join(dir, 'keys.log'), 'utf8') : '';
      expect(await echo(c, 'x')).toBe('x');
      // The keys are in the shared file while the connection is still open (a live capture can be decrypted).
      const keysNow = readFileSync(join(dir, 'keys.log'), 'utf8');
      expect(keysNow.length).toBeGreaterThan(keysBefore.length);
      expect(keysNow.slice(keysBefore.length)).toMatch(/^SERVER_TRAFFIC_SECRET_0 /m);
      const conn = server.seen.at(-1)!.conn;
      // The h3 layer logs its frames into the connection's qlog.
      conn.qlog('http', 'frame_created', { stream_id: 0, frame: { frame_type: 'headers' } });
      await c.close();
      await waitFor(() => server.seen.at(-1)!.closedReason !== undefined);
      const added = qlogs().filter((f) => !before.has(f));
      expect(added).toHaveLength(1);
      files.push(added[0]!);
    }
    const keys = readFileSync(join(dir, 'keys.log'), 'utf8').trim().split('\n');
    for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
      const randoms = new Set(keys.filter((l) => l.startsWith(label + ' ')).map((l) => l.split(' ')[1]));
      expect(randoms.size, label).toBeGreaterThanOrEqual(2);
    }
    for (const line of keys) expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);

    for (const f of files) {
      await waitFor(() => readFileSync(join(dir, f), 'utf8').includes('connection_closed'));
      const text = readFileSync(join(dir, f), 'utf8');
      const records = text.split('\x1e').filter((r) => r.length);
      for (const r of records) expect(r.endsWith('\n')).toBe(true);
      const parsed = records.map((r) => JSON.parse(r) as Record<string, unknown>);
      expect(parsed[0]).toMatchObject({ qlog_format: 'JSON-SEQ', trace: { vantage_point: { type: 'server' } } });
      const names = parsed.slice(1).map((e) => e.name);
      expect(names[0]).toBe('connectivity:connection_started');
      expect(names).toContain('connectivity:connection_state_updated');
      expect(names).toContain('http:frame_created');
      expect(names.at(-1)).toBe('connectivity:connection_closed');
      for (const e of parsed.slice(1)) expect(typeof e.time).toBe('number');
    }
    expect(existsSync(join(dir, 'keys.log'))).toBe(true);
  });
});

describe('with an independent client (ngtcp2 gtlsclient)', () => {
  test('the handshake completes with ALPN h3', async () => {
    const out = await new Promise<string>((resolve) =>
      execFile(
        'gtlsclient',
        ['--exit-on-first-stream-close', '--timeout=2s', '--no-quic-dump', '--no-http-dump', 'localhost', String(server.port), 'https://localhost/'],
        { timeout: 15_000 },
        (_e, so, se) => resolve(so + se),
      ),
    );
    // The echo server speaks no HTTP/3, so the client gives up later; the handshake itself must complete.
    expect(out).toMatch(/Negotiated ALPN is h3/);
    expect(out).toMatch(/QUIC handshake has been confirmed/);
  });
});
