/**
 * The secrets the TLS engine installs are what QUIC packet protection
 * (src/quic/packet) derives its keys from: a packet sealed with the keys of
 * one side's write secret opens with the other side's read secret, for each
 * suite and level.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { QUIC_V1 } from '../../../src/quic/initial/initial-keys.js';
import { PacketCipher } from '../../../src/quic/packet/packet-protection.js';
import type { TlsCipherSuiteName } from '../../../src/quic/tls13/quic-tls.js';
import { TestPki } from '../../support/pki.js';
import { certificateOf, runHandshake, type RecordingHost } from './handshake-harness.js';

let pki: TestPki;
beforeAll(() => {
  pki = new TestPki('Packet Keys CA');
}, 30_000);

function roundTrip(writer: RecordingHost, reader: RecordingHost, level: 'handshake' | 'application'): Buffer | undefined {
  const w = writer.secrets.get(`${level}:write`)!;
  const r = reader.secrets.get(`${level}:read`)!;
  const header = Buffer.from('41aabbccdd', 'hex');
  const payload = Buffer.from(`hello at the ${level} level`);
  const buf = Buffer.alloc(header.length + payload.length + 16);
  header.copy(buf);
  payload.copy(buf, header.length);
  const end = PacketCipher.fromSecret(w.suite, w.secret, QUIC_V1).seal(buf, 0, header.length, header.length + payload.length, 7);
  return PacketCipher.fromSecret(r.suite, r.secret, QUIC_V1).open(buf, 0, header.length, end, 7);
}

describe('TLS secrets feed QUIC packet protection', () => {
  it.each<TlsCipherSuiteName>(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])(
    '%s: both directions, handshake and 1-RTT',
    (suite) => {
      const leaf = pki.issue(`leaf-${suite}`, ['localhost']);
      const r = runHandshake(
        { alpn: ['h3'], selectCertificate: () => certificateOf(leaf), cipherSuites: [suite] },
        { serverName: 'localhost', alpn: ['h3'], insecure: true },
      );
      expect(r.client.handshakeComplete).toBe(true);
      for (const level of ['handshake', 'application'] as const) {
        expect(roundTrip(r.serverHost, r.clientHost, level)?.toString()).toBe(`hello at the ${level} level`);
        expect(roundTrip(r.clientHost, r.serverHost, level)?.toString()).toBe(`hello at the ${level} level`);
        // The other direction's keys do not open it.
        expect(roundTrip(r.serverHost, r.serverHost, level)).toBeUndefined();
      }
    },
  );
});
