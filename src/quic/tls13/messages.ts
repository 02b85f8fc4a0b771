/**
 * TLS 1.3 handshake messages for QUIC (RFC 8446 §4, RFC 9001 §8): parse and
 * build. Parsers take the message body (after the 4-byte header) and raise
 * QuicTlsAlert only: decode_error for bad framing, illegal_parameter for
 * well-framed but forbidden values.
 */
import { Alert, ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';
import { Reader, Writer } from './wire.js';

export interface KeyShareEntry {
  group: number;
  key: Buffer;
}

export interface PskIdentity {
  identity: Buffer;
  obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Buffer[];
  /** Length of the binders list including its 2-byte length: the ClientHello is hashed without it. */
  bindersLength: number;
}

export interface ClientHello {
  random: Buffer;
  sessionId: Buffer;
  cipherSuites: number[];
  serverName?: string;
  alpn?: string[];
  supportedVersions?: number[];
  supportedGroups?: number[];
  keyShares?: KeyShareEntry[];
  signatureAlgorithms?: number[];
  signatureAlgorithmsCert?: number[];
  transportParameters?: Buffer;
  pskModes?: number[];
  preSharedKey?: OfferedPsks;
  earlyData: boolean;
  cookie?: Buffer;
}

export interface ServerHello {
  random: Buffer;
  sessionIdEcho: Buffer;
  cipherSuite: number;
  /** True when random is the HelloRetryRequest value. */
  helloRetryRequest: boolean;
  selectedVersion?: number;
  /** ServerHello: the server's share. HelloRetryRequest: only the group (empty key). */
  keyShare?: KeyShareEntry;
  selectedIdentity?: number;
  cookie?: Buffer;
}

export interface EncryptedExtensions {
  alpn?: string;
  transportParameters?: Buffer;
  earlyData: boolean;
  serverNameAck: boolean;
}

export interface CertificateRequest {
  context: Buffer;
  signatureAlgorithms: number[];
}

export interface CertificateMessage {
  context: Buffer;
  certificates: Buffer[];
}

export interface CertificateVerify {
  scheme: number;
  signature: Buffer;
}

export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Buffer;
  ticket: Buffer;
  maxEarlyData: number;
}

/** Frames a handshake message: type, uint24 length, body. */
export function handshakeMessage(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  body.copy(out, 4);
  return out;
}

function illegal(message: string): QuicTlsAlert {
  return new QuicTlsAlert(Alert.illegalParameter, message);
}

/**
 * Walks an extension block: each extension once (a duplicate is
 * illegal_parameter, RFC 8446 §4.2), each body consumed exactly by `handle`.
 */
function forEachExtension(block: Reader, handle: (type: number, body: Reader) => void): void {
  const seen = new Set<number>();
  while (block.remaining) {
    const type = block.u16('extension type');
    const body = block.sub16('extension data');
    if (seen.has(type)) throw illegal(`duplicate extension 0x${type.toString(16)}`);
    seen.add(type);
    handle(type, body);
    body.expectEnd(`extension 0x${type.toString(16)}`);
  }
}

function u16List(r: Reader, what: string, minItems = 1): number[] {
  const list = r.sub16(what);
  if (list.remaining % 2 !== 0) throw new QuicTlsAlert(Alert.decodeError, `${what} has an odd length`);
  const out: number[] = [];
  while (list.remaining) out.push(list.u16(what));
  if (out.length < minItems) throw new QuicTlsAlert(Alert.decodeError, `${what} is empty`);
  return out;
}

function alpnList(r: Reader): string[] {
  const list = r.sub16('ALPN list');
  const out: string[] = [];
  while (list.remaining) {
    const name = list.vec8('ALPN protocol');
    if (name.length === 0) throw new QuicTlsAlert(Alert.decodeError, 'empty ALPN protocol name');
    out.push(name.toString('latin1'));
  }
  if (!out.length) throw new QuicTlsAlert(Alert.decodeError, 'empty ALPN list');
  return out;
}

/** host_name from a server_name extension, lower-cased; only printable ASCII (RFC 6066 §3). */
function serverNameList(r: Reader): string | undefined {
  const list = r.sub16('server_name list');
  let name: string | undefined;
  if (!list.remaining) throw new QuicTlsAlert(Alert.decodeError, 'empty server_name list');
  while (list.remaining) {
    const type = list.u8('server_name type');
    const value = list.vec16('server_name');
    if (type !== 0) continue;
    if (name !== undefined) throw illegal('two host_name entries in server_name');
    if (value.length === 0) throw new QuicTlsAlert(Alert.decodeError, 'empty host_name');
    let s = '';
    for (const c of value) {
      if (c <= 0x20 || c >= 0x7f) throw illegal('host_name contains a non-printable or non-ASCII byte');
      s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
    }
    if (s.endsWith('.')) throw illegal('host_name ends with a dot');
    name = s;
  }
  return name;
}

