/**
 * Our QUIC connection with our TLS 1.3 engine as the server, over a real UDP
 * socket on loopback, against a client we did not write: gtlsclient (ngtcp2 +
 * GnuTLS). No HTTP/3 layer sits on this connection yet (the transport
 * adapter is next), so the test proves the handshake — both sides complete
 * it with the suite and group asked for, the server confirms it and the
 * client receives HANDSHAKE_DONE — not an HTTP/3 exchange.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuicTlsServer } from '../../../src/quic/tls13/index.js';
import { gtlsclient } from '../../support/gtlsclient.js';
import { TestPki } from '../../support/pki.js';
import { UdpTestServer } from './udp-test-server.js';

let server: UdpTestServer;

beforeAll(async () => {
  const pki = new TestPki('QUIC gtlsclient test CA');
  const leaf = pki.issue('server', ['localhost']);
  const certificate = { chain: [new X509Certificate(leaf.certPem).raw], key: createPrivateKey(leaf.keyPem) };
  server = await UdpTestServer.listen((binding) =>
    createQuicTlsServer({ ...binding, alpn: ['h3'], selectCertificate: () => certificate, now: () => Date.now() }),
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('gtlsclient (ngtcp2) handshakes with our QUIC connection over UDP', () => {
  for (const [name, args, suite, group] of [
    ['default settings', [], 'TLS_AES_128_GCM_SHA256', 'x25519'],
    ['ChaCha20-Poly1305 only', ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'], 'TLS_CHACHA20_POLY1305_SHA256', 'x25519'],
    ['AES-256-GCM only', ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM'], 'TLS_AES_256_GCM_SHA384', 'x25519'],
    ['P-256 only', ['--groups=-GROUP-ALL:+GROUP-SECP256R1'], 'TLS_AES_128_GCM_SHA256', 'secp256r1'],
  ] as const) {
    it(`completes and confirms the handshake: ${name}`, async () => {
      const before = server.events.length;
      const r = await gtlsclient([...args, '127.0.0.1', String(server.port), `https://localhost:${server.port}/`], { idleTimeout: '2s', timeoutMs: 20_000 });
      const mine = server.events.slice(before).map((e) => e.event.type);
      expect(mine, r.out.slice(-3000)).toContain('handshakeComplete');
      expect(mine).toContain('handshakeConfirmed');
      const complete = server.events.slice(before).find((e) => e.event.type === 'handshakeComplete')!.event as {
        info: { cipherSuite: string; group: string; alpn: string };
      };
      expect(complete.info).toMatchObject({ cipherSuite: suite, group, alpn: 'h3' });
      // ngtcp2 logs each frame it receives; HANDSHAKE_DONE means it confirmed the handshake too.
      expect(r.out).toMatch(/HANDSHAKE_DONE/);
      expect(r.out).toMatch(/[Nn]egotiated cipher suite|cipher suite/);
    }, 30_000);
  }
});
