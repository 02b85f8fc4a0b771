/**
 * The client side of TLS 1.3 for QUIC (RFC 8446, RFC 9001 §4), for tests, the
 * bench and h3 upstreams. createQuicTlsClient sends the ClientHello (and
 * installs 0-RTT keys when resuming with early data) before it returns.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { parseCaBundle } from './certificate-chain.js';
import { Alert, HandshakeType, MAX_TICKET_LIFETIME_SECONDS, PSK_DHE_KE, TLS13_VERSION } from './constants.js';
import { QuicTlsEndpointBase } from './endpoint-base.js';
import { randomSlice } from './random-pool.js';
import { DEFAULT_GROUPS, generateKeyShare, groupCode, groupName, type KeyShare } from './key-exchange.js';
import { DEFAULT_CIPHER_SUITES, KeySchedule, cipherSuiteByCode, cipherSuiteByName, finishedVerifyData, ticketPsk, type CipherSuite } from './key-schedule.js';
import {
  bindersBlockLength,
  buildCertificate,
  buildCertificateVerify,
  buildClientHello,
  buildFinished,
  parseCertificate,
  parseCertificateRequest,
  parseEncryptedExtensions,
  parseNewSessionTicket,
  parseServerHello,
  patchBinders,
  type ClientHello,
  type ServerHello,
} from './messages.js';
import { QuicTlsAlert, type CryptoLevel, type QuicTlsClientOptions, type QuicTlsEndpoint } from './quic-tls.js';
import { decodeClientSession, encodeClientSession, type ClientSession } from './session-ticket.js';
import { SUPPORTED_SIGNATURE_SCHEMES, chooseSignatureScheme, signCertificateVerify } from './signature.js';
import { Transcript } from './transcript.js';

type ClientState = 'server_hello' | 'encrypted_extensions' | 'certificate_request_or_certificate' | 'certificate' | 'certificate_verify' | 'finished' | 'done';

export function createQuicTlsClient(options: QuicTlsClientOptions): QuicTlsEndpoint {
  const client = new QuicTlsClient(options);
  client.start();
  return client;
}

class QuicTlsClient extends QuicTlsEndpointBase implements QuicTlsEndpoint {
  private state: ClientState = 'server_hello';
  private readonly suites: CipherSuite[];
  private readonly groups: number[];
  private hello!: ClientHello;
  private share!: KeyShare;
  private session: ClientSession | undefined;
  private earlyDataOffered = false;
  private retried = false;
  private retrySuite: CipherSuite | undefined;
  private suite: CipherSuite | undefined;
  private schedule: KeySchedule | undefined;
  private handshakeSecrets: { client: Buffer; server: Buffer } | undefined;
  private resumed = false;
  private earlyDataAccepted = false;
  private alpn = '';
  private certificateRequest: { context: Buffer; signatureAlgorithms: number[] } | undefined;
  private serverCertificates: X509Certificate[] = [];
  private resumptionSecret: Buffer | undefined;

  constructor(private readonly client: QuicTlsClientOptions) {
    super(client);
    this.suites = (client.cipherSuites ?? DEFAULT_CIPHER_SUITES).map(cipherSuiteByName);
    this.groups = (client.groups ?? DEFAULT_GROUPS).map(groupCode);
    if (!client.alpn.length) throw new RangeError('QUIC needs at least one ALPN protocol');
  }

  start(): void {
    this.guard(() => {
      this.clientRandom = randomSlice(32);
      this.share = generateKeyShare(this.groups[0]!);
      this.session = this.usableSession();
      const serverName = this.client.serverName !== undefined && isIP(this.client.serverName) === 0 ? this.client.serverName : undefined;
      this.hello = {
        random: this.clientRandom,
        sessionId: Buffer.alloc(0),
        cipherSuites: this.suites.map((s) => s.code),
        ...(serverName !== undefined ? { serverName } : {}),
        alpn: this.client.alpn,
        supportedVersions: [TLS13_VERSION],
        supportedGroups: this.groups,
        keyShares: [{ group: this.share.group, key: this.share.publicKey }],
        signatureAlgorithms: SUPPORTED_SIGNATURE_SCHEMES,
        transportParameters: this.client.localTransportParameters,
        pskModes: [PSK_DHE_KE],
        earlyData: false,
      };
      this.earlyDataOffered =
        this.client.earlyData === true && this.session !== undefined && this.session.maxEarlyData > 0 && this.client.alpn.includes(this.session.alpn);
      this.hello.earlyData = this.earlyDataOffered;
      const message = this.buildHello();
      this.send('initial', message);
      if (this.earlyDataOffered) {
        const suite = cipherSuiteByCode(this.session!.suite)!;
        const schedule = new KeySchedule(suite, this.session!.psk);
        const helloHash = new Transcript();
        helloHash.add(message);
        helloHash.start(suite.hash);
        this.install('early', 'write', suite, schedule.clientEarlyTrafficSecret(helloHash.digest()), 'CLIENT_EARLY_TRAFFIC_SECRET');
      }
    });
  }

  /** The configured session if it is ours, unexpired, for this name and one of our suites. */
  private usableSession(): ClientSession | undefined {
    if (!this.client.session) return undefined;
    const s = decodeClientSession(this.client.session);
    const now = this.now();
    if (!s || now === undefined) return undefined;
    if (!this.suites.some((c) => c.code === s.suite)) return undefined;
    if (s.serverName !== (this.client.serverName ?? '')) return undefined;
    const age = now - s.receivedAt;
    if (age < 0 || age > s.lifetimeSeconds * 1000) return undefined;
    return s;
  }

  /** Builds the ClientHello (with binder when resuming) and adds it to the transcript. */
  private buildHello(): Buffer {
    const session = this.session;
    const sessionSuite = session ? cipherSuiteByCode(session.suite)! : undefined;
    if (session && sessionSuite) {
      const age = this.now()! - session.receivedAt;
      this.hello.preSharedKey = {
        identities: [{ identity: session.ticket, obfuscatedTicketAge: (age + session.ageAdd) >>> 0 }],
        binders: [Buffer.alloc(sessionSuite.hashLength)],
        bindersLength: 0,
      };
    } else delete this.hello.preSharedKey;
    const message = buildClientHello(this.hello);
    if (session && sessionSuite) {
      const truncated = message.subarray(0, message.length - bindersBlockLength(this.hello.preSharedKey!.binders));
      let transcriptHash: Buffer;
      if (this.transcript.started) transcriptHash = this.transcript.digestWith(truncated);
      else {
        const t = new Transcript();
        t.start(sessionSuite.hash);
        t.add(truncated);
        transcriptHash = t.digest();
      }
      const binder = finishedVerifyData(sessionSuite, new KeySchedule(sessionSuite, session.psk).resumptionBinderKey(), transcriptHash);
      patchBinders(message, [binder]);
    }
    this.transcript.add(message);
    return message;
  }

  protected expectedLevel(): CryptoLevel | undefined {
    if (this.state === 'server_hello') return 'initial';
    if (this.state === 'done') return 'application';
    return 'handshake';
  }

  protected levelDone(level: CryptoLevel): boolean {
    if (level === 'initial') return this.state !== 'server_hello';
    return level === 'handshake' && this.state === 'done';
  }

  protected onMessage(type: number, message: Buffer): void {
    const body = message.subarray(4);
    const unexpected = () => new QuicTlsAlert(Alert.unexpectedMessage, `handshake message type ${type} in state ${this.state}`);
    switch (this.state) {
      case 'server_hello':
        if (type !== HandshakeType.serverHello) throw unexpected();
        return this.onServerHello(message, parseServerHello(body));
      case 'encrypted_extensions':
        if (type !== HandshakeType.encryptedExtensions) throw unexpected();
        return this.onEncryptedExtensions(message);
      case 'certificate_request_or_certificate':
        if (type === HandshakeType.certificateRequest) {
          this.certificateRequest = parseCertificateRequest(body);
          if (this.certificateRequest.context.length)
            throw new QuicTlsAlert(Alert.illegalParameter, 'CertificateRequest context must be empty during the handshake');
          this.transcript.add(message);
          this.state = 'certificate';
          return;
        }
        if (type !== HandshakeType.certificate) throw unexpected();
        return this.onCertificate(message);
      case 'certificate':
        if (type !== HandshakeType.certificate) throw unexpected();
        return this.onCertificate(message);
      case 'certificate_verify':
        if (type !== HandshakeType.certificateVerify) throw unexpected();
        return this.onCertificateVerify(message);
      case 'finished':
        if (type !== HandshakeType.finished) throw unexpected();
        return this.onFinished(message);
      case 'done':
        if (type !== HandshakeType.newSessionTicket) throw unexpected();
        return this.onNewSessionTicket(message);
    }
  }

  private onServerHello(message: Buffer, sh: ServerHello): void {
    if (!sh.sessionIdEcho.equals(this.hello.sessionId)) throw new QuicTlsAlert(Alert.illegalParameter, 'ServerHello does not echo our legacy_session_id');
    if (sh.selectedVersion !== TLS13_VERSION) throw new QuicTlsAlert(Alert.protocolVersion, 'server did not select TLS 1.3');
    const suite = this.suites.find((s) => s.code === sh.cipherSuite);
    if (!suite) throw new QuicTlsAlert(Alert.illegalParameter, `server chose cipher suite 0x${sh.cipherSuite.toString(16)} we did not offer`);
    if (sh.helloRetryRequest) return this.onHelloRetryRequest(message, sh, suite);

    if (this.retrySuite && suite !== this.retrySuite)
      throw new QuicTlsAlert(Alert.illegalParameter, 'ServerHello cipher suite differs from the HelloRetryRequest');
    if (!sh.keyShare) throw new QuicTlsAlert(Alert.missingExtension, 'ServerHello without key_share');
    if (sh.keyShare.group !== this.share.group) throw new QuicTlsAlert(Alert.illegalParameter, 'ServerHello key share is not for the group we shared');
    let psk: Buffer | undefined;
    if (sh.selectedIdentity !== undefined) {
      if (!this.hello.preSharedKey || sh.selectedIdentity !== 0) throw new QuicTlsAlert(Alert.illegalParameter, 'server selected a PSK we did not offer');
      if (cipherSuiteByCode(this.session!.suite)!.hash !== suite.hash)
        throw new QuicTlsAlert(Alert.illegalParameter, 'server resumed with a suite of another hash');
      psk = this.session!.psk;
    }
    this.suite = suite;
    this.resumed = psk !== undefined;
    this.transcript.start(suite.hash);
    this.transcript.add(message);
    const schedule = new KeySchedule(suite, psk);
    this.schedule = schedule;
    const shared = this.share.sharedSecret(sh.keyShare.key);
    this.handshakeSecrets = schedule.handshake(shared, this.transcript.digest());
    this.install('handshake', 'read', suite, this.handshakeSecrets.server, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.install('handshake', 'write', suite, this.handshakeSecrets.client, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.state = 'encrypted_extensions';
  }

  private onHelloRetryRequest(message: Buffer, hrr: ServerHello, suite: CipherSuite): void {
    if (this.retried) throw new QuicTlsAlert(Alert.unexpectedMessage, 'second HelloRetryRequest');
    this.retried = true;
    this.retrySuite = suite;
    const group = hrr.keyShare?.group;
    if (group === undefined && !hrr.cookie) throw new QuicTlsAlert(Alert.illegalParameter, 'HelloRetryRequest that changes nothing');
    if (group !== undefined && (!this.groups.includes(group) || group === this.share.group)) {
      throw new QuicTlsAlert(Alert.illegalParameter, `HelloRetryRequest for group 0x${group.toString(16)}`);
    }
    this.transcript.start(suite.hash);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(message);
    if (group !== undefined) {
      this.share = generateKeyShare(group);
      this.hello.keyShares = [{ group, key: this.share.publicKey }];
    }
    if (hrr.cookie) this.hello.cookie = hrr.cookie;
    else delete this.hello.cookie;
    this.hello.earlyData = false;
    this.earlyDataOffered = false;
    // The PSK stays offered only if its hash matches the suite now chosen.
    if (this.session && cipherSuiteByCode(this.session.suite)!.hash !== suite.hash) this.session = undefined;
    this.send('initial', this.buildHello());
  }

  private onEncryptedExtensions(message: Buffer): void {
    const ee = parseEncryptedExtensions(message.subarray(4));
    if (ee.alpn === undefined) throw new QuicTlsAlert(Alert.noApplicationProtocol, 'server selected no ALPN protocol');
    if (!this.client.alpn.includes(ee.alpn)) throw new QuicTlsAlert(Alert.illegalParameter, `server selected ALPN ${ee.alpn} we did not offer`);
    if (!ee.transportParameters) throw new QuicTlsAlert(Alert.missingExtension, 'EncryptedExtensions without quic_transport_parameters');
    if (ee.earlyData && (!this.earlyDataOffered || !this.resumed)) throw new QuicTlsAlert(Alert.illegalParameter, 'server accepted early data we did not send');
    this.peerTransportParameters(ee.transportParameters);
    this.alpn = ee.alpn;
    this.earlyDataAccepted = ee.earlyData;
    this.transcript.add(message);
    this.state = this.resumed ? 'finished' : 'certificate_request_or_certificate';
  }

  private onCertificate(message: Buffer): void {
    if (this.resumed) throw new QuicTlsAlert(Alert.unexpectedMessage, 'Certificate in a resumed handshake');
    const cert = parseCertificate(message.subarray(4));
    if (cert.context.length) throw new QuicTlsAlert(Alert.illegalParameter, 'server Certificate with a request context');
    if (!cert.certificates.length) throw new QuicTlsAlert(Alert.decodeError, 'server sent no certificate');
    const cas = this.client.insecure ? undefined : parseCaBundle(this.client.caPem ?? []);
    this.serverCertificates = this.peerChain(cert.certificates, cas, this.client.serverName);
    this.transcript.add(message);
    this.state = 'certificate_verify';
  }

  private onCertificateVerify(message: Buffer): void {
    this.peerCertificateVerify('server', message, this.serverCertificates[0]!);
    this.state = 'finished';
  }

  private onFinished(message: Buffer): void {
    const suite = this.suite!;
    const hs = this.handshakeSecrets!;
    this.peerFinished('server', suite, hs.server, message);
    const app = this.schedule!.application(this.transcript.digest());
    this.install('application', 'read', suite, app.server, 'SERVER_TRAFFIC_SECRET_0');
    this.install('application', 'write', suite, app.client, 'CLIENT_TRAFFIC_SECRET_0');

    const flight: Buffer[] = [];
    const add = (m: Buffer) => {
      this.transcript.add(m);
      flight.push(m);
    };
    if (this.certificateRequest) {
      const own = this.client.clientCertificate;
      const key = own ? privateKeyOf(own.key) : undefined;
      const scheme = key ? chooseSignatureScheme(key, this.certificateRequest.signatureAlgorithms) : undefined;
      if (own && key && scheme !== undefined) {
        add(buildCertificate({ context: this.certificateRequest.context, certificates: own.chain }));
        add(buildCertificateVerify({ scheme, signature: signCertificateVerify('client', scheme, key, this.transcript.digest()) }));
      } else add(buildCertificate({ context: this.certificateRequest.context, certificates: [] }));
    }
    add(buildFinished(finishedVerifyData(suite, hs.client, this.transcript.digest())));
    this.send('handshake', Buffer.concat(flight));
    this.resumptionSecret = this.schedule!.resumptionMasterSecret(this.transcript.digest());
    this.state = 'done';
    this.finish({
      alpn: this.alpn,
      serverName: this.client.serverName,
      cipherSuite: suite.name,
      group: groupName(this.share.group),
      resumed: this.resumed,
      earlyDataAccepted: this.earlyDataAccepted,
      peerCertificates: this.serverCertificates.map((c) => c.raw),
    });
  }

  private onNewSessionTicket(message: Buffer): void {
    const t = parseNewSessionTicket(message.subarray(4));
    if (t.lifetime > MAX_TICKET_LIFETIME_SECONDS) throw new QuicTlsAlert(Alert.illegalParameter, 'ticket lifetime over seven days');
    const now = this.now();
    if (t.lifetime === 0 || now === undefined || !this.client.onSessionTicket) return;
    const suite = this.suite!;
    const session = encodeClientSession({
      suite: suite.code,
      receivedAt: now,
      lifetimeSeconds: t.lifetime,
      ageAdd: t.ageAdd,
      maxEarlyData: t.maxEarlyData,
      psk: ticketPsk(suite, this.resumptionSecret!, t.nonce),
      ticket: t.ticket,
      alpn: this.alpn,
      serverName: this.client.serverName ?? '',
    });
    this.callHost(() => this.client.onSessionTicket!(session));
  }
}

function privateKeyOf(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}