function keyShareList(r: Reader): KeyShareEntry[] {
  const list = r.sub16('key_share list');
  const out: KeyShareEntry[] = [];
  while (list.remaining) {
    const group = list.u16('key_share group');
    const key = list.vec16('key_exchange');
    if (key.length === 0) throw new QuicTlsAlert(Alert.decodeError, 'empty key_exchange');
    if (out.some((e) => e.group === group)) throw illegal(`two key shares for group 0x${group.toString(16)}`);
    out.push({ group, key });
  }
  return out;
}

function offeredPsks(r: Reader): OfferedPsks {
  const ids = r.sub16('PSK identities');
  const identities: PskIdentity[] = [];
  while (ids.remaining) {
    const identity = ids.vec16('PSK identity');
    if (identity.length === 0) throw new QuicTlsAlert(Alert.decodeError, 'empty PSK identity');
    identities.push({ identity, obfuscatedTicketAge: ids.u32('obfuscated_ticket_age') });
  }
  const start = r.offset;
  const bs = r.sub16('PSK binders');
  const binders: Buffer[] = [];
  while (bs.remaining) {
    const b = bs.vec8('PSK binder');
    if (b.length < 32) throw new QuicTlsAlert(Alert.decodeError, 'PSK binder shorter than 32 bytes');
    binders.push(b);
  }
  if (!identities.length || !binders.length) throw new QuicTlsAlert(Alert.decodeError, 'empty pre_shared_key offer');
  if (identities.length !== binders.length) throw illegal('pre_shared_key has a different number of binders and identities');
  return { identities, binders, bindersLength: r.offset - start };
}

/** Parses a ClientHello body (after the 4-byte handshake header). */
export function parseClientHello(body: Buffer): ClientHello {
  const r = new Reader(body);
  const version = r.u16('legacy_version');
  if (version !== 0x0303) throw new QuicTlsAlert(Alert.protocolVersion, `ClientHello legacy_version 0x${version.toString(16)}`);
  const random = r.bytes(32, 'random');
  const sessionId = r.vec8('legacy_session_id');
  if (sessionId.length > 32) throw illegal('legacy_session_id longer than 32 bytes');
  const cipherSuites = u16List(r, 'cipher_suites');
  const compression = r.vec8('legacy_compression_methods');
  if (compression.length !== 1 || compression[0] !== 0) throw illegal('ClientHello compression methods must be exactly [null]');
  if (!r.remaining) throw new QuicTlsAlert(Alert.missingExtension, 'ClientHello without extensions');
  const exts = r.sub16('ClientHello extensions');
  r.expectEnd('ClientHello');
  const ch: ClientHello = { random, sessionId, cipherSuites, earlyData: false };
  forEachExtension(exts, (type, e) => {
    if (ch.preSharedKey) throw illegal('pre_shared_key is not the last extension');
    switch (type) {
      case ExtensionType.serverName: {
        const name = serverNameList(e);
        if (name !== undefined) ch.serverName = name;
        break;
      }
      case ExtensionType.alpn:
        ch.alpn = alpnList(e);
        break;
      case ExtensionType.supportedVersions: {
        const list = e.sub8('supported_versions');
        if (list.remaining === 0 || list.remaining % 2) throw new QuicTlsAlert(Alert.decodeError, 'bad supported_versions length');
        ch.supportedVersions = [];
        while (list.remaining) ch.supportedVersions.push(list.u16());
        break;
      }
      case ExtensionType.supportedGroups:
        ch.supportedGroups = u16List(e, 'supported_groups');
        break;
      case ExtensionType.keyShare:
        ch.keyShares = keyShareList(e);
        break;
      case ExtensionType.signatureAlgorithms:
        ch.signatureAlgorithms = u16List(e, 'signature_algorithms');
        break;
      case ExtensionType.signatureAlgorithmsCert:
        ch.signatureAlgorithmsCert = u16List(e, 'signature_algorithms_cert');
        break;
      case ExtensionType.quicTransportParameters:
        ch.transportParameters = e.bytes(e.remaining);
        break;
      case ExtensionType.pskKeyExchangeModes: {
        const modes = e.vec8('psk_key_exchange_modes');
        if (!modes.length) throw new QuicTlsAlert(Alert.decodeError, 'empty psk_key_exchange_modes');
        ch.pskModes = [...modes];
        break;
      }
      case ExtensionType.preSharedKey:
        ch.preSharedKey = offeredPsks(e);
        break;
      case ExtensionType.earlyData:
        ch.earlyData = true;
        break;
      case ExtensionType.cookie:
        ch.cookie = e.vec16('cookie');
        if (!ch.cookie.length) throw new QuicTlsAlert(Alert.decodeError, 'empty cookie');
        break;
      default:
        e.bytes(e.remaining); // unknown extensions are ignored (RFC 8446 §4.2)
    }
  });
  return ch;
}

