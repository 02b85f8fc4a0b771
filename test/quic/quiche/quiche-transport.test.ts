/**
 * The quiche transport over real UDP on loopback, driven by the raw quiche
 * client: handshake and ALPN, streams both ways, a 10 MB transfer, many
 * streams, idle timeout, NAT rebinding, counters.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadQuiche, type Quiche } from '../../../src/quic/quiche/binding.js';
import { quicheTransport, loadQuicheTransport } from '../../../src/quic/quiche/quiche-transport.js';
import { QuicheClient } from '../../support/quiche-client.js';
import { TestPki, type IssuedCert } from '../../support/pki.js';
import { startEchoServer, type EchoServer } from './echo-server.js';

let quiche: Quiche;
let pki: TestPki;
let cert: IssuedCert;
let server: EchoServer;

beforeAll(async () => {
  const loaded = await loadQuiche();
  if (!loaded.ok) throw new Error(loaded.reason);
  quiche = loaded.quiche;
  pki = new TestPki('QUIC transport test CA');
  cert = pki.issue('localhost', ['localhost', '127.0.0.1']);
  server = await startEchoServer(quicheTransport, {
    selectCertificate: () => ({ certPem: cert.certPem, keyPem: cert.keyPem, fingerprint: 'localhost' }),
  });
});

afterAll(async () => {
  await server?.listener.close();
});

const connect = (extra: Partial<Parameters<typeof QuicheClient.connect>[1]> = {}) =>
  QuicheClient.connect(quiche, { host: '127.0.0.1', port: server.port, serverName: 'localhost', caPem: readCa(), ...extra });

let ca: string | undefined;
function readCa(): string {
  ca ??= readFileSync(pki.caCert, 'utf8');
  return ca;
}

describe('quiche transport', () => {
  test('loadQuicheTransport reports the transport where the binding loads', async () => {
    const r = await loadQuicheTransport();
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.transport.name).toBe('quiche');
  });

  test('handshake with ALPN h3; a bidirectional stream echoes both ways', async () => {
    const c = await connect();
    expect(c.alpn).toBe('h3');
    const id = c.openBidiStream();
    c.write(id, Buffer.from('hello '), false);
    c.write(id, Buffer.from('quic'), true);
    expect((await c.readStream(id)).toString()).toBe('hello quic');
    const conn = server.seen.at(-1)!.conn;
    expect(conn.alpn).toBe('h3');
    expect(conn.serverName).toBe('localhost');
    expect(conn.remotePort).toBe(c.localPort);
    expect(conn.localAddress).toBe('127.0.0.1');
    const st = conn.stats();
    expect(st.recvBytes).toBeGreaterThan(1200);
    expect(st.rttMs).toBeGreaterThan(0);
    expect(st.cwnd).toBeGreaterThan(0);
    await c.close(0, 'done');
  });

  test('10 MB download and 10 MB upload complete without loss-induced stalls', async () => {
    const c = await connect();
    const size = 10 * 1024 * 1024;
    const down = c.openBidiStream();
    let t = performance.now();
    c.write(down, Buffer.from(`SEND ${size}\n`), true);
    const got = await c.readStream(down);
    const downMs = performance.now() - t;
    expect(got.length).toBe(size);
    expect(got[12345]).toBe(12345 & 0xff);
    const downStats = c.stats();

    const up = c.openBidiStream();
    const payload = Buffer.alloc(size, 7);
    t = performance.now();
    c.write(up, payload, true);
    const echoed = await c.readStream(up);
    const upMs = performance.now() - t;
    expect(echoed.equals(payload)).toBe(true);
    const serverStats = server.seen.at(-1)!.conn.stats();
    console.log(
      `10 MiB download: ${downMs.toFixed(0)} ms (${((size * 8) / downMs / 1000).toFixed(0)} Mbit/s), server lost ${serverStats.lost} packets; ` +
        `10 MiB echo (up + down): ${upMs.toFixed(0)} ms; client lost ${downStats.lost}, rtt ${downStats.rttMs.toFixed(2)} ms`,
    );
    // A stall on loss costs at least one RTO (hundreds of ms); loopback at any sane speed does 10 MB in well under 5 s.
    expect(downMs).toBeLessThan(5000);
    expect(upMs).toBeLessThan(8000);
    await c.close();
  }, 30_000);

  test('100 concurrent streams each echo their own bytes', async () => {
    const c = await connect();
    const ids = Array.from({ length: 100 }, () => c.openBidiStream());
    const bodies = ids.map((id) => Buffer.from(`stream ${id} `.repeat(200)));
    ids.forEach((id, i) => c.write(id, bodies[i]!, true));
    const results = await Promise.all(ids.map((id) => c.readStream(id)));
    results.forEach((r, i) => expect(r.equals(bodies[i]!)).toBe(true));
    // More than the initial limit of 100 over the connection's life: the stream credit is renewed.
    const more = Array.from({ length: 150 }, () => c.openBidiStream());
    more.forEach((id) => c.write(id, Buffer.from(String(id)), true));
    const again = await Promise.all(more.map((id) => c.readStream(id)));
    again.forEach((r, i) => expect(r.toString()).toBe(String(more[i])));
    await c.close();
  });

  test('pauseRead holds the client by flow control; resumeRead lets the rest through', async () => {
    const c = await connect();
    const id = c.openBidiStream();
    const body = Buffer.alloc(6 * 1024 * 1024, 1);
    c.write(id, Buffer.from('PAUSE\n'), false);
    c.write(id, body, true);
    await new Promise((r) => setTimeout(r, 150));
    // The server's 1 MiB stream window is all the client may send while the server does not read.
    expect(c.queued(id)).toBeGreaterThan(body.length - 2 * 1024 * 1024);
    const [total, whilePaused] = (await c.readStream(id)).toString().split(' ').map(Number);
    expect(total).toBe(body.length + 6);
    // While paused the server took at most the first chunk plus what one 64 KiB read returns; the
    // rest waited in the client, held by the 1 MiB stream window.
    expect(whilePaused).toBeLessThan(128 * 1024);
    await c.close();
  });

  test('stream resets and stop-sendings reach the other side with their codes', async () => {
    const c = await connect();
    const events = () => server.streamEvents.filter((e) => ids.includes(e.id));
    const ids: number[] = [];
    // Client resets a stream it was sending on.
    const a = c.openBidiStream();
    ids.push(a);
    c.write(a, Buffer.from('partial'), false);
    await new Promise((r) => setTimeout(r, 50));
    c.resetStream(a, 0x10b);
    // Client stops a response that is still being produced...
    const b = c.openBidiStream();
    ids.push(b);
    c.onStreamData = (id) => {
      if (id === b) c.stopSending(b, 0x10c);
    };
    c.write(b, Buffer.from(`SEND ${5 * 1024 * 1024}\n`), true);
    // ...and one that has not started (nothing queued on the server).
    const d = c.openBidiStream();
    ids.push(d);
    c.write(d, Buffer.from('HOLD\n'), true);
    await new Promise((r) => setTimeout(r, 50));
    c.stopSending(d, 0x10d);
    await waitFor(() => events().length >= 3);
    expect(events()).toEqual(
      expect.arrayContaining([
        { type: 'reset', id: a, code: 0x10b },
        { type: 'stop-sending', id: b, code: 0x10c },
        { type: 'stop-sending', id: d, code: 0x10d },
      ]),
    );
    c.onStreamData = undefined;
    // Server resets its side: the client sees the code.
    const e = c.openBidiStream();
    c.write(e, Buffer.from('RESET 269\n'), true);
    await expect(c.readStream(e)).rejects.toThrow(/reset by the server with code 269/);
    await c.close();
  });

  test('30 connections at once, each with 10 streams', async () => {
    const clients = await Promise.all(Array.from({ length: 30 }, () => connect()));
    await Promise.all(
      clients.map(async (c, n) => {
        const ids = Array.from({ length: 10 }, () => c.openBidiStream());
        ids.forEach((id) => c.write(id, Buffer.from(`conn ${n} stream ${id}`), true));
        const got = await Promise.all(ids.map((id) => c.readStream(id)));
        got.forEach((g, i) => expect(g.toString()).toBe(`conn ${n} stream ${ids[i]}`));
      }),
    );
    await Promise.all(clients.map((c) => c.close()));
  });

  test('a NAT rebinding (new client port, same connection ID) keeps the transfer going', async () => {
    const c = await connect();
    const a = c.openBidiStream();
    c.write(a, Buffer.from('before'), true);
    expect((await c.readStream(a)).toString()).toBe('before');
    const entry = server.seen.at(-1)!;
    const oldPort = c.localPort;
    await c.rebind();
    const b = c.openBidiStream();
    c.write(b, Buffer.from(`SEND ${1024 * 1024}\n`), true);
    expect((await c.readStream(b)).length).toBe(1024 * 1024);
    expect(c.localPort).not.toBe(oldPort);
    expect(entry.conn.remotePort).toBe(c.localPort);
    await c.close();
  });

  test('a NAT rebinding in the middle of a download: packets sent to the old port are recovered, the transfer completes', async () => {
    const c = await connect({ idleTimeoutMs: 5_000 });
    const id = c.openBidiStream();
    const total = 8 * 1024 * 1024;
    let rebound: Promise<void> | undefined;
    let at = 0;
    c.onStreamData = (_sid, _data, _fin) => {
      // Rebind while the server is sending flat out: whatever it sends before it sees the new port goes to a closed socket.
      if (!rebound && c.received(id) >= 1024 * 1024) {
        at = c.received(id);
        rebound = c.rebind();
      }
    };
    const oldPort = c.localPort;
    c.write(id, Buffer.from(`SEND ${total}\n`), true);
    const entry = server.seen.at(-1)!;
    await waitFor(() => c.received(id) === total || entry.closedReason !== undefined, 20_000);
    await rebound;
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(total);
    expect(c.localPort).not.toBe(oldPort);
    expect(entry.conn.remotePort).toBe(c.localPort);
    expect(c.received(id)).toBe(total);
    await c.close();
  });

  test('an idle connection is closed by the server after its idle timeout', async () => {
    const idle = await startEchoServer(quicheTransport, {
      selectCertificate: () => ({ certPem: cert.certPem, keyPem: cert.keyPem, fingerprint: 'localhost' }),
      idleTimeoutMs: 300,
    });
    try {
      const c = await QuicheClient.connect(quiche, { host: '127.0.0.1', port: idle.port, serverName: 'localhost', caPem: readCa(), idleTimeoutMs: 10_000 });
      const t = performance.now();
      const reason = await c.closed();
      const elapsed = performance.now() - t;
      expect(reason).toBe('idle timeout');
      expect(elapsed).toBeGreaterThan(250);
      expect(elapsed).toBeLessThan(3000);
      await waitFor(() => idle.seen[0]?.closedReason !== undefined);
      expect(idle.seen[0]!.closedReason).toBe('idle timeout');
      expect(idle.listener.connections.size).toBe(0);
      expect(idle.listener.counters.connectionsClosed).toBe(1);
    } finally {
      await idle.listener.close();
    }
  });

  test('listening on every interface: one socket per family on the same port, both reachable', async () => {
    const both = await startEchoServer(quicheTransport, {
      host: undefined,
      selectCertificate: () => ({ certPem: cert.certPem, keyPem: cert.keyPem, fingerprint: 'localhost' }),
    });
    try {
      expect(both.listener.addresses.map((a) => `${a.family} ${a.address}`).sort()).toEqual(['IPv4 0.0.0.0', 'IPv6 ::']);
      expect(new Set(both.listener.addresses.map((a) => a.port))).toEqual(new Set([both.port]));
      for (const host of ['127.0.0.1', '::1']) {
        const c = await QuicheClient.connect(quiche, { host, port: both.port, serverName: 'localhost', caPem: readCa() });
        const id = c.openBidiStream();
        c.write(id, Buffer.from(host), true);
        expect((await c.readStream(id)).toString()).toBe(host);
        expect(both.seen.at(-1)!.conn.remoteAddress).toBe(host);
        await c.close();
      }
    } finally {
      await both.listener.close();
    }
  });

  test('maxConnections: a connection beyond the limit is refused without state until one closes', async () => {
    const small = await startEchoServer(quicheTransport, {
      maxConnections: 1,
      selectCertificate: () => ({ certPem: cert.certPem, keyPem: cert.keyPem, fingerprint: 'localhost' }),
    });
    const opts = { host: '127.0.0.1', port: small.port, serverName: 'localhost', caPem: readCa(), handshakeTimeoutMs: 600 };
    try {
      const first = await QuicheClient.connect(quiche, opts);
      await expect(QuicheClient.connect(quiche, opts)).rejects.toThrow(/did not complete/);
      expect(small.listener.counters.connectionsRefused).toBeGreaterThan(0);
      expect(small.listener.counters.datagramsDropped['connection-limit']).toBeGreaterThan(0);
      expect(small.listener.connections.size).toBe(1);
      await first.close();
      await waitFor(() => small.listener.connections.size === 0);
      const again = await QuicheClient.connect(quiche, opts);
      await again.close();
    } finally {
      await small.listener.close();
    }
  });

  test('counters: accepted and closed connections', async () => {
    const before = { ...server.listener.counters };
    const c = await connect();
    await c.close();
    await waitFor(() => server.listener.counters.connectionsClosed > before.connectionsClosed);
    expect(server.listener.counters.connectionsAccepted).toBe(before.connectionsAccepted + 1);
  });
});

// 10 s: under a full parallel test run a close can take longer than the 3 s it takes alone.
async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
