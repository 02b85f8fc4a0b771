import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QuicConnection, type ConnectionEvent, type TlsBinding } from '../../../src/quic/connection/quic-connection.js';
import { PacketHeader, PacketType, parsePacketHeader, writeShortHeader } from '../../../src/quic/packet/packet-header.js';
import { QuicErrorCode } from '../../../src/quic/quic-error.js';
import { writeFrame } from '../../../src/quic/frames/frame-writer.js';
import type { OneRttKeys } from '../../../src/quic/packet/one-rtt-keys.js';
import type { QuicTlsEndpoint, QuicTlsServerCertificate, TlsCipherSuiteName } from '../../../src/quic/tls13/quic-tls.js';
import { createQuicTlsClient, createQuicTlsServer } from '../../../src/quic/tls13/index.js';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll } from 'vitest';
import { TestPki } from '../../support/pki.js';
import { ScriptedTls } from './scripted-tls.js';
import { runNetwork } from './fake-clock-network.js';
import { buildRetryPacket } from '../../../src/quic/packet/retry-packet.js';
import { buildVersionNegotiation } from '../../../src/quic/packet/version-negotiation.js';
import { QUIC_V1 } from '../../../src/quic/initial/initial-keys.js';

type TlsFactory = (binding: TlsBinding) => QuicTlsEndpoint;

/** Client and server connections joined by an in-memory "network" with a fake clock and optional loss. */
class Pair {
  now = 1000;
  client: QuicConnection;
  server: QuicConnection | undefined;
  clientEvents: ConnectionEvent[] = [];
  serverEvents: ConnectionEvent[] = [];
  datagramsToServer: Buffer[] = [];
  datagramsToClient: Buffer[] = [];
  /** Return true to drop a datagram. */
  drop: (toServer: boolean, datagram: Buffer, index: number) => boolean = () => false;
  private sent = 0;

  private readonly serverTls: TlsFactory;

  constructor(suite: TlsCipherSuiteName = 'TLS_AES_128_GCM_SHA256', tls?: { client: TlsFactory; server: TlsFactory }) {
    this.serverTls = tls?.server ?? ((binding) => new ScriptedTls('server', binding, suite));
    this.client = new QuicConnection({
      role: 'client',
      localCid: randomBytes(8),
      remoteCid: randomBytes(8),
      createTls: tls?.client ?? ((binding) => new ScriptedTls('client', binding, suite)),
      now: this.now,
    });
  }

  private acceptServer(datagram: Buffer): void {
    const h = new PacketHeader();
    parsePacketHeader(datagram, 0, 8, h);
    expect(h.type).toBe(PacketType.Initial);
    this.server = new QuicConnection({
      role: 'server',
      localCid: randomBytes(8),
      remoteCid: Buffer.from(h.scid),
      originalDcid: Buffer.from(h.dcid),
      statelessResetToken: Buffer.alloc(16, 7),
      createTls: this.serverTls,
      now: this.now,
    });
  }

  /** One exchange round: each side sends what it has, the other receives it. */
  step(): number {
    let moved = 0;
    for (const d of this.client.sendDatagrams(this.now)) {
      this.datagramsToServer.push(d);
      if (this.drop(true, d, this.sent++)) continue;
      if (!this.server) this.acceptServer(d);
      this.server!.receiveDatagram(d, this.now);
      moved++;
    }
    if (this.server) {
      for (const d of this.server.sendDatagrams(this.now)) {
        this.datagramsToClient.push(d);
        if (this.drop(false, d, this.sent++)) continue;
        this.client.receiveDatagram(d, this.now);
        moved++;
      }
    }
    this.collect();
    return moved;
  }

  collect(): void {
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) this.clientEvents.push(e);
    for (let e = this.server?.pollEvent(); e; e = this.server?.pollEvent()) this.serverEvents.push(e);
  }

  /** Runs rounds, advancing the clock to the next timer when nothing moves, until `done` or the time limit. */
  run(done: () => boolean, limitMs = 20_000): void {
    runNetwork(this, done, limitMs);
  }
}

const established = (p: Pair) => () => p.client.isHandshakeConfirmed && !!p.server?.isHandshakeConfirmed;

