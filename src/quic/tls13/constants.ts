/**
 * TLS 1.3 code points (RFC 8446 §4, §6; RFC 9001 §8.2) used by the QUIC TLS engine.
 */

/** Alert descriptions (RFC 8446 §6). QUIC sends them as CRYPTO_ERROR 0x100 + alert. */
export const Alert = {
  unexpectedMessage: 10,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateExpired: 45,
  illegalParameter: 47,
  unknownCa: 48,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  missingExtension: 109,
  unsupportedExtension: 110,
  unrecognizedName: 112,
  certificateRequired: 116,
  noApplicationProtocol: 120,
} as const;

export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  certificateRequest: 13,
  certificateVerify: 15,
  finished: 20,
  keyUpdate: 24,
  messageHash: 254,
} as const;

export const ExtensionType = {
  serverName: 0,
  supportedGroups: 10,
  signatureAlgorithms: 13,
  alpn: 16,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  quicTransportParameters: 0x39,
} as const;

export const TLS13_VERSION = 0x0304;
export const LEGACY_VERSION = 0x0303;

/** psk_key_exchange_modes: only psk_dhe_ke is used (psk_ke gives no forward secrecy). */
export const PSK_DHE_KE = 1;

export const SignatureScheme = {
  ecdsaSecp256r1Sha256: 0x0403,
  ecdsaSecp384r1Sha384: 0x0503,
  rsaPssRsaeSha256: 0x0804,
  rsaPssRsaeSha384: 0x0805,
  rsaPssRsaeSha512: 0x0806,
  ed25519: 0x0807,
} as const;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** Largest handshake message we buffer. A post-quantum ClientHello is ~1.7 KiB, a certificate chain a few KiB. */
export const MAX_HANDSHAKE_MESSAGE = 64 * 1024;

/** RFC 8446 §4.6.1: a ticket lives at most seven days. */
export const MAX_TICKET_LIFETIME_SECONDS = 7 * 24 * 3600;
