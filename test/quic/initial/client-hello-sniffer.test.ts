import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientHelloSniffer, readLongHeaderDcid, type SniffResult } from '../../../src/quic/initial/client-hello-sniffer.js';
import { deriveInitialKeys, QUIC_V1, QUIC_V2 } from '../../../src/quic/initial/initial-keys.js';
import { parseLongHeader, unprotectInitialPacket } from '../../../src/quic/initial/initial-packet.js';
import { buildClientHello, buildInitialPacket, cryptoFrame } from './initial-packet-builder.js';
import { RFC9001_CLIENT_FRAMES, RFC9001_CLIENT_INITIAL, RFC9001_DCID, RFC9001_KEYS } from './rfc9001-vectors.js';

describe('RFC 9001 Appendix A', () => {
  it('derives the initial secrets and keys', () => {
    const k = deriveInitialKeys(RFC9001_DCID, QUIC_V1);
    expect(k.initialSecret.toString('hex')).toBe(RFC9001_KEYS.initialSecret);
    expect(k.client.key.toString('hex')).toBe(RFC9001_KEYS.clientKey);
    expect(k.client.iv.toString('hex')).toBe(RFC9001_KEYS.clientIv);
    expect(k.client.hp.toString('hex')).toBe(RFC9001_KEYS.clientHp);
    expect(k.server.key.toString('hex')).toBe(RFC9001_KEYS.serverKey);
    expect(k.server.iv.toString('hex')).toBe(RFC9001_KEYS.serverIv);
    expect(k.server.hp.toString('hex')).toBe(RFC9001_KEYS.serverHp);
  });

  it('derives the RFC 9369 (QUIC v2) Appendix A.1 keys', () => {
    const k = deriveInitialKeys(RFC9001_DCID, QUIC_V2);
    expect(k.initialSecret.toString('hex')).toBe('2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba');
    expect(k.clientSecret.toString('hex')).toBe('14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b');
    expect(k.client.key.toString('hex')).toBe('8b1a0bc121284290a29e0971b5cd045d');
    expect(k.client.iv.toString('hex')).toBe('91f73e2351d8fa91660e909f');
    expect(k.client.hp.toString('hex')).toBe('45b95e15235d6f45a6b19cbcb0294ba9');
    expect(k.server.key.toString('hex')).toBe('82db637861d55e1d011f19ea71d5d2a7');
    expect(k.server.iv.toString('hex')).toBe('dd13c276499c0249d3310652');
    expect(k.server.hp.toString('hex')).toBe('edf6d05c83121201b436e16877593c3a');
  });

  it('removes header protection and decrypts the client Initial', () => {
    const parsed = parseLongHeader(RFC9001_CLIENT_INITIAL, 0);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.header.dcid).toEqual(RFC9001_DCID);
    expect(parsed.header.end).toBe(1200);
    const plain = unprotectInitialPacket(RFC9001_CLIENT_INITIAL, parsed.header, deriveInitialKeys(RFC9001_DCID, QUIC_V1).client, 0);
    if (!plain.ok) throw new Error(plain.reason);
    expect(plain.packetNumber).toBe(2);
    expect(plain.payload.subarray(0, RFC9001_CLIENT_FRAMES.length)).toEqual(RFC9001_CLIENT_FRAMES);
    expect(plain.payload.subarray(RFC9001_CLIENT_FRAMES.length).every((b) => b === 0)).toBe(true);
    // The builder the other tests use reproduces the RFC's protected packet bit for bit.
    const rebuilt = buildInitialPacket({ dcid: RFC9001_DCID, scid: Buffer.alloc(0), packetNumber: 2, frames: RFC9001_CLIENT_FRAMES, padTo: 1200 });
    expect(rebuilt).toEqual(RFC9001_CLIENT_INITIAL);
  });

  it('sniffs SNI example.com and ALPN from the client Initial', () => {
    const r = new ClientHelloSniffer().feed(RFC9001_CLIENT_INITIAL);
    expect(r).toEqual({ status: 'done', serverName: 'example.com', alpn: ['alpn'], version: QUIC_V1 });
  });

  it('reads the DCID to key the buffer table', () => {
    expect(readLongHeaderDcid(RFC9001_CLIENT_INITIAL)).toEqual(RFC9001_DCID);
    expect(readLongHeaderDcid(Buffer.from([0x40, 1, 2, 3]))).toBeUndefined();
    expect(readLongHeaderDcid(Buffer.from([0xc0, 0, 0, 0, 1, 21, 0]))).toBeUndefined();
  });
});

