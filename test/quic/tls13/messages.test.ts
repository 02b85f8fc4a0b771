import { createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HELLO_RETRY_REQUEST_RANDOM } from '../../../src/quic/tls13/constants.js';
import { HandshakeReader } from '../../../src/quic/tls13/handshake-reader.js';
import { NamedGroup, generateKeyShare } from '../../../src/quic/tls13/key-exchange.js';
import {
  buildCertificate,
  buildCertificateRequest,
  buildCertificateVerify,
  buildClientHello,
  buildEncryptedExtensions,
  buildNewSessionTicket,
  buildServerHello,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateVerify,
  parseClientHello,
  parseEncryptedExtensions,
  parseNewSessionTicket,
  parseServerHello,
} from '../../../src/quic/tls13/messages.js';
import { QuicTlsAlert, type QuicTlsEndpoint, type QuicTlsServerCertificate } from '../../../src/quic/tls13/quic-tls.js';
import { createQuicTlsServer } from '../../../src/quic/tls13/server.js';
import { RecordingHost } from './handshake-harness.js';
import { postQuantumClientHello, validClientHello } from './client-hello-fixtures.js';

const body = (m: Buffer) => m.subarray(4);

describe('handshake message round trips', () => {
  it('ClientHello: every field survives build → parse', () => {
    const ch = validClientHello({ cookie: Buffer.from('cookie'), earlyData: true, signatureAlgorithmsCert: [0x0403] });
    ch.preSharedKey = { identities: [{ identity: Buffer.from('ticket'), obfuscatedTicketAge: 0xdeadbeef }], binders: [Buffer.alloc(32, 7)], bindersLength: 0 };
    const parsed = parseClientHello(body(buildClientHello(ch)));
    expect(parsed.random).toEqual(ch.random);
    expect(parsed).toMatchObject({
      cipherSuites: ch.cipherSuites,
      serverName: 'localhost',
      alpn: ['h3'],
      supportedVersions: [0x0304],
      supportedGroups: ch.supportedGroups,
      signatureAlgorithms: ch.signatureAlgorithms,
      signatureAlgorithmsCert: [0x0403],
      pskModes: [1],
      earlyData: true,
    });
    expect(parsed.keyShares![0]!.key).toEqual(ch.keyShares![0]!.key);
    expect(parsed.transportParameters).toEqual(Buffer.from('client-tp'));
    expect(parsed.cookie).toEqual(Buffer.from('cookie'));
    expect(parsed.preSharedKey!.identities[0]).toEqual({ identity: Buffer.from('ticket'), obfuscatedTicketAge: 0xdeadbeef });
    expect(parsed.preSharedKey!.bindersLength).toBe(2 + 1 + 32);
  });

  it('ServerHello and HelloRetryRequest', () => {
    const sh = {
      random: Buffer.alloc(32, 1),
      sessionIdEcho: Buffer.alloc(0),
      cipherSuite: 0x1302,
      helloRetryRequest: false,
      keyShare: { group: 0x1d, key: Buffer.alloc(32, 2) },
      selectedIdentity: 0,
    };
    expect(parseServerHello(body(buildServerHello(sh)))).toMatchObject({ ...sh, selectedVersion: 0x0304 });
    const hrr = parseServerHello(
      body(buildServerHello({ ...sh, helloRetryRequest: true, keyShare: { group: 0x17, key: Buffer.alloc(0) }, selectedIdentity: undefined as never })),
    );
    expect(hrr.helloRetryRequest).toBe(true);
    expect(hrr.random).toEqual(HELLO_RETRY_REQUEST_RANDOM);
    expect(hrr.keyShare!.group).toBe(0x17);
  });

  it('EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, NewSessionTicket', () => {
    const ee = { alpn: 'h3', transportParameters: Buffer.from('tp'), earlyData: true, serverNameAck: true };
    expect(parseEncryptedExtensions(body(buildEncryptedExtensions(ee)))).toEqual(ee);
    const cr = { context: Buffer.alloc(0), signatureAlgorithms: [0x0403, 0x0807] };
    expect(parseCertificateRequest(body(buildCertificateRequest(cr)))).toEqual(cr);
    const cert = { context: Buffer.alloc(0), certificates: [Buffer.from('a'), Buffer.from('bb')] };
    expect(parseCertificate(body(buildCertificate(cert)))).toEqual(cert);
    const cv = { scheme: 0x0804, signature: Buffer.alloc(256, 9) };
    expect(parseCertificateVerify(body(buildCertificateVerify(cv)))).toEqual(cv);
    const nst = { lifetime: 604800, ageAdd: 0x01020304, nonce: Buffer.of(0), ticket: Buffer.from('opaque'), maxEarlyData: 0xffffffff };
    expect(parseNewSessionTicket(body(buildNewSessionTicket(nst)))).toEqual(nst);
  });
});