describe('QuicConnection handshake in memory (scripted TLS stand-in until src/quic/tls13 lands)', () => {
  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const) {
    it(`completes and confirms the handshake with ${suite}`, () => {
      const p = new Pair(suite);
      p.run(established(p));
      expect(p.client.isEstablished).toBe(true);
      expect(p.server!.isEstablished).toBe(true);
      expect(p.client.isHandshakeConfirmed).toBe(true);
      expect(p.serverEvents.map((e) => e.type)).toEqual(['handshakeComplete', 'handshakeConfirmed']);
      expect(p.clientEvents.map((e) => e.type)).toEqual(['handshakeComplete', 'handshakeConfirmed']);
      // Transport parameters crossed and were authenticated (§7.3).
      expect(p.client.peerParameters!.originalDestinationConnectionId).toBeDefined();
      expect(p.server!.peerParameters!.initialSourceConnectionId!.equals(p.client.localCid)).toBe(true);
      expect(p.client.remoteCid.equals(p.server!.localCid)).toBe(true);
      // Every datagram carrying a client Initial is at least 1200 bytes (§14.1).
      const h = new PacketHeader();
      for (const d of p.datagramsToServer) {
        parsePacketHeader(d, 0, 8, h);
        if (h.type === PacketType.Initial) expect(d.length).toBeGreaterThanOrEqual(1200);
      }
      // The server never sent more than 3x what it received before the address was validated (§8.1).
      const firstClient = p.datagramsToServer[0]!.length;
      expect(p.datagramsToClient[0]!.length).toBeLessThanOrEqual(3 * firstClient);
    });
  }

  it('recovers from losing the server first flight and the client Finished (PTO, CRYPTO retransmission)', () => {
    const p = new Pair();
    let serverDrops = 0;
    let clientHandshakeDrops = 0;
    const h = new PacketHeader();
    p.drop = (toServer, d) => {
      if (!toServer && serverDrops < 2) {
        serverDrops++;
        return true;
      }
      if (toServer) {
        parsePacketHeader(d, 0, 8, h);
        if (h.type === PacketType.Handshake && clientHandshakeDrops < 1) {
          clientHandshakeDrops++;
          return true;
        }
      }
      return false;
    };
    p.run(established(p));
    expect(serverDrops).toBe(2);
    expect(clientHandshakeDrops).toBe(1);
    expect(p.client.isHandshakeConfirmed).toBe(true);
    expect(p.server!.isHandshakeConfirmed).toBe(true);
  });

  it('closes: the peer gets CONNECTION_CLOSE with the code and reason, both end closed', () => {
    const p = new Pair();
    p.run(established(p));
    p.server!.close(0x10c, 'going away', true, p.now);
    p.run(() => p.client.isClosed && p.server!.isClosed);
    const closed = p.clientEvents.find((e) => e.type === 'closed');
    expect(closed).toEqual({ type: 'closed', close: { code: 0x10c, application: true, reason: 'going away', initiator: 'peer' } });
    expect(p.serverEvents.at(-1)).toEqual({ type: 'closed', close: { code: 0x10c, application: true, reason: 'going away', initiator: 'local' } });
  });

  it('closes on the idle timeout when the peer goes silent', () => {
    const p = new Pair();
    p.run(established(p));
    p.drop = () => true;
    const start = p.now;
    p.run(() => p.client.isClosed && p.server!.isClosed, 120_000);
    expect(p.clientEvents.at(-1)).toMatchObject({ type: 'closed', close: { initiator: 'idle' } });
    // 30 s from the last packet received, which came a round before `start`.
    expect(p.now - start).toBeGreaterThanOrEqual(29_990);
  });

  it('a STREAM frame beyond the advertised stream limit is a STREAM_LIMIT_ERROR close', () => {
    const p = new Pair();
    p.run(established(p));
    expect(p.server!.peerParameters!.initialMaxStreamsBidi).toBe(100);
    // Seal a 1-RTT packet carrying a STREAM frame with the client's own keys, as a misbehaving client would.
    const internals = p.client as unknown as { oneRtt: OneRttKeys; spaces: { nextPacketNumber: number }[] };
    const buf = Buffer.alloc(100);
    const pn = internals.spaces[2]!.nextPacketNumber++;
    const pnOffset = writeShortHeader(buf, 0, p.client.remoteCid, 0, internals.oneRtt.keyPhase, 4, pn);
    const payloadEnd = writeFrame(buf, pnOffset + 4, { type: 'stream', streamId: 4 * 100, offset: 0, data: Buffer.from('GET /'), fin: true });
    const end = internals.oneRtt.sealPacket(buf, 0, pnOffset, 4, payloadEnd, pn);
    p.server!.receiveDatagram(buf.subarray(0, end), p.now);
    p.run(() => p.client.isClosed && p.server!.isClosed);
    expect(p.clientEvents.at(-1)).toMatchObject({ type: 'closed', close: { code: QuicErrorCode.STREAM_LIMIT_ERROR, application: false, initiator: 'peer' } });
  });

  it('CVE-2024-1765 shape: a flood of 1-byte CRYPTO fragments with gaps closes with CRYPTO_BUFFER_EXCEEDED, holding at most 256 fragments', () => {
    const p = new Pair();
    p.run(established(p));
    const internals = p.client as unknown as { oneRtt: OneRttKeys; spaces: { nextPacketNumber: number }[] };
    const serverSpace = (p.server as unknown as { spaces: { crypto: { fragmentCount: number; bufferedBytes: number } }[] }).spaces[2]!;
    let maxFragments = 0;
    // Each packet: 100 CRYPTO frames of one byte, every other offset (nothing ever becomes contiguous for TLS).
    for (let packet = 0; packet < 10 && !p.server!.isClosed; packet++) {
      const buf = Buffer.alloc(1200);
      const pn = internals.spaces[2]!.nextPacketNumber++;
      const pnOffset = writeShortHeader(buf, 0, p.client.remoteCid, 0, internals.oneRtt.keyPhase, 4, pn);
      let end = pnOffset + 4;
      for (let i = 0; i < 100; i++) end = writeFrame(buf, end, { type: 'crypto', offset: 1000 + 2 * (packet * 100 + i), data: Buffer.from([i]) });
      const sealed = internals.oneRtt.sealPacket(buf, 0, pnOffset, 4, end, pn);
      p.server!.receiveDatagram(buf.subarray(0, sealed), p.now);
      maxFragments = Math.max(maxFragments, serverSpace.crypto.fragmentCount);
    }
    expect(maxFragments).toBeLessThanOrEqual(256);
    p.run(() => p.client.isClosed && p.server!.isClosed);
    expect(p.clientEvents.at(-1)).toMatchObject({
      type: 'closed',
      close: { code: QuicErrorCode.CRYPTO_BUFFER_EXCEEDED, application: false, initiator: 'peer' },
    });
  });

  it('carries stream data both ways: 300 KB up on a client stream, echoed back', () => {
    const p = new Pair();
    p.run(established(p));
    const id = p.client.streams.openStream('bidi')!;
    expect(id).toBe(0);
    const upload = randomBytes(300_000);
    p.client.streams.write(id, upload);
    p.client.streams.end(id);
    const received: Buffer[] = [];
    const echoed: Buffer[] = [];
    let serverEnded = false;
    p.run(() => {
      for (let e = p.server!.streams.pollEvent(); e; e = p.server!.streams.pollEvent()) {
        if (e.type !== 'readable') continue;
        for (let d = p.server!.streams.read(e.streamId, p.now); d; d = p.server!.streams.read(e.streamId, p.now)) {
          received.push(Buffer.from(d));
          p.server!.streams.write(e.streamId, d);
        }
        if (!serverEnded && p.server!.streams.readEnded(e.streamId)) {
          p.server!.streams.end(e.streamId);
          serverEnded = true;
        }
      }
      for (let e = p.client.streams.pollEvent(); e; e = p.client.streams.pollEvent()) {
        if (e.type !== 'readable') continue;
        for (let d = p.client.streams.read(e.streamId, p.now); d; d = p.client.streams.read(e.streamId, p.now)) echoed.push(Buffer.from(d));
      }
      return p.client.streams.readEnded(id);
    }, 20_000);
    expect(Buffer.concat(received).equals(upload)).toBe(true);
    expect(Buffer.concat(echoed).equals(upload)).toBe(true);
  });

  it('downloads 2 MB intact with 5% loss both ways (loss detection, retransmission of stream data and control frames)', async () => {
    const { seededRandom } = await import('../fuzz.js');
    const random = seededRandom(42);
    const p = new Pair();
    p.run(established(p));
    let dropped = 0;
    p.drop = () => {
      if (random() < 0.05) {
        dropped++;
        return true;
      }
      return false;
    };
    const id = p.server!.streams.openStream('uni')!;
    const body = randomBytes(2 * 1024 * 1024);
    let offset = 0;
    const chunks: Buffer[] = [];
    let ended = false;
    p.run(() => {
      // Feed the stream as it drains, as an HTTP/3 response would.
      while (offset < body.length && p.server!.streams.bufferedAmount(id) < 256 * 1024) {
        p.server!.streams.write(id, body.subarray(offset, offset + 64 * 1024));
        offset += 64 * 1024;
        if (offset >= body.length) p.server!.streams.end(id);
      }
      for (let e = p.client.streams.pollEvent(); e; e = p.client.streams.pollEvent()) {
        if (e.type !== 'readable') continue;
        for (let d = p.client.streams.read(e.streamId, p.now); d; d = p.client.streams.read(e.streamId, p.now)) chunks.push(Buffer.from(d));
        if (p.client.streams.readEnded(e.streamId)) ended = true;
      }
      return ended;
    }, 60_000);
    expect(dropped).toBeGreaterThan(20);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(p.client.isClosed || p.server!.isClosed).toBe(false);
  });

  it('a stateless reset from the server ends the client connection (RFC 9000 §10.3.1)', () => {
    const p = new Pair();
    p.run(established(p));
    const reset = Buffer.concat([Buffer.of(0x40), randomBytes(30), Buffer.alloc(16, 7)]); // the server's token (Pair gives 7s)
    p.client.receiveDatagram(reset, p.now);
    p.run(() => p.client.isClosed, 10_000);
    expect(p.clientEvents.at(-1)).toMatchObject({ type: 'closed', close: { reason: 'stateless reset', initiator: 'peer' } });
  });

  it('key update: the client updates once a 1-RTT packet was acknowledged, the server follows', () => {
    const p = new Pair();
    p.run(established(p));
    expect(p.client.updateKeys()).toBe(false); // nothing of the current phase acknowledged yet (§6.1)
    p.client.ping();
    p.run(() => p.client.updateKeys(), 5000);
    p.client.ping();
    p.run(() => p.server!.keyUpdates === 1, 5000);
    expect(p.server!.keyUpdates).toBe(1);
    // The server's ACK, under its new write keys, completes the update on the client's read side.
    p.run(() => p.client.keyUpdates === 1, 5000);
    p.client.close(0, 'done', true, p.now);
    p.run(() => p.server!.isClosed, 10_000);
    expect(p.serverEvents.at(-1)).toMatchObject({ type: 'closed', close: { code: 0, reason: 'done', initiator: 'peer' } });
    expect(p.client.keyUpdates).toBe(1);
  });
});

