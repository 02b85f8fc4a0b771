/**
 * The stateless side of our QUIC listener over real UDP sockets on
 * loopback: Version Negotiation, stateless resets, drops and limits, Retry
 * and sniStrict with gtlsclient (ngtcp2) as the client. No HTTP/3 here: the
 * test's onConnection only records connections (the interop tests in
 * test/http3-interop run the whole Portico).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RandomConnectionIdGenerator } from '../../../src/quic/connection-id.js';
import { porticoTransport } from '../../../src/quic/udp/portico-transport.js';
import type { QuicConnection, QuicListener, QuicListenOptions } from '../../../src/quic/transport.js';
import { StatelessResets } from '../../../src/quic/stateless-reset.js';
import { AUTO_RETRY_HANDSHAKES } from '../../../src/quic/retry-tokens.js';
import { gtlsclient } from '../../support/gtlsclient.js';
import { QuicConnection as SansIoConnection } from '../../../src/quic/connection/quic-connection.js';
import { createQuicTlsClient } from '../../../src/quic/tls13/index.js';
import { TestPki } from '../../support/pki.js';

const pki = new TestPki('portico listener test CA');
const leaf = pki.issue('server', ['localhost']);
const resetKey = randomBytes(32);
let client: Socket;
const listeners: QuicListener[] = [];

async function listen(overrides: Partial<QuicListenOptions> = {}): Promise<{ listener: QuicListener; accepted: QuicConnection[] }> {
  const accepted: QuicConnection[] = [];
  const listener = await porticoTransport.listen({
    host: '127.0.0.1',
    port: 0,
    alpn: ['h3'],
    connectionIds: new RandomConnectionIdGenerator(16),
    idleTimeoutMs: 5_000,
    maxConnections: 100,
    maxStreamsBidi: 100,
    statelessResetKey: resetKey,
    selectCertificate: () => ({ certPem: leaf.certPem, keyPem: leaf.keyPem, fingerprint: 'leaf' }),
    onDrop: () => {},
    onConnection: (c) => accepted.push(c),
    log: () => {},
    ...overrides,
  });
  listeners.push(listener);
  return { listener, accepted };
}

/** Sends one datagram and collects what comes back within `ms`. */
async function exchange(port: number, datagram: Buffer, ms = 300): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const onMessage = (m: Buffer) => got.push(m);
  client.on('message', onMessage);
  client.send(datagram, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, ms));
  client.off('message', onMessage);
  return got;
}

/** An Initial-shaped long-header packet of `version` with the given DCID/SCID, `size` bytes (its payload is not protected: it never decrypts). */
function longHeader(version: number, dcid: Buffer, scid: Buffer, size: number): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0xc0;
  b.writeUInt32BE(version, 1);
  b[5] = dcid.length;
  dcid.copy(b, 6);
  b[6 + dcid.length] = scid.length;
  scid.copy(b, 7 + dcid.length);
  // Initial: empty token, then a 2-byte Length covering the rest of the datagram.
  const p = 7 + dcid.length + scid.length;
  b[p] = 0;
  b.writeUInt16BE(0x4000 | (size - p - 3), p + 1);
  return b;
}

