/**
 * Runs our TLS server and client against each other in memory over the
 * QuicTlsEndpoint contract: what one side sends at a level is received by the
 * other at that level, until both are quiet or one raises an alert.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { IssuedCert } from '../../support/pki.js';
import { createQuicTlsClient, createQuicTlsServer } from '../../../src/quic/tls13/index.js';
import type {
  CryptoLevel,
  KeyLevel,
  QuicTlsAlert,
  QuicTlsClientOptions,
  QuicTlsEndpoint,
  QuicTlsHandshakeInfo,
  QuicTlsHost,
  QuicTlsServerCertificate,
  QuicTlsServerOptions,
  TlsCipherSuiteName,
} from '../../../src/quic/tls13/quic-tls.js';

export class RecordingHost implements QuicTlsHost {
  readonly outbox: { level: CryptoLevel; data: Buffer }[] = [];
  readonly secrets = new Map<`${KeyLevel}:${'read' | 'write'}`, { suite: TlsCipherSuiteName; secret: Buffer }>();
  readonly keylogLines: string[] = [];
  info: QuicTlsHandshakeInfo | undefined;
  peerTransportParameters: Buffer | undefined;

  sendCrypto(level: CryptoLevel, data: Buffer): void {
    this.outbox.push({ level, data: Buffer.from(data) });
  }
  installSecret(level: KeyLevel, direction: 'read' | 'write', suite: TlsCipherSuiteName, secret: Buffer): void {
    this.secrets.set(`${level}:${direction}`, { suite, secret: Buffer.from(secret) });
  }
  handshakeComplete(info: QuicTlsHandshakeInfo): void {
    this.info = info;
  }
  keylog(line: string): void {
    this.keylogLines.push(line);
  }
}

export function certificateOf(issued: IssuedCert): QuicTlsServerCertificate {
  return { chain: [new X509Certificate(issued.certPem).raw], key: createPrivateKey(issued.keyPem) };
}

export const SERVER_TRANSPORT_PARAMETERS = Buffer.from('server-tp');
export const CLIENT_TRANSPORT_PARAMETERS = Buffer.from('client-tp');

export type ServerSetup = Omit<QuicTlsServerOptions, 'host' | 'localTransportParameters' | 'peerTransportParameters'>;
export type ClientSetup = Omit<QuicTlsClientOptions, 'host' | 'localTransportParameters' | 'peerTransportParameters'>;

export interface PairResult {
  server: QuicTlsEndpoint;
  client: QuicTlsEndpoint;
  serverHost: RecordingHost;
  clientHost: RecordingHost;
  /** The alert that stopped the handshake, and which side raised it. */
  alert?: { side: 'server' | 'client'; error: QuicTlsAlert };
  /** Bytes each side sent at each level, as sent (before any tampering). */
  clientSent: { level: CryptoLevel; data: Buffer }[];
  serverSent: { level: CryptoLevel; data: Buffer }[];
}

export interface PairOptions {
  /** Deliver client→server bytes in chunks of this size (1: byte by byte). */
  chunk?: number;
  /** Changes what one side sends before the other receives it. */
  tamper?: { from: 'server' | 'client'; edit(level: CryptoLevel, data: Buffer): Buffer };
}

export function runHandshake(serverSetup: ServerSetup, clientSetup: ClientSetup, opts: PairOptions = {}): PairResult {
  const serverHost = new RecordingHost();
  const clientHost = new RecordingHost();
  const server = createQuicTlsServer({
    ...serverSetup,
    host: serverHost,
    localTransportParameters: SERVER_TRANSPORT_PARAMETERS,
    peerTransportParameters: (tp) => (serverHost.peerTransportParameters = Buffer.from(tp)),
  });
  const client = createQuicTlsClient({
    ...clientSetup,
    host: clientHost,
    localTransportParameters: CLIENT_TRANSPORT_PARAMETERS,
    peerTransportParameters: (tp) => (clientHost.peerTransportParameters = Buffer.from(tp)),
  });
  const result: PairResult = { server, client, serverHost, clientHost, clientSent: [], serverSent: [] };
  const edit = (from: 'server' | 'client', level: CryptoLevel, data: Buffer) => (opts.tamper?.from === from ? opts.tamper.edit(level, data) : data);
  for (let rounds = 0; rounds < 20 && (serverHost.outbox.length || clientHost.outbox.length); rounds++) {
    for (const m of clientHost.outbox.splice(0)) {
      result.clientSent.push(m);
      try {
        const data = edit('client', m.level, m.data);
        const chunk = opts.chunk ?? data.length;
        for (let i = 0; i < data.length; i += chunk) server.receive(m.level, data.subarray(i, i + chunk));
      } catch (error) {
        result.alert = { side: 'server', error: error as QuicTlsAlert };
        return result;
      }
    }
    for (const m of serverHost.outbox.splice(0)) {
      result.serverSent.push(m);
      try {
        client.receive(m.level, edit('server', m.level, m.data));
      } catch (error) {
        result.alert = { side: 'client', error: error as QuicTlsAlert };
        return result;
      }
    }
  }
  return result;
}