describe('QuicConnection handshake in memory with our TLS 1.3 engine (src/quic/tls13)', () => {
  let certificate: QuicTlsServerCertificate;
  let caPem: string[];
  beforeAll(() => {
    const pki = new TestPki('QUIC connection test CA');
    const leaf = pki.issue('server', ['localhost']);
    certificate = { chain: [new X509Certificate(leaf.certPem).raw], key: createPrivateKey(leaf.keyPem) };
    caPem = [readFileSync(pki.caCert, 'utf8')];
  }, 60_000);

  function realTls(suite?: TlsCipherSuiteName): { client: TlsFactory; server: TlsFactory } {
    const cipherSuites = suite ? [suite] : undefined;
    return {
      client: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], caPem, cipherSuites, now: () => Date.now() }),
      server: (binding) => createQuicTlsServer({ ...binding, alpn: ['h3'], selectCertificate: () => certificate, cipherSuites, now: () => Date.now() }),
    };
  }

  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const) {
    it(`server and client complete, authenticate and confirm the handshake with ${suite}`, () => {
      const p = new Pair(suite, realTls(suite));
      p.run(established(p));
      expect(p.client.isHandshakeConfirmed).toBe(true);
      expect(p.server!.isHandshakeConfirmed).toBe(true);
      const info = p.clientEvents.find((e) => e.type === 'handshakeComplete');
      expect(info).toMatchObject({ info: { alpn: 'h3', cipherSuite: suite } });
      expect((info as { info: { peerCertificates: Buffer[] } }).info.peerCertificates[0]!.equals(certificate.chain[0]!)).toBe(true);
      expect(p.serverEvents.find((e) => e.type === 'handshakeComplete')).toMatchObject({ info: { serverName: 'localhost', cipherSuite: suite } });
      expect(p.server!.peerParameters!.initialSourceConnectionId!.equals(p.client.localCid)).toBe(true);
    });
  }

  it('survives losing the first server flight with real TLS', () => {
    const p = new Pair(undefined, realTls());
    let drops = 0;
    p.drop = (toServer) => !toServer && drops++ < 3;
    p.run(established(p));
    expect(drops).toBeGreaterThanOrEqual(3);
    expect(p.client.isHandshakeConfirmed && p.server!.isHandshakeConfirmed).toBe(true);
  });

  it('a client that does not trust the certificate closes with CRYPTO_ERROR (bad_certificate / unknown_ca)', () => {
    const p = new Pair(undefined, {
      ...realTls(),
      client: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], caPem: [], now: () => Date.now() }),
    });
    p.run(() => p.client.isClosed && !!p.server?.isClosed);
    const closed = p.serverEvents.find((e) => e.type === 'closed') as { close: { code: number; initiator: string } } | undefined;
    expect(closed?.close.initiator).toBe('peer');
    expect(closed!.close.code).toBeGreaterThan(0x100);
    expect(closed!.close.code).toBeLessThan(0x200);
  });
});