beforeAll(async () => {
  client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

afterAll(() => client.close());

describe('PorticoListener, stateless', () => {
  it('answers an unknown version in a full-size datagram with Version Negotiation, and ignores a small one', async () => {
    const { listener } = await listen();
    const dcid = randomBytes(8);
    const scid = randomBytes(5);
    const [vn] = await exchange(listener.port, longHeader(0x1a2a3a4a, dcid, scid, 1200));
    expect(vn).toBeDefined();
    expect(vn!.readUInt32BE(1)).toBe(0); // version 0: Version Negotiation
    // Its DCID is the client's SCID and its SCID the client's DCID (RFC 9000 §17.2.1).
    expect(vn!.subarray(6, 6 + vn![5]!)).toEqual(scid);
    const versions = [];
    for (let p = 6 + vn![5]! + 1 + vn![6 + vn![5]!]!; p < vn!.length; p += 4) versions.push(vn!.readUInt32BE(p));
    expect(versions).toContain(1);
    expect(listener.counters.versionNegotiationsSent).toBe(1);
    expect(await exchange(listener.port, longHeader(0x1a2a3a4a, dcid, scid, 1199))).toEqual([]);
    expect(listener.counters.datagramsDropped['undersized-initial']).toBe(1);
  });

  it("answers a short-header packet for an unknown connection with a smaller stateless reset carrying that ID's token", async () => {
    const { listener } = await listen();
    const dcid = randomBytes(16);
    const packet = Buffer.concat([Buffer.of(0x40), dcid, randomBytes(60)]);
    const [reset] = await exchange(listener.port, packet);
    expect(reset).toBeDefined();
    expect(reset!.length).toBeLessThan(packet.length);
    expect(reset![0]! & 0xc0).toBe(0x40);
    expect(reset!.subarray(reset!.length - 16)).toEqual(new StatelessResets({ key: resetKey }).token(dcid));
    expect(listener.counters.statelessResetsSent).toBe(1);
    expect(listener.counters.datagramsDropped['unknown-connection']).toBe(1);
  });

  it('drops garbage, undersized Initials and Initials over the connection limit without answering or keeping state', async () => {
    const { listener } = await listen({ maxConnections: 0 });
    expect(await exchange(listener.port, Buffer.of(0xc0, 0, 0))).toEqual([]);
    expect(await exchange(listener.port, longHeader(1, randomBytes(8), randomBytes(8), 600))).toEqual([]);
    const r = await gtlsclient(['127.0.0.1', String(listener.port), `https://localhost:${listener.port}/`], { idleTimeout: '1s', timeoutMs: 10_000 });
    expect(r.out).not.toMatch(/frm rx/);
    expect(listener.counters.datagramsDropped['not-quic']).toBe(1);
    expect(listener.counters.datagramsDropped['undersized-initial']).toBeGreaterThanOrEqual(1);
    expect(listener.counters.datagramsDropped['connection-limit']).toBeGreaterThanOrEqual(1);
    expect(listener.counters.connectionsRefused).toBeGreaterThanOrEqual(1);
    expect(listener.connections.size).toBe(0);
  }, 20_000);

  it('fuzz: random and mutated datagrams never throw and never create a connection', async () => {
    const { listener } = await listen();
    const seedInitial = longHeader(1, randomBytes(8), randomBytes(8), 1200);
    for (let i = 0; i < 300; i++) {
      const d = i % 2 ? randomBytes(1 + (i % 1300)) : Buffer.from(seedInitial);
      if (i % 2 === 0) for (let k = 0; k < 5; k++) d[Math.floor(Math.random() * 40)] = Math.floor(Math.random() * 256);
      client.send(d, listener.port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(listener.connections.size).toBe(0);
    // Not even a half-open one: an Initial that does not decrypt leaves no connection behind (it would hold a TLS engine until the idle timeout).
    expect((listener as unknown as { all: Set<unknown> }).all.size).toBe(0);
    expect(listener.counters.datagramsDropped['invalid-initial']).toBeGreaterThan(0);
    const dropped = Object.values(listener.counters.datagramsDropped).reduce((a, b) => a + b, 0);
    expect(dropped + listener.counters.versionNegotiationsSent + listener.counters.handshakeFailures).toBeGreaterThan(0);
  });
});

describe('PorticoListener key log', () => {
  it('appends the NSS key log of each connection: the four secrets under its client random, the ones the client derived', async () => {
    const keylogFile = join(mkdtempSync(join(tmpdir(), 'portico-listener-keylog-')), 'keys.log');
    const { listener, accepted } = await listen({ keylogFile });
    const clientLines: string[] = [];
    const c = await ourClient(listener.port, undefined, (line) => clientLines.push(line));
    await c.runUntil(() => c.client.isEstablished && accepted.length === 1, 8_000);
    c.socket.close();
    expect(accepted.length).toBe(1);
    // Appended in one write when the handshake completed.
    const lines = readFileSync(keylogFile, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(1);
    expect(lines[0]!.split(' ')[1]).toMatch(/^[0-9a-f]{64}$/);
    // The client's engine logs the same lines from its side: same client random, same secrets.
    expect(lines.sort()).toEqual([...clientLines].sort());
  }, 20_000);
});

describe('PorticoListener with gtlsclient', () => {
  it('retry: true sends a Retry, the client comes back with the token, the handshake completes', async () => {
    const { listener, accepted } = await listen({ retry: true });
    const r = await gtlsclient(['127.0.0.1', String(listener.port), `https://localhost:${listener.port}/`], { idleTimeout: '2s', timeoutMs: 15_000 });
    expect(listener.counters.retriesSent, r.out.slice(-2000)).toBe(1);
    expect(r.out).toMatch(/type=Retry/);
    expect(r.out).toMatch(/HANDSHAKE_DONE/);
    expect(accepted.length).toBe(1);
    expect(accepted[0]!.serverName).toBe('localhost');
    expect(accepted[0]!.alpn).toBe('h3');
  }, 20_000);

  it('sniStrict: no certificate for the name refuses the handshake', async () => {
    const { listener, accepted } = await listen({ selectCertificate: () => undefined });
    const r = await gtlsclient(['127.0.0.1', String(listener.port), `https://localhost:${listener.port}/`], { idleTimeout: '2s', timeoutMs: 15_000 });
    expect(r.out).not.toMatch(/HANDSHAKE_DONE/);
    // unrecognized_name (112) as a CRYPTO_ERROR 0x100 + 112.
    expect(r.out).toMatch(/CONNECTION_CLOSE\(0x1c\) error_code=.*0x170/i);
    expect(accepted.length).toBe(0);
    expect(listener.counters.datagramsDropped['sni-refused']).toBe(1);
    // The refused connection is forgotten after its closing period (three PTOs, about 3 s before any RTT sample).
    for (let i = 0; i < 60 && listener.counters.handshakeFailures === 0; i++) await new Promise((r2) => setTimeout(r2, 100));
    expect(listener.counters.handshakeFailures).toBe(1);
    expect(listener.counters.connectionsClosed).toBe(1);
  }, 30_000);
});

/**
 * Our own sans-I/O connection as a client over a real UDP socket; `turn()`
 * runs its timers, sends what it has and waits a moment for answers.
 * `initialToken` goes in its Initial packets (a NEW_TOKEN token from before).
 */
async function ourClient(
  port: number,
  initialToken?: Buffer,
  keylog?: (line: string) => void,
): Promise<{ client: SansIoConnection; socket: Socket; turn(): Promise<void>; runUntil(done: () => boolean, ms: number): Promise<void> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const client = new SansIoConnection({
    role: 'client',
    localCid: randomBytes(8),
    remoteCid: randomBytes(8),
    now: performance.now(),
    transportParameters: { activeConnectionIdLimit: 8 },
    createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], insecure: true, now: () => Date.now() }),
    ...(keylog ? { keylog } : {}),
  });
  // The connection has no option for a token of its own (it sends the one a Retry gave it): put it where that one goes.
  if (initialToken) (client as unknown as { retryToken: Buffer }).retryToken = initialToken;
  socket.on('message', (m, rinfo) => client.receiveDatagram(m, performance.now(), { address: rinfo.address, port: rinfo.port, family: 'IPv4' }));
  const turn = async () => {
    const now = performance.now();
    if (now >= client.nextTimeout()) client.handleTimeout(now);
    for (const d of client.sendDatagrams(now)) socket.send(d, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 2));
  };
  const runUntil = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && !client.isClosed && Date.now() < deadline) await turn();
  };
  return { client, socket, turn, runUntil };
}

