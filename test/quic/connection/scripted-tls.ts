/**
 * A stand-in for the TLS 1.3 engine that follows RFC 9001 §4.1's message
 * and key order (ClientHello in Initial; ServerHello in Initial, then
 * EncryptedExtensions/Certificate/Finished in Handshake; client Finished in
 * Handshake) with length-prefixed fake messages and secrets hashed from both
 * sides' randoms. It is NOT TLS — no authentication — and exists only so the
 * connection's packet, key and recovery machinery can be tested before
 * src/quic/tls13 lands in main. It carries the transport parameters like the
 * real extension does, so their checks run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TlsBinding } from '../../../src/quic/connection/quic-connection.js';
import { QuicTlsAlert, type CryptoLevel, type QuicTlsEndpoint, type TlsCipherSuiteName } from '../../../src/quic/tls13/quic-tls.js';

const CH = 1;
const SH = 2;
const EE = 8;
const CERT = 11;
const FIN = 20;

function message(type: number, body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out[0] = type;
  out.writeUIntBE(body.length, 1, 3);
  body.copy(out, 4);
  return out;
}

export class ScriptedTls implements QuicTlsEndpoint {
  handshakeComplete = false;
  private readonly pending: Record<CryptoLevel, Buffer> = { initial: Buffer.alloc(0), handshake: Buffer.alloc(0), application: Buffer.alloc(0) };
  private readonly random = randomBytes(32);
  private peerRandom = Buffer.alloc(0);

  constructor(
    private readonly role: 'client' | 'server',
    private readonly binding: TlsBinding,
    private readonly suite: TlsCipherSuiteName = 'TLS_AES_128_GCM_SHA256',
    /** Bytes of fake certificate the server sends (makes the server flight span several packets). */
    private readonly certificateBytes = 3000,
  ) {
    if (role === 'client') {
      binding.host.sendCrypto('initial', message(CH, Buffer.concat([this.random, binding.localTransportParameters])));
    }
  }

  private secret(label: string): Buffer {
    const [c, s] = this.role === 'client' ? [this.random, this.peerRandom] : [this.peerRandom, this.random];
    return createHash(this.suite === 'TLS_AES_256_GCM_SHA384' ? 'sha384' : 'sha256')
      .update(label)
      .update(c)
      .update(s)
      .digest();
  }

  private install(level: 'handshake' | 'application'): void {
    const host = this.binding.host;
    const [mine, theirs] = this.role === 'client' ? ['c', 's'] : ['s', 'c'];
    host.installSecret(level, 'write', this.suite, this.secret(`${mine} ${level}`));
    host.installSecret(level, 'read', this.suite, this.secret(`${theirs} ${level}`));
  }

  receive(level: CryptoLevel, data: Buffer): void {
    let buf = Buffer.concat([this.pending[level], data]);
    while (buf.length >= 4) {
      const length = buf.readUIntBE(1, 3);
      if (buf.length < 4 + length) break;
      this.onMessage(level, buf[0]!, buf.subarray(4, 4 + length));
      buf = buf.subarray(4 + length);
    }
    this.pending[level] = Buffer.from(buf);
  }

  private onMessage(level: CryptoLevel, type: number, body: Buffer): void {
    const host = this.binding.host;
    const info = { alpn: 'h3', serverName: 'test', cipherSuite: this.suite, group: 'x25519', resumed: false, earlyDataAccepted: false, peerCertificates: [] };
    if (this.role === 'server' && level === 'initial' && type === CH) {
      this.peerRandom = Buffer.from(body.subarray(0, 32));
      this.binding.peerTransportParameters(Buffer.from(body.subarray(32)));
      host.sendCrypto('initial', message(SH, this.random));
      this.install('handshake');
      host.sendCrypto(
        'handshake',
        Buffer.concat([
          message(EE, this.binding.localTransportParameters),
          message(CERT, Buffer.alloc(this.certificateBytes, 0xce)),
          message(FIN, Buffer.alloc(32)),
        ]),
      );
      this.install('application');
    } else if (this.role === 'client' && level === 'initial' && type === SH) {
      this.peerRandom = Buffer.from(body);
      this.install('handshake');
    } else if (this.role === 'client' && level === 'handshake' && type === EE) {
      this.binding.peerTransportParameters(Buffer.from(body));
    } else if (this.role === 'client' && level === 'handshake' && type === CERT) {
      // nothing to verify in a stand-in
    } else if (this.role === 'client' && level === 'handshake' && type === FIN) {
      this.install('application');
      host.sendCrypto('handshake', message(FIN, Buffer.alloc(32)));
      this.handshakeComplete = true;
      host.handshakeComplete(info);
    } else if (this.role === 'server' && level === 'handshake' && type === FIN) {
      this.handshakeComplete = true;
      host.handshakeComplete(info);
    } else {
      throw new QuicTlsAlert(10, `unexpected message ${type} at ${level}`);
    }
  }
}