function writeExtension(w: Writer, type: number, body: (w: Writer) => void): void {
  w.u16(type).begin(2);
  body(w);
  w.end();
}

/**
 * Builds a ClientHello message (header included). With a pre_shared_key the
 * binders are written as zeros of their final length; patchBinders fills them.
 */
export function buildClientHello(ch: ClientHello, extraExtensions: { type: number; data: Buffer }[] = []): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.clientHello).begin(3);
  w.u16(0x0303).bytes(ch.random).vec8(ch.sessionId);
  w.begin(2);
  for (const s of ch.cipherSuites) w.u16(s);
  w.end();
  w.u8(1).u8(0);
  w.begin(2);
  if (ch.serverName !== undefined) {
    const name = Buffer.from(ch.serverName, 'latin1');
    writeExtension(w, ExtensionType.serverName, (x) => x.begin(2).u8(0).vec16(name).end());
  }
  if (ch.supportedVersions) {
    const versions = ch.supportedVersions;
    writeExtension(w, ExtensionType.supportedVersions, (x) => {
      x.begin(1);
      for (const v of versions) x.u16(v);
      x.end();
    });
  }
  const u16Ext = (type: number, list: number[] | undefined) => {
    if (!list) return;
    writeExtension(w, type, (x) => {
      x.begin(2);
      for (const v of list) x.u16(v);
      x.end();
    });
  };
  u16Ext(ExtensionType.supportedGroups, ch.supportedGroups);
  u16Ext(ExtensionType.signatureAlgorithms, ch.signatureAlgorithms);
  u16Ext(ExtensionType.signatureAlgorithmsCert, ch.signatureAlgorithmsCert);
  if (ch.keyShares) {
    const shares = ch.keyShares;
    writeExtension(w, ExtensionType.keyShare, (x) => {
      x.begin(2);
      for (const s of shares) x.u16(s.group).vec16(s.key);
      x.end();
    });
  }
  if (ch.alpn) {
    const alpn = ch.alpn;
    writeExtension(w, ExtensionType.alpn, (x) => {
      x.begin(2);
      for (const p of alpn) x.vec8(Buffer.from(p, 'latin1'));
      x.end();
    });
  }
  if (ch.transportParameters) w.u16(ExtensionType.quicTransportParameters).vec16(ch.transportParameters);
  if (ch.cookie) {
    const cookie = ch.cookie;
    writeExtension(w, ExtensionType.cookie, (x) => x.vec16(cookie));
  }
  for (const e of extraExtensions) w.u16(e.type).vec16(e.data);
  if (ch.pskModes)
    w.u16(ExtensionType.pskKeyExchangeModes)
      .u16(ch.pskModes.length + 1)
      .vec8(Buffer.from(ch.pskModes));
  if (ch.earlyData) w.u16(ExtensionType.earlyData).u16(0);
  if (ch.preSharedKey) {
    const psk = ch.preSharedKey;
    writeExtension(w, ExtensionType.preSharedKey, (x) => {
      x.begin(2);
      for (const id of psk.identities) x.vec16(id.identity).u32(id.obfuscatedTicketAge);
      x.end();
      x.begin(2);
      for (const b of psk.binders) x.vec8(Buffer.alloc(b.length));
      x.end();
    });
  }
  w.end().end();
  return w.finish();
}

/** Length of the binders block of a built ClientHello's pre_shared_key (the last extension). */
export function bindersBlockLength(binders: Buffer[]): number {
  return 2 + binders.reduce((n, b) => n + 1 + b.length, 0);
}

/** Writes binders into the trailing binders block of a built ClientHello (in place). */
export function patchBinders(message: Buffer, binders: Buffer[]): void {
  let p = message.length - bindersBlockLength(binders) + 2;
  for (const b of binders) {
    message[p++] = b.length;
    b.copy(message, p);
    p += b.length;
  }
}

