/**
 * Bounded fuzzing of receive(): mutated valid ClientHellos (and mutated server
 * flights for the client) fed in random chunks. Whatever the bytes, only
 * QuicTlsAlert may escape, and a failed endpoint stays failed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TestPki } from '../../support/pki.js';
import { createQuicTlsClient, createQuicTlsServer } from '../../../src/quic/tls13/index.js';
import { buildClientHello } from '../../../src/quic/tls13/messages.js';
import { QuicTlsAlert, type CryptoLevel, type QuicTlsEndpoint, type QuicTlsServerCertificate } from '../../../src/quic/tls13/quic-tls.js';
import { mutate, seededRandom } from '../fuzz.js';
import { certificateOf, RecordingHost, runHandshake } from './handshake-harness.js';
import { postQuantumClientHello, validClientHello } from './client-hello-fixtures.js';

/**
 * The shared mutate() of ../fuzz.ts, plus edits aimed at TLS vectors: 0x00/0xff
 * written over length fields and duplicated slices (repeated extensions).
 */
function mutateHandshake(input: Buffer, random: () => number): Buffer {
  let b: Buffer = Buffer.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * b.length);
    switch (Math.floor(random() * 3)) {
      case 0:
        b = mutate(b, random);
        break;
      case 1: // length-ish values: 0x00 / 0xff pairs
        b[at] = random() < 0.5 ? 0 : 0xff;
        if (at + 1 < b.length) b[at + 1] = random() < 0.5 ? 0 : 0xff;
        break;
      default: // duplicate a slice
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.max(0, at - 16), at), b.subarray(at)]);
    }
  }
  return b;
}

/** Feeds `data` in random chunks; returns the escaping error, if any. */
function feed(endpoint: QuicTlsEndpoint, level: CryptoLevel, data: Buffer, random: () => number): unknown {
  try {
    for (let i = 0; i < data.length;) {
      const n = 1 + Math.floor(random() * Math.min(600, data.length - i));
      endpoint.receive(level, data.subarray(i, i + n));
      i += n;
    }
  } catch (e) {
    return e;
  }
  return undefined;
}

let certificate: QuicTlsServerCertificate;
let caPem: string;
const ticketKeys = { current: randomBytes(32) };
beforeAll(() => {
  const pki = new TestPki('Fuzz CA');
  certificate = certificateOf(pki.issue('fuzz', ['localhost']));
  caPem = readFileSync(pki.caCert, 'utf8');
}, 30_000);

function newServer(host = new RecordingHost()): QuicTlsEndpoint {
  const clock = Date.now();
  return createQuicTlsServer({
    host,
    alpn: ['h3'],
    selectCertificate: (name) => (name === undefined || name === 'localhost' ? certificate : undefined),
    localTransportParameters: Buffer.from('tp'),
    peerTransportParameters: () => {},
    ticketKeys,
    earlyData: true,
    clientAuth: { required: false, caPem: [caPem] },
    now: () => clock,
  });
}

// Bounded in count; the time limit leaves room for a loaded 2-core CI machine.
describe('fuzzing receive() with mutated input', { timeout: 120_000 }, () => {
  it('server: 2000 mutated ClientHellos (plain, post-quantum, with a real PSK) raise only QuicTlsAlert', () => {
    // A real resumption ClientHello, so mutations reach ticket opening and binder checks.
    const sessions: Buffer[] = [];
    const first = runHandshake(
      { alpn: ['h3'], selectCertificate: () => certificate, ticketKeys, earlyData: true, now: () => Date.now() },
      { serverName: 'localhost', alpn: ['h3'], caPem: [caPem], now: () => Date.now(), onSessionTicket: (s) => sessions.push(s) },
    );
    expect(first.client.handshakeComplete).toBe(true);
    const resumption = runHandshake(
      { alpn: ['h3'], selectCertificate: () => certificate, ticketKeys, earlyData: true, now: () => Date.now() },
      { serverName: 'localhost', alpn: ['h3'], caPem: [caPem], now: () => Date.now(), session: sessions[0]!, earlyData: true },
    );
    expect(resumption.serverHost.info?.resumed).toBe(true);
    const seeds = [buildClientHello(validClientHello()), postQuantumClientHello(true), postQuantumClientHello(false), resumption.clientSent[0]!.data];

    const random = seededRandom(0x5eed);
    const counts = { alerts: 0, accepted: 0 };
    for (let i = 0; i < 2000; i++) {
      const input = mutateHandshake(seeds[i % seeds.length]!, random);
      const server = newServer();
      const error = feed(server, 'initial', input, random);
      if (error === undefined) {
        counts.accepted++;
        continue;
      }
      if (!(error instanceof QuicTlsAlert))
        throw new Error(`iteration ${i}: ${error instanceof Error ? error.message : JSON.stringify(error)} escaped for input ${input.toString('hex')}`);
      // internal_error is how the engine wraps an exception of its own: a parser bug, not a verdict on the input.
      if (error.alert === 80) throw new Error(`iteration ${i}: ${error.message} for input ${input.toString('hex')}`);
      counts.alerts++;
      // Failed for good: the same alert again, nothing else.
      expect(() => server.receive('initial', seeds[0]!)).toThrow(QuicTlsAlert);
    }
    expect(counts.alerts).toBeGreaterThan(700);
  });

  it('server: 500 random byte strings at every level raise only QuicTlsAlert', () => {
    const random = seededRandom(42);
    const levels: CryptoLevel[] = ['initial', 'handshake', 'application'];
    for (let i = 0; i < 500; i++) {
      const input = randomBytes(1 + Math.floor(random() * 300));
      if (random() < 0.5) input[0] = 1; // often a ClientHello type byte
      const error = feed(newServer(), levels[i % 3]!, input, random);
      if (error !== undefined && (!(error instanceof QuicTlsAlert) || error.alert === 80))
        throw new Error(`iteration ${i}: ${error instanceof Error ? error.message : JSON.stringify(error)} escaped`);
    }
  });

  it('client: 1000 mutated server flights raise only QuicTlsAlert', () => {
    const reference = runHandshake(
      { alpn: ['h3'], selectCertificate: () => certificate, ticketKeys, clientAuth: { required: false, caPem: [caPem] }, now: () => Date.now() },
      { serverName: 'localhost', alpn: ['h3'], caPem: [caPem], now: () => Date.now() },
    );
    expect(reference.client.handshakeComplete).toBe(true);
    const random = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      // A fresh client gets the real flights, one of them mutated (its ServerHello, handshake flight or ticket).
      const client = createQuicTlsClient({
        host: new RecordingHost(),
        serverName: 'localhost',
        alpn: ['h3'],
        insecure: true,
        localTransportParameters: Buffer.from('tp'),
        peerTransportParameters: () => {},
        now: () => Date.now(),
        onSessionTicket: () => {},
      });
      const target = i % reference.serverSent.length;
      let error: unknown;
      for (let m = 0; m < reference.serverSent.length && error === undefined; m++) {
        const { level, data } = reference.serverSent[m]!;
        error = feed(client, level, m === target ? mutateHandshake(data, random) : data, random);
      }
      if (error !== undefined && (!(error instanceof QuicTlsAlert) || error.alert === 80))
        throw new Error(`iteration ${i}: ${error instanceof Error ? error.message : JSON.stringify(error)} escaped`);
    }
  });
});