describe('ClientHelloSniffer', () => {
  const dcid = Buffer.from('0011223344556677', 'hex');

  function splitHello(version = QUIC_V1): Buffer[] {
    const hello = buildClientHello({ serverName: 'Api.Example.ORG', alpn: ['h3', 'h3-29'], fillerBytes: 1500 });
    const cut = 1000;
    return [
      buildInitialPacket({ dcid, version, packetNumber: 0, frames: cryptoFrame(0, hello.subarray(0, cut)), padTo: 1200 }),
      buildInitialPacket({ dcid, version, packetNumber: 1, frames: cryptoFrame(cut, hello.subarray(cut)), padTo: 1200 }),
    ];
  }

  it('reassembles a ClientHello split over two datagrams delivered in reverse order', () => {
    const [a, b] = splitHello();
    const s = new ClientHelloSniffer();
    expect(s.feed(b!)).toEqual({ status: 'need-more' });
    expect(s.feed(a!)).toEqual({ status: 'done', serverName: 'api.example.org', alpn: ['h3', 'h3-29'], version: QUIC_V1 });
    // The verdict is final.
    expect(s.feed(a!).status).toBe('done');
  });

  it('handles QUIC v2 (RFC 9369) and two packets coalesced in one datagram', () => {
    const [a, b] = splitHello(QUIC_V2);
    const s = new ClientHelloSniffer();
    expect(s.feed(Buffer.concat([b!, a!]))).toMatchObject({ status: 'done', serverName: 'api.example.org', version: QUIC_V2 });
  });

  it('accepts out-of-order CRYPTO frames inside one packet and ACK/PING frames', () => {
    const hello = buildClientHello({ serverName: 'x.test', alpn: ['h3'] });
    const frames = Buffer.concat([
      Buffer.of(0x01), // PING
      Buffer.of(0x02, 0x00, 0x00, 0x00, 0x00), // ACK largest 0, delay 0, 0 ranges, first range 0
      cryptoFrame(20, hello.subarray(20)),
      cryptoFrame(0, hello.subarray(0, 25)),
    ]);
    const r = new ClientHelloSniffer().feed(buildInitialPacket({ dcid, packetNumber: 0, frames, padTo: 1200 }));
    expect(r).toEqual({ status: 'done', serverName: 'x.test', alpn: ['h3'], version: QUIC_V1 });
  });

  it('reports a ClientHello without SNI', () => {
    const hello = buildClientHello({ alpn: ['h3'] });
    const r = new ClientHelloSniffer().feed(buildInitialPacket({ dcid, packetNumber: 0, frames: cryptoFrame(0, hello), padTo: 1200 }));
    expect(r).toEqual({ status: 'done', alpn: ['h3'], version: QUIC_V1 });
  });

  it('rejects short datagrams, corrupted packets, unknown versions and bad frames', () => {
    const good = RFC9001_CLIENT_INITIAL;
    const cases: [string, Buffer][] = [
      ['short', good.subarray(0, 1199)],
      ['flipped byte', Buffer.from(good).fill(0x55, 600, 601)],
      ['unknown version', Buffer.concat([Buffer.of(0xc0, 0xff, 0, 0, 0x1d), good.subarray(5)])],
      ['short header', Buffer.concat([Buffer.of(0x40), good.subarray(1)])],
      ['stream frame', buildInitialPacket({ dcid, packetNumber: 0, frames: Buffer.of(0x08, 0, 0), padTo: 1200 })],
      ['close', buildInitialPacket({ dcid, packetNumber: 0, frames: Buffer.of(0x1c, 0, 0, 0), padTo: 1200 })],
      ['truncated crypto', buildInitialPacket({ dcid, packetNumber: 0, frames: Buffer.of(0x06, 0, 0x44, 0), padTo: 1200 })],
      ['crypto past limit', buildInitialPacket({ dcid, packetNumber: 0, frames: cryptoFrame(20000, Buffer.of(1)), padTo: 1200 })],
      ['not a client hello', buildInitialPacket({ dcid, packetNumber: 0, frames: cryptoFrame(0, Buffer.of(2, 0, 0, 0)), padTo: 1200 })],
      ['huge hello', buildInitialPacket({ dcid, packetNumber: 0, frames: cryptoFrame(0, Buffer.of(1, 1, 0, 0)), padTo: 1200 })],
    ];
    for (const [name, datagram] of cases) {
      const r = new ClientHelloSniffer().feed(datagram);
      expect(r.status, name).toBe('invalid');
    }
  });

  it('keeps earlier progress when a forged datagram arrives for the same DCID', () => {
    const [a, b] = splitHello();
    const s = new ClientHelloSniffer();
    expect(s.feed(a!).status).toBe('need-more');
    const forged = Buffer.from(b!);
    forged[forged.length - 1] ^= 1;
    expect(s.feed(forged).status).toBe('invalid');
    expect(s.feed(b!).status).toBe('done');
  });

  it('never throws on random or mutated input', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000;
    const s = new ClientHelloSniffer();
    for (let i = 0; i < 2000; i++) {
      const d = Buffer.from(RFC9001_CLIENT_INITIAL);
      const flips = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < flips; j++) d[Math.floor(rand() * 60)] = Math.floor(rand() * 256);
      const len = rand() < 0.3 ? Math.floor(rand() * 1300) : 1200;
      const r: SniffResult = new ClientHelloSniffer().feed(i % 2 ? d.subarray(0, len) : Buffer.alloc(len, i));
      expect(['invalid', 'need-more', 'done']).toContain(r.status);
      s.feed(d);
    }
  });
});