describe('HandshakeReader', () => {
  it('reassembles messages split anywhere and cut several from one chunk', () => {
    const a = buildEncryptedExtensions({ alpn: 'h3', earlyData: false, serverNameAck: false });
    const b = buildCertificateVerify({ scheme: 0x0403, signature: Buffer.alloc(70, 1) });
    const all = Buffer.concat([a, b, a]);
    for (const step of [1, 2, 3, 5, 7, all.length]) {
      const got: Buffer[] = [];
      const r = new HandshakeReader();
      for (let i = 0; i < all.length; i += step) r.feed(all.subarray(i, i + step), (m) => got.push(m));
      expect(got).toEqual([a, b, a]);
      expect(r.partial).toBe(false);
    }
  });

  it('refuses a message announced above the cap from its header alone', () => {
    const r = new HandshakeReader(64 * 1024);
    expect(() => r.feed(Buffer.from('01010001', 'hex'), () => {})).toThrow(expect.objectContaining({ alert: 47 }));
  });
});

let certificate: QuicTlsServerCertificate;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'qtls-msg-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'pipe' },
  );
  certificate = { chain: [new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw], key: createPrivateKey(readFileSync(join(dir, 'k.pem'))) };
});

function server(host = new RecordingHost()): QuicTlsEndpoint {
  return createQuicTlsServer({
    host,
    alpn: ['h3'],
    selectCertificate: () => certificate,
    localTransportParameters: Buffer.from('server-tp'),
    peerTransportParameters: () => {},
  });
}

function alertFor(level: 'initial' | 'handshake' | 'application', data: Buffer): number {
  try {
    server().receive(level, data);
  } catch (e) {
    expect(e).toBeInstanceOf(QuicTlsAlert);
    return (e as QuicTlsAlert).alert;
  }
  throw new Error('no alert');
}

/** Rewrites the uint24 message length after editing a body. */
function reframe(message: Buffer): Buffer {
  message.writeUIntBE(message.length - 4, 1, 3);
  return message;
}