/** The listener's routing table (private): connection ID (hex) → connection. */
const routingTable = (l: QuicListener) => (l as unknown as { table: Map<string, QuicConnection> }).table;

describe('PorticoListener address validation', () => {
  it('NEW_TOKEN: a client that comes back with the token from its last connection needs no Retry (retry: true)', async () => {
    const { listener, accepted } = await listen({ retry: true });
    const first = await ourClient(listener.port);
    await first.runUntil(() => first.client.newToken !== undefined, 8_000);
    first.socket.close();
    const token = first.client.newToken;
    expect(token, 'the server sent NEW_TOKEN').toBeDefined();
    expect(listener.counters.retriesSent).toBe(1);
    const second = await ourClient(listener.port, token);
    await second.runUntil(() => second.client.isHandshakeConfirmed, 8_000);
    second.socket.close();
    expect(second.client.isEstablished).toBe(true);
    expect(listener.counters.retriesSent, 'no Retry for the client with a token').toBe(1);
    expect(accepted.length).toBe(2);
    // Garbage where a token goes is no reason to refuse: the client gets a Retry, as without one.
    const third = await ourClient(listener.port, Buffer.concat([Buffer.of(0xff), randomBytes(39)]));
    await third.runUntil(() => third.client.isHandshakeConfirmed, 8_000);
    third.socket.close();
    expect(third.client.isEstablished).toBe(true);
    expect(listener.counters.retriesSent).toBe(2);
  }, 30_000);
});