describe.skipIf(!existsSync('/usr/bin/gtlsclient'))('with a real QUIC client (ngtcp2 gtlsclient)', () => {
  async function captureInitials(args: string[]): Promise<Buffer[]> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const port = sock.address().port;
    const datagrams: Buffer[] = [];
    const child = spawn('gtlsclient', ['-q', '--timeout=2s', '--handshake-timeout=2s', ...args, '127.0.0.1', String(port)], {
      stdio: 'ignore',
    });
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        sock.on('message', (msg) => {
          datagrams.push(msg);
          // ngtcp2 sends its whole first flight at once; give a coalesced second datagram a moment.
          if (datagrams.length === 1) setTimeout(() => (clearTimeout(timer), resolve()), 200);
        });
      });
    } finally {
      child.kill('SIGKILL');
      sock.close();
    }
    return datagrams;
  }

  // ngtcp2 0.12 (Debian 12) speaks only a draft of QUIC v2, so v2 is covered by the RFC 9369 key vectors instead.
  it('sniffs SNI and ALPN from a gtlsclient v1 first flight', async () => {
    const extra: string[] = [];
    const version = QUIC_V1;
    // ngtcp2 0.12's client sends SNI "localhost" when given a numeric address (and ignores --sni then).
    const datagrams = await captureInitials(extra);
    expect(datagrams.length).toBeGreaterThan(0);
    const s = new ClientHelloSniffer();
    let r: SniffResult = { status: 'need-more' };
    for (const d of datagrams) {
      if (r.status === 'done') break;
      r = s.feed(d);
    }
    expect(r).toMatchObject({ status: 'done', serverName: 'localhost', version });
    if (r.status === 'done') expect(r.alpn).toContain('h3');
  });
});