describe('QuicConnection robustness', () => {
  it('fuzz: hostile datagrams never make receiveDatagram throw, during and after the handshake', async () => {
    const { mutate, seededRandom, randomBytesFrom } = await import('../fuzz.js');
    const random = seededRandom(5);
    // Record a real exchange to mutate.
    const recorded = new Pair();
    recorded.run(established(recorded));
    const toServer = recorded.datagramsToServer;
    const toClient = recorded.datagramsToClient;
    let closedByFuzz = 0;
    for (let round = 0; round < 40; round++) {
      const p = new Pair();
      if (round % 2 === 1) p.run(established(p));
      for (let i = 0; i < 50; i++) {
        const toS = i % 2 === 0;
        const pool = toS ? toServer : toClient;
        const input = i % 5 === 0 ? randomBytesFrom(random, 1300) : mutate(pool[Math.floor(random() * pool.length)]!, random);
        if (toS) {
          if (!p.server) continue;
          expect(() => p.server!.receiveDatagram(input, p.now)).not.toThrow();
        } else {
          expect(() => p.client.receiveDatagram(input, p.now)).not.toThrow();
        }
        expect(() => p.step()).not.toThrow();
      }
      if (p.client.isClosed || p.server?.isClosed) closedByFuzz++;
    }
    // Most mutations fail authentication and are dropped without closing anything.
    expect(closedByFuzz).toBeLessThan(40);
  });
});

