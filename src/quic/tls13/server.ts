/**
 * The server side of TLS 1.3 for QUIC (RFC 8446, RFC 9001 §4): ClientHello →
 * (HelloRetryRequest →) ServerHello, EncryptedExtensions, [CertificateRequest],
 * Certificate, CertificateVerify, Finished; then the client's [Certificate,
 * CertificateVerify,] Finished, and a NewSessionTicket. Resumption with
 * psk_dhe_ke from our own stateless tickets, 0-RTT when enabled.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { parseCaBundle } from './certificate-chain.js';
import { Alert, HandshakeType, MAX_TICKET_LIFETIME_SECONDS, PSK_DHE_KE, TLS13_VERSION } from './constants.js';
import { QuicTlsEndpointBase } from './endpoint-base.js';
import { randomSlice } from './random-pool.js';
import { DEFAULT_SERVER_GROUPS, answerKeyShare, groupCode, groupName } from './key-exchange.js';
import { DEFAULT_CIPHER_SUITES, KeySchedule, cipherSuiteByName, equalSecrets, finishedVerifyData, ticketPsk, type CipherSuite } from './key-schedule.js';
import {
  buildCertificate,
  buildCertificateRequest,
  buildCertificateVerify,
  buildEncryptedExtensions,
  buildFinished,
  buildNewSessionTicket,
  buildServerHello,
  parseCertificate,
  parseClientHello,
  type ClientHello,
} from './messages.js';
import {
  QuicTlsAlert,
  type CryptoLevel,
  type QuicTlsClientAuth,
  type QuicTlsEndpoint,
  type QuicTlsServerCertificate,
  type QuicTlsServerOptions,
  type QuicTlsServerSelection,
} from './quic-tls.js';
import { earlyDataContextHash, ticketSealerFor, type TicketSealer, type TicketState } from './session-ticket.js';
import { SUPPORTED_SIGNATURE_SCHEMES, chooseSignatureScheme, signCertificateVerify } from './signature.js';

type ServerState = 'client_hello' | 'client_hello_2' | 'client_certificate' | 'client_certificate_verify' | 'client_finished' | 'done';

/**
 * PSK identities we try to open. Anyone can copy our key id into many fake
 * identities; each costs an AES-GCM attempt, so a ClientHello gets only a few.
 */
const MAX_PSK_IDENTITIES_TRIED = 4;

/** How far the client's and our view of a ticket's age may differ for 0-RTT (RFC 8446 §8.3). */
export const EARLY_DATA_AGE_TOLERANCE_MS = 10_000;

export function createQuicTlsServer(options: QuicTlsServerOptions): QuicTlsEndpoint {
  return new QuicTlsServer(options);
}

interface AcceptedPsk {
  index: number;
  binder: Buffer;
  ticket: TicketState;
  clientAgeMs: number;
  serverAgeMs: number;
}

class QuicTlsServer extends QuicTlsEndpointBase implements QuicTlsEndpoint {
  private state: ServerState = 'client_hello';
  private readonly suites: CipherSuite[];
  private readonly groups: number[];
  private readonly sealer: TicketSealer | undefined;
  /** The certificate and TLS options for the client's SNI, chosen from the first ClientHello. */
  private selection: QuicTlsServerSelection | undefined;
  private clientAuth: QuicTlsClientAuth | undefined;
  /** CAs the client's chain must lead to; undefined: any certificate is taken (RequireAnyClientCert). */
  private clientCas: X509Certificate[] | undefined;
  private suite: CipherSuite | undefined;
  private hrrGroup: number | undefined;
  private firstHello: ClientHello | undefined;
  private schedule: KeySchedule | undefined;
  private clientHandshakeSecret: Buffer | undefined;
  private clientAppSecret: Buffer | undefined;
  private peerCertificates: X509Certificate[] = [];
  private group: number | undefined;
  private alpn = '';
  private serverName: string | undefined;
  private resumed = false;
  private earlyDataAccepted = false;
  private offeredPskDheKe = false;