describe('server alerts for malformed or unacceptable ClientHellos', () => {
  const ch = (over: Parameters<typeof validClientHello>[0] = {}) => buildClientHello(validClientHello(over));

  it('accepts the valid fixture (the cases below each break one thing)', () => {
    const host = new RecordingHost();
    server(host).receive('initial', ch());
    expect(host.outbox.map((m) => m.level)).toEqual(['initial', 'handshake']);
  });

  it.each<[string, () => Buffer, 'initial' | 'handshake' | 'application', number]>([
    ['a body shorter than its inner lengths (decode_error)', () => reframe(ch().subarray(0, 60)), 'initial', 50],
    ['trailing bytes after the extensions (decode_error)', () => reframe(Buffer.concat([ch(), Buffer.of(0)])), 'initial', 50],
    ['no quic_transport_parameters (missing_extension)', () => ch({ transportParameters: undefined as never }), 'initial', 109],
    ['no key_share (missing_extension)', () => ch({ keyShares: undefined as never }), 'initial', 109],
    ['no signature_algorithms (missing_extension)', () => ch({ signatureAlgorithms: undefined as never }), 'initial', 109],
    ['no TLS 1.3 in supported_versions (protocol_version)', () => ch({ supportedVersions: [0x0303] }), 'initial', 70],
    ['no ALPN (no_application_protocol)', () => ch({ alpn: undefined as never }), 'initial', 120],
    ['a non-empty legacy_session_id (illegal_parameter)', () => ch({ sessionId: Buffer.alloc(32, 1) }), 'initial', 47],
    ['an invalid P-256 point (illegal_parameter)', () => ch({ keyShares: [{ group: NamedGroup.secp256r1, key: Buffer.alloc(65, 4) }] }), 'initial', 47],
    ['an X25519 low-order point (illegal_parameter)', () => ch({ keyShares: [{ group: NamedGroup.x25519, key: Buffer.alloc(32) }] }), 'initial', 47],
    [
      'a key share for a group not in supported_groups (illegal_parameter)',
      () => ch({ supportedGroups: [NamedGroup.secp256r1], keyShares: [{ group: NamedGroup.x25519, key: generateKeyShare(NamedGroup.x25519).publicKey }] }),
      'initial',
      47,
    ],
    ['no cipher suite in common (handshake_failure)', () => ch({ cipherSuites: [0xc02f] }), 'initial', 40],
    ['a message above 64 KiB (illegal_parameter)', () => Buffer.from('01010001', 'hex'), 'initial', 47],
    ['a Finished where the ClientHello belongs (unexpected_message)', () => Buffer.from('1400000100', 'hex'), 'initial', 10],
    ['a message at the handshake level first (unexpected_message)', () => ch(), 'handshake', 10],
    ['a KeyUpdate (unexpected_message)', () => Buffer.from('1800000100', 'hex'), 'initial', 10],
  ])('%s', (_name, make, level, alert) => {
    expect(alertFor(level, make())).toBe(alert);
  });

  it('refuses a duplicated extension and a pre_shared_key that is not last (illegal_parameter)', () => {
    const dup = buildClientHello(validClientHello(), [{ type: 0x39, data: Buffer.from('again') }]);
    expect(alertFor('initial', dup)).toBe(47);
    const withPsk = validClientHello();
    withPsk.preSharedKey = { identities: [{ identity: Buffer.from('t'), obfuscatedTicketAge: 0 }], binders: [Buffer.alloc(32)], bindersLength: 0 };
    const m = buildClientHello(withPsk);
    // Append an extension after pre_shared_key: grow the extensions block and the message.
    const extra = Buffer.from('ffaa0000', 'hex');
    const patched = Buffer.concat([m, extra]);
    const extStart = 4 + 2 + 32 + 1 + 2 + 6 + 2;
    patched.writeUInt16BE(patched.readUInt16BE(extStart) + extra.length, extStart);
    expect(alertFor('initial', reframe(patched))).toBe(47);
  });

  it('refuses compression methods other than [null] (illegal_parameter)', () => {
    const m = ch();
    const at = 4 + 2 + 32 + 1 + 2 + 6; // after the three cipher suites
    expect(m[at]).toBe(1);
    m[at + 1] = 1;
    expect(alertFor('initial', m)).toBe(47);
  });

  it("lets the host's own exception through (peerTransportParameters refusing is QUIC's TRANSPORT_PARAMETER_ERROR)", () => {
    const refusal = new RangeError('bad transport parameters');
    const s = createQuicTlsServer({
      host: new RecordingHost(),
      alpn: ['h3'],
      selectCertificate: () => certificate,
      localTransportParameters: Buffer.from('server-tp'),
      peerTransportParameters: () => {
        throw refusal;
      },
    });
    expect(() => s.receive('initial', ch())).toThrow(refusal);
    expect(() => s.receive('initial', ch())).toThrow(QuicTlsAlert);
  });

  it('stays failed after an alert', () => {
    const s = server();
    expect(() => s.receive('initial', ch({ alpn: ['nope'] }))).toThrow(QuicTlsAlert);
    expect(() => s.receive('initial', ch())).toThrow(expect.objectContaining({ alert: 120 }));
  });
});

describe('post-quantum ClientHellos (X25519MLKEM768 is not in Node 20/24 crypto)', () => {
  it('picks the X25519 share next to the ML-KEM one, no retry, even fed in two parts as two Initial packets carry it', () => {
    const host = new RecordingHost();
    const s = server(host);
    const m = postQuantumClientHello(true);
    expect(m.length).toBeGreaterThan(1250); // more than the CRYPTO data one 1200-byte Initial can carry
    s.receive('initial', m.subarray(0, 1000));
    expect(host.outbox).toHaveLength(0);
    s.receive('initial', m.subarray(1000));
    const sh = parseServerHello(body(host.outbox[0]!.data));
    expect(sh.helloRetryRequest).toBe(false);
    expect(sh.keyShare!.group).toBe(NamedGroup.x25519);
  });

  it('asks for X25519 with a HelloRetryRequest when the ML-KEM share is the only one', () => {
    const host = new RecordingHost();
    server(host).receive('initial', postQuantumClientHello(false));
    expect(host.outbox).toHaveLength(1);
    const hrr = parseServerHello(body(host.outbox[0]!.data));
    expect(hrr.helloRetryRequest).toBe(true);
    expect(hrr.keyShare!.group).toBe(NamedGroup.x25519);
  });
});