describe('QuicConnection client: Retry and Version Negotiation', () => {
  const h = new PacketHeader();

  function clientWithScriptedTls(): QuicConnection {
    return new QuicConnection({ role: 'client', localCid: randomBytes(8), remoteCid: randomBytes(8), createTls: (b) => new ScriptedTls('client', b), now: 0 });
  }

  it('follows a Retry: new Initial keys and DCID, the token in every later Initial, authenticated retry_source_connection_id', () => {
    const client = clientWithScriptedTls();
    const first = client.sendDatagrams(0)[0]!;
    parsePacketHeader(first, 0, 8, h);
    const originalDcid = Buffer.from(h.dcid);
    const retryScid = randomBytes(8);
    const token = Buffer.from('retry-token');
    // A Retry with a bad tag (wrong original DCID) is ignored.
    client.receiveDatagram(buildRetryPacket({ version: QUIC_V1, dcid: client.localCid, scid: retryScid, token, originalDcid: randomBytes(8) }), 1);
    expect(client.sendDatagrams(1)).toEqual([]);
    client.receiveDatagram(buildRetryPacket({ version: QUIC_V1, dcid: client.localCid, scid: retryScid, token, originalDcid }), 1);
    const second = client.sendDatagrams(1)[0]!;
    parsePacketHeader(second, 0, 8, h);
    expect(h.type).toBe(PacketType.Initial);
    expect(h.dcid.equals(retryScid)).toBe(true);
    expect(h.token.equals(token)).toBe(true);
    // The server that issued the Retry takes it from here.
    const server = new QuicConnection({
      role: 'server',
      localCid: retryScid,
      remoteCid: Buffer.from(h.scid),
      originalDcid,
      retrySourceCid: retryScid,
      createTls: (b) => new ScriptedTls('server', b),
      now: 1,
    });
    server.receiveDatagram(second, 1);
    let now = 2;
    for (let i = 0; i < 30 && !(client.isHandshakeConfirmed && server.isHandshakeConfirmed); i++, now++) {
      for (const d of server.sendDatagrams(now)) client.receiveDatagram(d, now);
      for (const d of client.sendDatagrams(now)) server.receiveDatagram(d, now);
    }
    expect(client.isHandshakeConfirmed && server.isHandshakeConfirmed).toBe(true);
    expect(client.peerParameters!.retrySourceConnectionId!.equals(retryScid)).toBe(true);
    expect(client.peerParameters!.originalDestinationConnectionId!.equals(originalDcid)).toBe(true);
  });

  it('a server whose transport parameters do not match the Retry fails authentication (TRANSPORT_PARAMETER_ERROR)', () => {
    const client = clientWithScriptedTls();
    const first = client.sendDatagrams(0)[0]!;
    parsePacketHeader(first, 0, 8, h);
    const originalDcid = Buffer.from(h.dcid);
    const retryScid = randomBytes(8);
    client.receiveDatagram(buildRetryPacket({ version: QUIC_V1, dcid: client.localCid, scid: retryScid, token: Buffer.from('t'), originalDcid }), 1);
    const second = client.sendDatagrams(1)[0]!;
    parsePacketHeader(second, 0, 8, h);
    // This server keys its Initial packets right but claims the Retry's ID as the original DCID and omits retry_source_connection_id.
    const server = new QuicConnection({
      role: 'server',
      localCid: retryScid,
      remoteCid: Buffer.from(h.scid),
      originalDcid: retryScid,
      createTls: (b) => new ScriptedTls('server', b),
      now: 1,
    });
    server.receiveDatagram(second, 1);
    let now = 2;
    for (let i = 0; i < 30 && !client.isClosed; i++, now += 50) {
      for (const d of server.sendDatagrams(now)) client.receiveDatagram(d, now);
      for (const d of client.sendDatagrams(now)) server.receiveDatagram(d, now);
      client.handleTimeout(now + 10_000);
    }
    const events: ConnectionEvent[] = [];
    for (let e = client.pollEvent(); e; e = client.pollEvent()) events.push(e);
    expect(events.at(-1)).toMatchObject({ type: 'closed', close: { code: QuicErrorCode.TRANSPORT_PARAMETER_ERROR, initiator: 'local' } });
  });

  it('closes when Version Negotiation does not offer our version, ignores one that does', () => {
    const client = clientWithScriptedTls();
    const first = client.sendDatagrams(0)[0]!;
    parsePacketHeader(first, 0, 8, h);
    client.receiveDatagram(buildVersionNegotiation(Buffer.from(h.dcid), client.localCid, [QUIC_V1, 0x1a2a3a4a]), 1);
    expect(client.isClosed).toBe(false);
    client.receiveDatagram(buildVersionNegotiation(Buffer.from(h.dcid), client.localCid, [0x1a2a3a4a]), 1);
    expect(client.isClosed).toBe(true);
    expect(client.pollEvent()).toMatchObject({ type: 'closed', close: { initiator: 'peer', reason: expect.stringMatching(/no common QUIC version/) } });
  });
});