  constructor(private readonly server: QuicTlsServerOptions) {
    super(server);
    this.suites = (server.cipherSuites ?? DEFAULT_CIPHER_SUITES).map(cipherSuiteByName);
    this.groups = (server.groups ?? DEFAULT_SERVER_GROUPS).map(groupCode);
    this.sealer = server.ticketKeys ? ticketSealerFor(server.ticketKeys) : undefined;
  }

  protected expectedLevel(): CryptoLevel | undefined {
    switch (this.state) {
      case 'client_hello':
      case 'client_hello_2':
        return 'initial';
      case 'done':
        return undefined;
      default:
        return 'handshake';
    }
  }

  protected levelDone(level: CryptoLevel): boolean {
    if (level === 'initial') return this.state !== 'client_hello' && this.state !== 'client_hello_2';
    return this.state === 'done';
  }

  protected onMessage(type: number, message: Buffer): void {
    const expect = (t: number, name: string) => {
      if (type !== t) throw new QuicTlsAlert(Alert.unexpectedMessage, `expected ${name}, got handshake message type ${type}`);
    };
    switch (this.state) {
      case 'client_hello':
      case 'client_hello_2':
        expect(HandshakeType.clientHello, 'ClientHello');
        return this.onClientHello(message);
      case 'client_certificate':
        expect(HandshakeType.certificate, 'client Certificate');
        return this.onClientCertificate(message);
      case 'client_certificate_verify':
        expect(HandshakeType.certificateVerify, 'client CertificateVerify');
        return this.onClientCertificateVerify(message);
      case 'client_finished':
        expect(HandshakeType.finished, 'client Finished');
        return this.onClientFinished(message);
      default:
        throw new QuicTlsAlert(Alert.unexpectedMessage, `handshake message type ${type} after the handshake`);
    }
  }

