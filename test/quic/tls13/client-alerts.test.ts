/** The client's alerts for a server that breaks the rules (messages built by hand, fed at the right level). */
import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../../src/quic/tls13/constants.js';
import { NamedGroup, generateKeyShare } from '../../../src/quic/tls13/key-exchange.js';
import { buildEncryptedExtensions, buildServerHello, handshakeMessage, parseClientHello, type ServerHello } from '../../../src/quic/tls13/messages.js';
import { createQuicTlsClient } from '../../../src/quic/tls13/client.js';
import { QuicTlsAlert, type QuicTlsEndpoint } from '../../../src/quic/tls13/quic-tls.js';
import { RecordingHost } from './handshake-harness.js';

function client(host = new RecordingHost(), groups = ['x25519', 'secp256r1']): QuicTlsEndpoint {
  return createQuicTlsClient({
    host,
    serverName: 'localhost',
    alpn: ['h3'],
    insecure: true,
    groups,
    localTransportParameters: Buffer.from('tp'),
    peerTransportParameters: () => {},
  });
}

function serverHello(over: Partial<ServerHello> = {}): Buffer {
  return buildServerHello({
    random: Buffer.alloc(32, 3),
    sessionIdEcho: Buffer.alloc(0),
    cipherSuite: 0x1301,
    helloRetryRequest: false,
    keyShare: { group: NamedGroup.x25519, key: generateKeyShare(NamedGroup.x25519).publicKey },
    ...over,
  });
}

function alertOf(f: () => void): number {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QuicTlsAlert);
    return (e as QuicTlsAlert).alert;
  }
  throw new Error('no alert');
}

describe('client alerts', () => {
  it('sends one ClientHello from createQuicTlsClient, offering what it was configured with', () => {
    const host = new RecordingHost();
    client(host);
    expect(host.outbox).toHaveLength(1);
    expect(host.outbox[0]!.level).toBe('initial');
    const ch = parseClientHello(host.outbox[0]!.data.subarray(4));
    expect(ch).toMatchObject({ serverName: 'localhost', alpn: ['h3'], supportedVersions: [0x0304], pskModes: [1], earlyData: false });
    expect(ch.keyShares!.map((s) => s.group)).toEqual([NamedGroup.x25519]);
    expect(ch.sessionId).toHaveLength(0);
  });

  it.each<[string, Partial<ServerHello>, number]>([
    ['a cipher suite we did not offer', { cipherSuite: 0x1304 }, 47],
    ['a key share for a group we did not share', { keyShare: { group: NamedGroup.secp256r1, key: generateKeyShare(NamedGroup.secp256r1).publicKey } }, 47],
    ['a PSK we did not offer', { selectedIdentity: 0 }, 47],
    ['TLS 1.2', { selectedVersion: 0x0303 }, 70],
    ['a session id we did not send', { sessionIdEcho: Buffer.alloc(32, 1) }, 47],
  ])('ServerHello with %s', (_name, over, alert) => {
    expect(alertOf(() => client().receive('initial', serverHello(over)))).toBe(alert);
  });

  it('HelloRetryRequest for the group already shared, or a second one', () => {
    const hrr = (group: number) => serverHello({ helloRetryRequest: true, keyShare: { group, key: Buffer.alloc(0) } });
    expect(alertOf(() => client().receive('initial', hrr(NamedGroup.x25519)))).toBe(47);
    const host = new RecordingHost();
    const c = client(host);
    c.receive('initial', hrr(NamedGroup.secp256r1));
    expect(host.outbox).toHaveLength(2);
    expect(parseClientHello(host.outbox[1]!.data.subarray(4)).keyShares!.map((s) => s.group)).toEqual([NamedGroup.secp256r1]);
    expect(alertOf(() => c.receive('initial', hrr(NamedGroup.secp256r1)))).toBe(10);
  });

  it('EncryptedExtensions without ALPN, with an ALPN we did not offer, without transport parameters', () => {
    const afterServerHello = () => {
      const c = client();
      c.receive('initial', serverHello());
      return c;
    };
    expect(
      alertOf(() =>
        afterServerHello().receive('handshake', buildEncryptedExtensions({ transportParameters: Buffer.from('tp'), earlyData: false, serverNameAck: false })),
      ),
    ).toBe(120);
    expect(
      alertOf(() =>
        afterServerHello().receive(
          'handshake',
          buildEncryptedExtensions({ alpn: 'h2', transportParameters: Buffer.from('tp'), earlyData: false, serverNameAck: false }),
        ),
      ),
    ).toBe(47);
    expect(alertOf(() => afterServerHello().receive('handshake', buildEncryptedExtensions({ alpn: 'h3', earlyData: false, serverNameAck: false })))).toBe(109);
    expect(
      alertOf(() =>
        afterServerHello().receive(
          'handshake',
          buildEncryptedExtensions({ alpn: 'h3', transportParameters: Buffer.from('tp'), earlyData: true, serverNameAck: false }),
        ),
      ),
    ).toBe(47);
  });

  it('a Finished before the certificate, and handshake bytes at the initial level after the ServerHello', () => {
    const c = client();
    c.receive('initial', serverHello());
    c.receive('handshake', buildEncryptedExtensions({ alpn: 'h3', transportParameters: Buffer.from('tp'), earlyData: false, serverNameAck: false }));
    expect(alertOf(() => c.receive('handshake', handshakeMessage(HandshakeType.finished, Buffer.alloc(32))))).toBe(10);
    const d = client();
    d.receive('initial', serverHello());
    expect(alertOf(() => d.receive('initial', handshakeMessage(HandshakeType.encryptedExtensions, Buffer.alloc(2))))).toBe(10);
  });
});
