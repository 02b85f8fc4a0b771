/**
 * The contract between Portico's QUIC connection (src/quic/core) and its
 * TLS 1.3 engine (src/quic/tls13), as RFC 9001 §4 draws it: TLS never sees
 * packets, QUIC never sees handshake messages. QUIC hands TLS the contiguous
 * bytes of each CRYPTO stream; TLS answers through the host with handshake
 * bytes to send at a level, the traffic secrets of each new level, and the end
 * of the handshake. Everything is synchronous and sans-I/O, so both sides are
 * testable with byte arrays alone.
 */

/** The packet-number spaces that carry CRYPTO data (0-RTT carries none). */
export type CryptoLevel = 'initial' | 'handshake' | 'application';

/** Levels that get keys from TLS: 0-RTT ('early') and the handshake and 1-RTT levels. */
export type KeyLevel = 'early' | 'handshake' | 'application';

export type TlsCipherSuiteName = 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';

export const TLS_CIPHER_SUITE_CODES: Readonly<Record<TlsCipherSuiteName, number>> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
};

/** What the QUIC connection does with the engine's output. */
export interface QuicTlsHost {
  /** Handshake bytes to send in CRYPTO frames of `level`, in order. */
  sendCrypto(level: CryptoLevel, data: Buffer): void;
  /**
   * A traffic secret became available (RFC 9001 §5.1: QUIC derives key, iv and
   * hp from it with "quic key"/"quic iv"/"quic hp"). `read` protects what the
   * peer sends, `write` what we send. Later key updates are QUIC's own
   * business (RFC 9001 §6), derived with "quic ku" from the application secret.
   */
  installSecret(level: KeyLevel, direction: 'read' | 'write', suite: TlsCipherSuiteName, secret: Buffer): void;
  /** The handshake finished (server: the client's Finished verified; client: ours sent). */
  handshakeComplete(info: QuicTlsHandshakeInfo): void;
  /** An NSS key log line (without newline) for each secret, when keylogging is on. */
  keylog?(line: string): void;
}

export interface QuicTlsHandshakeInfo {
  alpn: string;
  serverName: string | undefined;
  cipherSuite: TlsCipherSuiteName;
  /** Key exchange group that was used, e.g. 'x25519', 'secp256r1' (none on a psk_ke resumption). */
  group: string | undefined;
  /** The handshake resumed a session from a ticket. */
  resumed: boolean;
  /** 0-RTT data was accepted (only when the server enabled it). */
  earlyDataAccepted: boolean;
  /** The peer's certificate chain (DER), when it sent one (mTLS on the server, always on the client). */
  peerCertificates: Buffer[];
}

/**
 * A TLS alert the engine raises while processing input. QUIC closes the
 * connection with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8).
 */
export class QuicTlsAlert extends Error {
  constructor(
    readonly alert: number,
    message: string,
  ) {
    super(message);
    this.name = 'QuicTlsAlert';
  }
  get quicErrorCode(): number {
    return 0x100 + this.alert;
  }
}

/** One side of a TLS 1.3 handshake for QUIC. */
export interface QuicTlsEndpoint {
  /**
   * Feed contiguous CRYPTO-stream bytes received at `level` (QUIC reassembles
   * and bounds them). May call the host synchronously any number of times.
   * Throws QuicTlsAlert for anything wrong in the peer's messages.
   */
  receive(level: CryptoLevel, data: Buffer): void;
  readonly handshakeComplete: boolean;
}

/** What both sides configure. */
export interface QuicTlsCommonOptions {
  host: QuicTlsHost;
  /** Our encoded QUIC transport parameters (extension 0x39), built by the QUIC layer. */
  localTransportParameters: Buffer;
  /**
   * The peer's transport parameters as received. QUIC decodes and checks them;
   * a throw becomes a TRANSPORT_PARAMETER_ERROR close.
   */
  peerTransportParameters(encoded: Buffer): void;
  /** Allowed cipher suites in preference order (default: all three, AES-128-GCM first). */
  cipherSuites?: TlsCipherSuiteName[];
  /** Key exchange groups in preference order (default ['x25519', 'secp256r1']). */
  groups?: string[];
  /**
   * The host's clock in milliseconds (sans-I/O: the engine never reads the
   * time itself). Needed for session tickets (issue time, age checks) and for
   * certificate validity periods; without it no tickets are issued or
   * accepted and validity periods are not checked.
   */
  now?(): number;
}