  private onClientHello(message: Buffer): void {
    const ch = parseClientHello(message.subarray(4));
    const retry = this.state === 'client_hello_2';
    if (!retry) this.clientRandom = Buffer.from(ch.random);

    if (!ch.supportedVersions?.includes(TLS13_VERSION)) throw new QuicTlsAlert(Alert.protocolVersion, 'client does not offer TLS 1.3');
    // RFC 9001 §8.4: QUIC has no middlebox compatibility mode.
    if (ch.sessionId.length) throw new QuicTlsAlert(Alert.illegalParameter, 'non-empty legacy_session_id in QUIC');
    if (!ch.transportParameters) throw new QuicTlsAlert(Alert.missingExtension, 'ClientHello without quic_transport_parameters');

    // The name's TLS options decide suites, groups and client certificates, so the certificate is chosen first (once:
    // a second ClientHello must carry the same name).
    if (!retry) this.select(ch.serverName);
    const certificate = this.selection!;
    const policy = certificate.policy;
    const suites = policy?.cipherSuites ? policy.cipherSuites.map(cipherSuiteByName) : this.suites;
    const groups = policy?.groups ? policy.groups.map(groupCode) : this.groups;

    const suite = suites.find((s) => ch.cipherSuites.includes(s.code));
    if (!suite) throw new QuicTlsAlert(Alert.handshakeFailure, 'no cipher suite in common');
    if (retry && suite !== this.suite) throw new QuicTlsAlert(Alert.illegalParameter, 'second ClientHello changed the cipher suite');

    // RFC 9001 §8.1: ALPN is mandatory in QUIC.
    const alpn = this.server.alpn.find((p) => ch.alpn?.includes(p));
    if (alpn === undefined)
      throw new QuicTlsAlert(
        Alert.noApplicationProtocol,
        ch.alpn ? `no ALPN protocol in common (client offers ${ch.alpn.join(', ')})` : 'ClientHello without ALPN',
      );

    if (!ch.supportedGroups || !ch.keyShares) throw new QuicTlsAlert(Alert.missingExtension, 'ClientHello without supported_groups or key_share');
    for (const share of ch.keyShares) {
      if (!ch.supportedGroups.includes(share.group))
        throw new QuicTlsAlert(Alert.illegalParameter, `key share for group 0x${share.group.toString(16)} not in supported_groups`);
    }
    if (retry) {
      if (ch.keyShares.length !== 1 || ch.keyShares[0]!.group !== this.hrrGroup)
        throw new QuicTlsAlert(Alert.illegalParameter, 'second ClientHello does not share the requested group');
      if (ch.earlyData) throw new QuicTlsAlert(Alert.illegalParameter, 'early_data after HelloRetryRequest');
      const first = this.firstHello!;
      if (ch.serverName !== first.serverName || !ch.random.equals(first.random))
        throw new QuicTlsAlert(Alert.illegalParameter, 'second ClientHello differs from the first');
    }
    const group = groups.find((g) => ch.keyShares!.some((s) => s.group === g));
    if (group === undefined) {
      if (retry) throw new QuicTlsAlert(Alert.illegalParameter, 'second ClientHello without a usable key share');
      const hrrGroup = groups.find((g) => ch.supportedGroups!.includes(g));
      if (hrrGroup === undefined) throw new QuicTlsAlert(Alert.handshakeFailure, 'no key exchange group in common');
      return this.helloRetryRequest(message, ch, suite, hrrGroup);
    }

    this.suite = suite;
    this.transcript.start(suite.hash);
    // A resumed handshake has no client Certificate: where the name asks for one, every connection shows one.
    const psk = this.clientAuth ? undefined : this.acceptPsk(ch, message, suite);

    let signatureScheme: number | undefined;
    let signingKey: KeyObject | undefined;
    if (!psk) {
      if (!ch.signatureAlgorithms) throw new QuicTlsAlert(Alert.missingExtension, 'ClientHello without signature_algorithms');
      signingKey = privateKeyOf(certificate);
      signatureScheme = chooseSignatureScheme(signingKey, ch.signatureAlgorithms);
      if (signatureScheme === undefined) throw new QuicTlsAlert(Alert.handshakeFailure, 'no signature scheme in common with our certificate');
    }

    // The client's share is checked before anything is installed or signed.
    const share = answerKeyShare(group, ch.keyShares.find((s) => s.group === group)!.key);
    const shared = share.secret;

    this.peerTransportParameters(ch.transportParameters);

    const earlyData = psk !== undefined && this.acceptEarlyData(ch, psk, alpn, retry);
    this.group = group;
    this.alpn = alpn;
    this.serverName = ch.serverName;
    this.resumed = psk !== undefined;
    this.earlyDataAccepted = earlyData;
    this.offeredPskDheKe = ch.pskModes?.includes(PSK_DHE_KE) ?? false;

    const schedule = new KeySchedule(suite, psk?.ticket.psk);
    this.schedule = schedule;
    this.transcript.add(message);
    if (earlyData) this.install('early', 'read', suite, schedule.clientEarlyTrafficSecret(this.transcript.digest()), 'CLIENT_EARLY_TRAFFIC_SECRET');

    const serverHello = buildServerHello({
      random: randomSlice(32),
      sessionIdEcho: ch.sessionId,
      cipherSuite: suite.code,
      helloRetryRequest: false,
      keyShare: { group, key: share.publicKey },
      ...(psk ? { selectedIdentity: psk.index } : {}),
    });
    this.transcript.add(serverHello);
    this.send('initial', serverHello);

    const hs = schedule.handshake(shared, this.transcript.digest());
    this.clientHandshakeSecret = hs.client;
    this.install('handshake', 'read', suite, hs.client, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.install('handshake', 'write', suite, hs.server, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');

    const flight: Buffer[] = [];
    const add = (m: Buffer) => {
      this.transcript.add(m);
      flight.push(m);
    };
    add(
      buildEncryptedExtensions({
        alpn,
        transportParameters: this.server.localTransportParameters,
        earlyData,
        serverNameAck: ch.serverName !== undefined && !psk,
      }),
    );
    const askClientCertificate = !psk && this.clientAuth !== undefined;
    if (askClientCertificate) add(buildCertificateRequest({ context: Buffer.alloc(0), signatureAlgorithms: SUPPORTED_SIGNATURE_SCHEMES }));
    if (!psk) {
      add(buildCertificate({ context: Buffer.alloc(0), certificates: certificate.chain }));
      const signature = signCertificateVerify('server', signatureScheme!, signingKey!, this.transcript.digest());
      add(buildCertificateVerify({ scheme: signatureScheme!, signature }));
    }
    add(buildFinished(finishedVerifyData(suite, hs.server, this.transcript.digest())));
    this.send('handshake', Buffer.concat(flight));

    const app = schedule.application(this.transcript.digest());
    this.clientAppSecret = app.client;
    // 0.5-RTT: we may send 1-RTT now; reading waits for the client's Finished (RFC 9001 §5.7).
    this.install('application', 'write', suite, app.server, 'SERVER_TRAFFIC_SECRET_0');
    this.state = askClientCertificate ? 'client_certificate' : 'client_finished';
  }

  /** The certificate and options for `serverName`; unrecognized_name when the host refuses it, protocol_version when its options exclude TLS 1.3. */
  private select(serverName: string | undefined): void {
    const selection = this.callHost(() => this.server.selectCertificate(serverName));
    if (!selection) throw new QuicTlsAlert(Alert.unrecognizedName, `no certificate for ${serverName ?? 'a ClientHello without server_name'}`);
    if (selection.policy?.refuseTls13)
      throw new QuicTlsAlert(Alert.protocolVersion, `the TLS options of ${serverName ?? 'the default name'} exclude TLS 1.3, the only version QUIC has`);
    this.selection = selection;
    this.clientAuth = selection.policy?.clientAuth ?? this.server.clientAuth;
    this.clientCas = this.clientAuth?.caPem ? parseCaBundle(this.clientAuth.caPem) : undefined;
  }

  private helloRetryRequest(message: Buffer, ch: ClientHello, suite: CipherSuite, group: number): void {
    this.suite = suite;
    this.hrrGroup = group;
    this.firstHello = ch;
    this.transcript.start(suite.hash);
    this.transcript.add(message);
    this.transcript.replaceWithMessageHash();
    const hrr = buildServerHello({
      random: Buffer.alloc(0),
      sessionIdEcho: ch.sessionId,
      cipherSuite: suite.code,
      helloRetryRequest: true,
      keyShare: { group, key: Buffer.alloc(0) },
    });
    this.transcript.add(hrr);
    this.send('initial', hrr);
    this.state = 'client_hello_2';
  }

  /** The first offered ticket we sealed, still valid, for this suite and name; its binder must verify. */
  private acceptPsk(ch: ClientHello, message: Buffer, suite: CipherSuite): AcceptedPsk | undefined {
    const offer = ch.preSharedKey;
    if (!offer) return undefined;
    if (!ch.pskModes) throw new QuicTlsAlert(Alert.missingExtension, 'pre_shared_key without psk_key_exchange_modes');
    const now = this.now();
    if (!this.sealer || now === undefined || !ch.pskModes.includes(PSK_DHE_KE)) return undefined;
    for (let index = 0; index < Math.min(offer.identities.length, MAX_PSK_IDENTITIES_TRIED); index++) {
      const id = offer.identities[index]!;
      const ticket = this.sealer.open(id.identity);
      if (!ticket || ticket.suite !== suite.code) continue;
      const serverAgeMs = now - ticket.issuedAt;
      if (serverAgeMs < 0 || serverAgeMs > Math.min(ticket.lifetimeSeconds, MAX_TICKET_LIFETIME_SECONDS) * 1000) continue;
      if (ticket.serverName !== (ch.serverName ?? '')) continue;
      const schedule = new KeySchedule(suite, ticket.psk);
      const truncated = message.subarray(0, message.length - offer.bindersLength);
      const expected = finishedVerifyData(suite, schedule.resumptionBinderKey(), this.transcript.digestWith(truncated));
      if (!equalSecrets(expected, offer.binders[index]!)) throw new QuicTlsAlert(Alert.decryptError, 'PSK binder does not verify');
      return { index, binder: offer.binders[index]!, ticket, serverAgeMs, clientAgeMs: (id.obfuscatedTicketAge - ticket.ageAdd) >>> 0 };
    }
    return undefined;
  }

  private acceptEarlyData(ch: ClientHello, psk: AcceptedPsk, alpn: string, retry: boolean): boolean {
    const guard = this.server.earlyDataGuard;
    return (
      this.server.earlyData === true &&
      ch.earlyData &&
      !retry &&
      psk.index === 0 &&
      psk.ticket.earlyData &&
      psk.ticket.alpn === alpn &&
      psk.ticket.earlyDataContextHash.equals(earlyDataContextHash(this.server.earlyDataContext)) &&
      Math.abs(psk.clientAgeMs - psk.serverAgeMs) <= EARLY_DATA_AGE_TOLERANCE_MS &&
      // Last, so only early data that would be accepted is recorded.
      (!guard || (psk.ticket.earlyDataOrigin.equals(guard.instance) && this.callHost(() => guard.firstUse(psk.binder, psk.ticket.issuedAt + psk.serverAgeMs))))
    );
  }

  private onClientCertificate(message: Buffer): void {
    const cert = parseCertificate(message.subarray(4));
    if (cert.context.length) throw new QuicTlsAlert(Alert.illegalParameter, 'client Certificate has a request context we did not send');
    this.transcript.add(message);
    if (!cert.certificates.length) {
      if (this.clientAuth!.required) throw new QuicTlsAlert(Alert.certificateRequired, 'client sent no certificate');
      this.state = 'client_finished';
      return;
    }
    this.peerCertificates = this.peerChain(cert.certificates, this.clientCas);
    this.state = 'client_certificate_verify';
  }

  private onClientCertificateVerify(message: Buffer): void {
    this.peerCertificateVerify('client', message, this.peerCertificates[0]!);
    this.state = 'client_finished';
  }

  private onClientFinished(message: Buffer): void {
    const suite = this.suite!;
    this.peerFinished('client', suite, this.clientHandshakeSecret!, message);
    this.state = 'done';
    this.install('application', 'read', suite, this.clientAppSecret!, 'CLIENT_TRAFFIC_SECRET_0');
    const resumptionSecret = this.schedule!.resumptionMasterSecret(this.transcript.digest());
    this.finish({
      alpn: this.alpn,
      serverName: this.serverName,
      cipherSuite: suite.name,
      group: groupName(this.group!),
      resumed: this.resumed,
      earlyDataAccepted: this.earlyDataAccepted,
      peerCertificates: this.peerCertificates.map((c) => c.raw),
    });
    this.sendTicket(suite, resumptionSecret);
  }

  private sendTicket(suite: CipherSuite, resumptionSecret: Buffer): void {
    const now = this.now();
    if (!this.sealer || now === undefined || !this.offeredPskDheKe) return;
    const nonce = Buffer.alloc(1);
    const ageAdd = randomSlice(4).readUInt32BE(0);
    const earlyData = this.server.earlyData === true;
    const ticket = this.sealer.seal({
      suite: suite.code,
      issuedAt: now,
      lifetimeSeconds: MAX_TICKET_LIFETIME_SECONDS,
      ageAdd,
      psk: ticketPsk(suite, resumptionSecret, nonce),
      alpn: this.alpn,
      serverName: this.serverName ?? '',
      earlyData,
      earlyDataContextHash: earlyDataContextHash(this.server.earlyDataContext),
      earlyDataOrigin: earlyData ? (this.server.earlyDataGuard?.instance ?? Buffer.alloc(0)) : Buffer.alloc(0),
    });
    this.send('application', buildNewSessionTicket({ lifetime: MAX_TICKET_LIFETIME_SECONDS, ageAdd, nonce, ticket, maxEarlyData: earlyData ? 0xffffffff : 0 }));
  }
}

function privateKeyOf(certificate: QuicTlsServerCertificate): KeyObject {
  const key = certificate.key as KeyObject | string;
  return typeof key === 'string' ? createPrivateKey(key) : key;
}