describe('PorticoListener retry: auto', () => {
  it('accepts without Retry until AUTO_RETRY_HANDSHAKES handshakes are in progress, then answers new clients with a Retry', async () => {
    const { listener } = await listen({ retry: 'auto', maxConnections: 1_000 });
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const retries: Buffer[] = [];
    socket.on('message', (m) => {
      if ((m[0]! & 0xf0) === 0xf0) retries.push(m); // long header, type 3: Retry
    });
    // First flights only: each becomes a handshake in progress on the server (the clients never answer).
    for (let i = 0; i < AUTO_RETRY_HANDSHAKES + 5; i++) {
      const client = new SansIoConnection({
        role: 'client',
        localCid: randomBytes(8),
        remoteCid: randomBytes(8),
        now: performance.now(),
        createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], insecure: true, now: () => Date.now() }),
      });
      for (const d of client.sendDatagrams(performance.now())) socket.send(d, listener.port, '127.0.0.1');
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 100 && listener.counters.retriesSent < 5; i++) await new Promise((r) => setTimeout(r, 50));
    socket.close();
    expect(listener.counters.retriesSent).toBe(5);
    expect(retries.length).toBe(5);
    expect((listener as unknown as { handshaking: number }).handshaking).toBe(AUTO_RETRY_HANDSHAKES);
  }, 30_000);
});

describe('PorticoListener connection IDs', () => {
  it('a client that retires every connection ID it gets, as fast as it can (CVE-2024-1410): IDs turn over, the table never grows past the active limit', async () => {
    const { listener, accepted } = await listen();
    const { client, socket, turn } = await ourClient(listener.port);
    // The hostile part, through the client's own retirement queue: every ID but the one in use goes back at once.
    const peerIds = (client as unknown as { peerCids: { ids: Map<number, unknown>; activeSequence: number; pendingRetire: number[] } }).peerCids;
    let retired = 0;
    let largestTable = 0;
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && retired < 1_000 && !client.isClosed) {
      for (const seq of [...peerIds.ids.keys()]) {
        if (seq === peerIds.activeSequence || peerIds.pendingRetire.length >= 32) continue;
        peerIds.ids.delete(seq);
        peerIds.pendingRetire.push(seq);
        retired++;
      }
      await turn();
      largestTable = Math.max(largestTable, routingTable(listener).size);
    }
    socket.close();
    expect(client.isEstablished, 'the connection survived the flood').toBe(true);
    expect(retired, 'the server kept issuing replacements').toBeGreaterThanOrEqual(1_000);
    expect(accepted.length).toBe(1);
    // Eight active IDs at most (our cap and the client's limit), plus the client's original DCID.
    expect(largestTable).toBeLessThanOrEqual(9);
    expect((accepted[0] as unknown as { cids: Set<string> }).cids.size).toBeLessThanOrEqual(9);
  }, 20_000);

  it('issues the client more connection IDs (NEW_CONNECTION_ID), each with the reset token of the shared key', async () => {
    const { listener, accepted } = await listen();
    const r = await gtlsclient(['127.0.0.1', String(listener.port), `https://localhost:${listener.port}/`], { idleTimeout: '2s', timeoutMs: 15_000 });
    expect(accepted.length, r.out.slice(-2000)).toBe(1);
    const issued = [
      ...r.out.matchAll(/frm rx \d+ \w+ NEW_CONNECTION_ID\(0x18\) seq=(\d+) cid=0x([0-9a-f]+) retire_prior_to=\d+ stateless_reset_token=0x([0-9a-f]+)/g),
    ];
    expect(issued.length, r.out.slice(-3000)).toBeGreaterThanOrEqual(1);
    const resets = new StatelessResets({ key: resetKey });
    for (const [, , cid, token] of issued) expect(token).toBe(resets.token(Buffer.from(cid!, 'hex')).toString('hex'));
  }, 20_000);
});