export function parseServerHello(body: Buffer): ServerHello {
  const r = new Reader(body);
  const version = r.u16('legacy_version');
  if (version !== 0x0303) throw new QuicTlsAlert(Alert.protocolVersion, `ServerHello legacy_version 0x${version.toString(16)}`);
  const random = r.bytes(32, 'random');
  const sessionIdEcho = r.vec8('legacy_session_id_echo');
  const cipherSuite = r.u16('cipher_suite');
  if (r.u8('legacy_compression_method') !== 0) throw illegal('ServerHello compression method is not null');
  const exts = r.sub16('ServerHello extensions');
  r.expectEnd('ServerHello');
  const helloRetryRequest = random.equals(HELLO_RETRY_REQUEST_RANDOM);
  const sh: ServerHello = { random, sessionIdEcho, cipherSuite, helloRetryRequest };
  forEachExtension(exts, (type, e) => {
    switch (type) {
      case ExtensionType.supportedVersions:
        sh.selectedVersion = e.u16('selected_version');
        break;
      case ExtensionType.keyShare:
        sh.keyShare = helloRetryRequest ? { group: e.u16('selected_group'), key: Buffer.alloc(0) } : { group: e.u16('group'), key: e.vec16('key_exchange') };
        break;
      case ExtensionType.preSharedKey:
        if (helloRetryRequest) throw new QuicTlsAlert(Alert.unsupportedExtension, 'pre_shared_key in HelloRetryRequest');
        sh.selectedIdentity = e.u16('selected_identity');
        break;
      case ExtensionType.cookie:
        if (!helloRetryRequest) throw new QuicTlsAlert(Alert.unsupportedExtension, 'cookie in ServerHello');
        sh.cookie = e.vec16('cookie');
        break;
      default:
        throw new QuicTlsAlert(Alert.unsupportedExtension, `unexpected extension 0x${type.toString(16)} in ServerHello`);
    }
  });
  return sh;
}

export function buildServerHello(sh: ServerHello): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.serverHello).begin(3);
  w.u16(0x0303)
    .bytes(sh.helloRetryRequest ? HELLO_RETRY_REQUEST_RANDOM : sh.random)
    .vec8(sh.sessionIdEcho)
    .u16(sh.cipherSuite)
    .u8(0);
  w.begin(2);
  w.u16(ExtensionType.supportedVersions)
    .u16(2)
    .u16(sh.selectedVersion ?? 0x0304);
  if (sh.keyShare) {
    if (sh.helloRetryRequest) w.u16(ExtensionType.keyShare).u16(2).u16(sh.keyShare.group);
    else
      w.u16(ExtensionType.keyShare)
        .u16(4 + sh.keyShare.key.length)
        .u16(sh.keyShare.group)
        .vec16(sh.keyShare.key);
  }
  if (sh.selectedIdentity !== undefined) w.u16(ExtensionType.preSharedKey).u16(2).u16(sh.selectedIdentity);
  if (sh.cookie)
    w.u16(ExtensionType.cookie)
      .u16(sh.cookie.length + 2)
      .vec16(sh.cookie);
  w.end().end();
  return w.finish();
}

export function parseEncryptedExtensions(body: Buffer): EncryptedExtensions {
  const r = new Reader(body);
  const exts = r.sub16('EncryptedExtensions');
  r.expectEnd('EncryptedExtensions');
  const ee: EncryptedExtensions = { earlyData: false, serverNameAck: false };
  forEachExtension(exts, (type, e) => {
    switch (type) {
      case ExtensionType.alpn: {
        const list = alpnList(e);
        if (list.length !== 1) throw illegal('server selected more than one ALPN protocol');
        ee.alpn = list[0]!;
        break;
      }
      case ExtensionType.quicTransportParameters:
        ee.transportParameters = e.bytes(e.remaining);
        break;
      case ExtensionType.earlyData:
        ee.earlyData = true;
        break;
      case ExtensionType.serverName:
        ee.serverNameAck = true;
        break;
      case ExtensionType.supportedGroups:
        e.bytes(e.remaining); // the server's preference, allowed here (RFC 8446 §4.2.7)
        break;
      case ExtensionType.keyShare:
      case ExtensionType.supportedVersions:
      case ExtensionType.preSharedKey:
      case ExtensionType.signatureAlgorithms:
      case ExtensionType.pskKeyExchangeModes:
      case ExtensionType.cookie:
        throw illegal(`extension 0x${type.toString(16)} is forbidden in EncryptedExtensions`);
      default:
        throw new QuicTlsAlert(Alert.unsupportedExtension, `unrequested extension 0x${type.toString(16)} in EncryptedExtensions`);
    }
  });
  return ee;
}

