/**
 * What the server and client engines share: per-level message framing, the
 * expected level of each state, host calls (whose own exceptions pass through
 * untouched: a throw from peerTransportParameters is QUIC's
 * TRANSPORT_PARAMETER_ERROR), key logging, and failing for good after the
 * first alert.
 */
import type { X509Certificate } from 'node:crypto';
import { parseCertificates, verifyCertificateChain } from './certificate-chain.js';
import { Alert, HandshakeType } from './constants.js';
import { HandshakeReader } from './handshake-reader.js';
import { equalSecrets, finishedVerifyData, type CipherSuite } from './key-schedule.js';
import { parseCertificateVerify } from './messages.js';
import { verifyCertificateVerify } from './signature.js';
import { Transcript } from './transcript.js';
import { QuicTlsAlert, type CryptoLevel, type KeyLevel, type QuicTlsCommonOptions, type QuicTlsHandshakeInfo, type QuicTlsHost } from './quic-tls.js';

export type KeylogLabel =
  'CLIENT_EARLY_TRAFFIC_SECRET' | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' | 'SERVER_HANDSHAKE_TRAFFIC_SECRET' | 'CLIENT_TRAFFIC_SECRET_0' | 'SERVER_TRAFFIC_SECRET_0';

/** Marks an exception thrown by the host so receive() rethrows it as is. */
class HostFailure {
  constructor(readonly error: unknown) {}
}

export abstract class QuicTlsEndpointBase {
  private readonly readers: Record<CryptoLevel, HandshakeReader> = {
    initial: new HandshakeReader(),
    handshake: new HandshakeReader(),
    application: new HandshakeReader(),
  };
  private failure: QuicTlsAlert | undefined;
  private complete = false;
  protected clientRandom: Buffer = Buffer.alloc(32);
  protected readonly transcript = new Transcript();

  constructor(protected readonly options: QuicTlsCommonOptions) {}

  get handshakeComplete(): boolean {
    return this.complete;
  }

  /** The level the next message must arrive at, or undefined when none is expected at any. */
  protected abstract expectedLevel(): CryptoLevel | undefined;

  /** Handles one whole message (header included). */
  protected abstract onMessage(type: number, message: Buffer): void;

  receive(level: CryptoLevel, data: Buffer): void {
    if (this.failure) throw this.failure;
    if (data.length === 0) return;
    try {
      this.readers[level].feed(data, (message) => {
        const expected = this.expectedLevel();
        if (message[0] === HandshakeType.keyUpdate) throw new QuicTlsAlert(Alert.unexpectedMessage, 'KeyUpdate is forbidden in QUIC (RFC 9001 §6)');
        if (message[0] === HandshakeType.endOfEarlyData) throw new QuicTlsAlert(Alert.unexpectedMessage, 'EndOfEarlyData is forbidden in QUIC (RFC 9001 §8.3)');
        if (level !== expected)
          throw new QuicTlsAlert(Alert.unexpectedMessage, `handshake message type ${message[0]} at the ${level} level (expected ${expected ?? 'none'})`);
        this.onMessage(message[0]!, message);
      });
      // Bytes of a level we have left behind can never complete a message.
      for (const l of ['initial', 'handshake'] as const) {
        if (l !== this.expectedLevel() && this.readers[l].partial && this.levelDone(l)) {
          throw new QuicTlsAlert(Alert.unexpectedMessage, `partial handshake message left at the ${l} level`);
        }
      }
    } catch (e) {
      if (e instanceof HostFailure) {
        this.failure = new QuicTlsAlert(Alert.internalError, 'host callback failed');
        throw e.error;
      }
      this.failure = e instanceof QuicTlsAlert ? e : new QuicTlsAlert(Alert.internalError, `TLS engine error: ${(e as Error)?.message ?? String(e)}`);
      throw this.failure;
    }
  }

  /** Whether no more messages can legitimately arrive at `level`. */
  protected abstract levelDone(level: CryptoLevel): boolean;

  /** Runs a host callback; its exception leaves receive() unchanged. */
  protected callHost<T>(f: (host: QuicTlsHost) => T): T {
    try {
      return f(this.options.host);
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a marker, not an error: receive() unwraps it and rethrows the host's own exception untouched
      throw new HostFailure(e);
    }
  }

  protected send(level: CryptoLevel, data: Buffer): void {
    this.callHost((h) => h.sendCrypto(level, data));
  }

  protected install(level: KeyLevel, direction: 'read' | 'write', suite: CipherSuite, secret: Buffer, label: KeylogLabel): void {
    this.callHost((h) => {
      h.keylog?.(`${label} ${this.clientRandom.toString('hex')} ${secret.toString('hex')}`);
      h.installSecret(level, direction, suite.name, secret);
    });
  }

  protected peerTransportParameters(encoded: Buffer): void {
    this.callHost(() => this.options.peerTransportParameters(encoded));
  }

  protected finish(info: QuicTlsHandshakeInfo): void {
    this.complete = true;
    this.callHost((h) => h.handshakeComplete(info));
  }

  protected now(): number | undefined {
    return this.options.now ? this.callHost(() => this.options.now!()) : undefined;
  }

  /** Parses the peer's chain and, with `cas`, verifies it (validity only when the clock is known). */
  protected peerChain(ders: Buffer[], cas: X509Certificate[] | undefined, hostName?: string): X509Certificate[] {
    const chain = parseCertificates(ders);
    if (cas) {
      const nowMs = this.now();
      verifyCertificateChain(chain, cas, { ...(nowMs !== undefined ? { nowMs } : {}), ...(hostName !== undefined ? { hostName } : {}) });
    }
    return chain;
  }

  /** Checks the peer's CertificateVerify against its leaf and adds it to the transcript. */
  protected peerCertificateVerify(peer: 'server' | 'client', message: Buffer, leaf: X509Certificate): void {
    const cv = parseCertificateVerify(message.subarray(4));
    verifyCertificateVerify(peer, cv.scheme, leaf.publicKey, this.transcript.digest(), cv.signature);
    this.transcript.add(message);
  }

  /** Checks the peer's Finished (decrypt_error when wrong) and adds it to the transcript. */
  protected peerFinished(peer: 'server' | 'client', suite: CipherSuite, handshakeSecret: Buffer, message: Buffer): void {
    const expected = finishedVerifyData(suite, handshakeSecret, this.transcript.digest());
    if (!equalSecrets(expected, message.subarray(4))) throw new QuicTlsAlert(Alert.decryptError, `${peer} Finished does not verify`);
    this.transcript.add(message);
  }

  /** Runs construction-time work (the client's first flight) with the same error handling as receive(). */
  protected guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof HostFailure) throw e.error;
      throw e;
    }
  }
}