/** A certificate chain and its private key (server certificate, or client certificate for mTLS). */
export interface QuicTlsServerCertificate {
  /** Leaf first, DER. */
  chain: Buffer[];
  /** PEM or a KeyObject: ECDSA (P-256/P-384), RSA (signs with RSA-PSS) or Ed25519. */
  key: import('node:crypto').KeyObject;
}

/**
 * Client certificates (mTLS): a CertificateRequest in the handshake. With
 * `caPem` the chain must lead to one of these CAs (unknown_ca otherwise);
 * without, any certificate is taken (its CertificateVerify is still checked:
 * the client holds the key). `required`: no certificate is alert
 * certificate_required (116).
 */
export interface QuicTlsClientAuth {
  required: boolean;
  caPem?: string[];
}

/**
 * What the server name's TLS option set changes for its handshake (Traefik's
 * TLSOption, chosen by SNI like the certificate). Absent fields keep the
 * endpoint's settings. Keep one object per option set: the CA bundle is
 * parsed once per `caPem` array.
 */
export interface QuicTlsServerNamePolicy {
  cipherSuites?: TlsCipherSuiteName[];
  groups?: string[];
  clientAuth?: QuicTlsClientAuth;
  /** The option set's version range excludes TLS 1.3 (all QUIC has): the handshake fails with protocol_version (70). */
  refuseTls13?: boolean;
}

/** A certificate and the TLS option set of the server name it was chosen for. */
export interface QuicTlsServerSelection extends QuicTlsServerCertificate {
  policy?: QuicTlsServerNamePolicy;
}

export interface QuicTlsServerOptions extends QuicTlsCommonOptions {
  /** ALPN protocols we speak, in preference order; no overlap is alert no_application_protocol (120). */
  alpn: string[];
  /**
   * Pick the certificate (and the name's TLS options) for the client's SNI
   * (undefined name: no SNI), called once per handshake before any suite or
   * group is chosen. Return undefined to refuse (sniStrict): alert
   * unrecognized_name (112).
   */
  selectCertificate(serverName: string | undefined): QuicTlsServerSelection | undefined;
  /** Ask for a client certificate (for every name whose policy says nothing else). */
  clientAuth?: QuicTlsClientAuth;
  /** Session tickets: keys shared across workers so a ticket from one resumes on another. Absent: no tickets. */
  ticketKeys?: { current: Buffer; previous?: Buffer[] };
  /** Accept 0-RTT on resumption (off by default: replayable). */
  earlyData?: boolean;
  /** Anti-replay for 0-RTT; without it accepted early data can be replayed for as long as the ticket-age check allows. */
  earlyDataGuard?: QuicTlsEarlyDataGuard;
  /**
   * QUIC's 0-RTT context (RFC 9001 §4.6.2): the transport parameters and
   * application settings that 0-RTT data relies on, encoded by the QUIC layer.
   * Its hash is sealed into each ticket; 0-RTT is accepted only when the
   * resuming connection has the same context. Default: empty.
   */
  earlyDataContext?: Buffer;
}

/**
 * 0-RTT anti-replay (RFC 8446 §8). Tickets carry the instance that issued
 * them and only that instance accepts 0-RTT with them, so its register sees
 * every use of its tickets (a copy sent to another worker or replica gets a
 * full handshake's worth of 1-RTT instead).
 */
export interface QuicTlsEarlyDataGuard {
  /** This server instance (random per process): sealed into the tickets it issues. */
  instance: Buffer;
  /** True the first time this ClientHello (its PSK binder) offers early data; false for a replay (then 1-RTT). */
  firstUse(binder: Buffer, nowMs: number): boolean;
}

export interface QuicTlsClientOptions extends QuicTlsCommonOptions {
  serverName: string | undefined;
  alpn: string[];
  /** CA certificates (PEM) to verify the server against; omit with `insecure: true` for tests. */
  caPem?: string[];
  insecure?: boolean;
  /** A ticket from an earlier connection's `onSessionTicket`, to resume. */
  session?: Buffer;
  onSessionTicket?(session: Buffer): void;
  /** Our certificate, sent when the server asks for one (mTLS). */
  clientCertificate?: QuicTlsServerCertificate;
  /** Send 0-RTT when `session` allows it (installSecret('early', 'write', …) right away). */
  earlyData?: boolean;
}