export function buildEncryptedExtensions(ee: EncryptedExtensions): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.encryptedExtensions).begin(3).begin(2);
  if (ee.serverNameAck) w.u16(ExtensionType.serverName).u16(0);
  if (ee.alpn !== undefined) {
    const name = Buffer.from(ee.alpn, 'latin1');
    w.u16(ExtensionType.alpn)
      .u16(name.length + 3)
      .u16(name.length + 1)
      .vec8(name);
  }
  if (ee.transportParameters) w.u16(ExtensionType.quicTransportParameters).vec16(ee.transportParameters);
  if (ee.earlyData) w.u16(ExtensionType.earlyData).u16(0);
  w.end().end();
  return w.finish();
}

export function parseCertificateRequest(body: Buffer): CertificateRequest {
  const r = new Reader(body);
  const context = r.vec8('certificate_request_context');
  const exts = r.sub16('CertificateRequest extensions');
  r.expectEnd('CertificateRequest');
  let signatureAlgorithms: number[] | undefined;
  forEachExtension(exts, (type, e) => {
    if (type === ExtensionType.signatureAlgorithms) signatureAlgorithms = u16List(e, 'signature_algorithms');
    else e.bytes(e.remaining);
  });
  if (!signatureAlgorithms) throw new QuicTlsAlert(Alert.missingExtension, 'CertificateRequest without signature_algorithms');
  return { context, signatureAlgorithms };
}

export function buildCertificateRequest(cr: CertificateRequest): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.certificateRequest).begin(3).vec8(cr.context).begin(2);
  w.u16(ExtensionType.signatureAlgorithms).begin(2).begin(2);
  for (const s of cr.signatureAlgorithms) w.u16(s);
  w.end().end();
  w.end().end();
  return w.finish();
}

export function parseCertificate(body: Buffer): CertificateMessage {
  const r = new Reader(body);
  const context = r.vec8('certificate_request_context');
  const listLength = r.u24('certificate_list');
  if (listLength !== r.remaining) throw new QuicTlsAlert(Alert.decodeError, 'certificate_list length disagrees with the message');
  const certificates: Buffer[] = [];
  while (r.remaining) {
    const der = r.vec24('cert_data');
    if (!der.length) throw new QuicTlsAlert(Alert.decodeError, 'empty cert_data');
    r.vec16('certificate extensions');
    certificates.push(der);
  }
  return { context, certificates };
}

export function buildCertificate(c: CertificateMessage): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.certificate).begin(3).vec8(c.context).begin(3);
  for (const der of c.certificates) w.vec24(der).u16(0);
  w.end().end();
  return w.finish();
}

export function parseCertificateVerify(body: Buffer): CertificateVerify {
  const r = new Reader(body);
  const scheme = r.u16('signature scheme');
  const signature = r.vec16('signature');
  r.expectEnd('CertificateVerify');
  return { scheme, signature };
}

export function buildCertificateVerify(cv: CertificateVerify): Buffer {
  return new Writer().u8(HandshakeType.certificateVerify).begin(3).u16(cv.scheme).vec16(cv.signature).end().finish();
}

export function buildFinished(verifyData: Buffer): Buffer {
  return handshakeMessage(HandshakeType.finished, verifyData);
}

export function parseNewSessionTicket(body: Buffer): NewSessionTicket {
  const r = new Reader(body);
  const lifetime = r.u32('ticket_lifetime');
  const ageAdd = r.u32('ticket_age_add');
  const nonce = r.vec8('ticket_nonce');
  const ticket = r.vec16('ticket');
  if (!ticket.length) throw new QuicTlsAlert(Alert.decodeError, 'empty ticket');
  const exts = r.sub16('NewSessionTicket extensions');
  r.expectEnd('NewSessionTicket');
  let maxEarlyData = 0;
  forEachExtension(exts, (type, e) => {
    if (type === ExtensionType.earlyData) {
      maxEarlyData = e.u32('max_early_data_size');
      // RFC 9001 §4.6.1: in QUIC any other value than 0xffffffff is a PROTOCOL_VIOLATION.
      if (maxEarlyData !== 0xffffffff) throw illegal('max_early_data_size is not 0xffffffff');
    } else e.bytes(e.remaining);
  });
  return { lifetime, ageAdd, nonce, ticket, maxEarlyData };
}

export function buildNewSessionTicket(t: NewSessionTicket): Buffer {
  const w = new Writer();
  w.u8(HandshakeType.newSessionTicket).begin(3).u32(t.lifetime).u32(t.ageAdd).vec8(t.nonce).vec16(t.ticket).begin(2);
  if (t.maxEarlyData) w.u16(ExtensionType.earlyData).u16(4).u32(t.maxEarlyData);
  w.end().end();
  return w.finish();
}
