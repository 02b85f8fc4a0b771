/**
 * Read the server name from a TLS ClientHello before the TLS stack sees it
 * (sans-I/O: bytes in, a verdict out). Why: Node's SNICallback only swaps the
 * certificate of the new context's key type into the connection, so the
 * default context's certificate of another type stays and can win the
 * handshake (an RSA certificate lost to the generated ECDSA default). Knowing
 * the name first, the listener starts the handshake with the right context,
 * holding every certificate of that name, and OpenSSL picks the one the
 * client's signature algorithms allow.
 *
 * Bounded: at most MAX_CLIENT_HELLO_BYTES are looked at; a ClientHello split
 * over several records is reassembled.
 */

/** A ClientHello with post-quantum key shares is about 1.8 KB; 16 KiB is a full record. */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024 + 5;

export type ClientHelloVerdict =
  | { kind: 'incomplete' }
  /** Not a ClientHello we can read; the TLS stack will refuse it with an alert. */
  | { kind: 'not-client-hello' }
  /**
   * `alpnProtocols`: what the client offers, in its order (empty without the extension): TCP routers'
   * ALPN rule reads it, and the listener answers `acme-tls/1` with a TLS-ALPN-01 challenge.
   */
  | { kind: 'client-hello'; serverName: string | undefined; alpnProtocols: string[] };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const EXTENSION_ALPN = 0x0010;

export function readClientHello(data: Uint8Array): ClientHelloVerdict {
  // Reassemble the handshake message from the records' payloads.
  const payload: Uint8Array[] = [];
  let payloadLength = 0;
  let at = 0;
  while (at + 5 <= data.length) {
    if (data[at] !== RECORD_HANDSHAKE || data[at + 1] !== 0x03) return { kind: 'not-client-hello' };
    const length = (data[at + 3]! << 8) | data[at + 4]!;
    if (length === 0 || length > 16384 + 256) return { kind: 'not-client-hello' };
    const end = at + 5 + Math.min(length, data.length - at - 5);
    payload.push(data.subarray(at + 5, end));
    payloadLength += end - at - 5;
    at += 5 + length;
    if (payloadLength >= 4) {
      const head = concat(payload, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'not-client-hello' };
      const bodyLength = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
      if (bodyLength + 4 + 5 > MAX_CLIENT_HELLO_BYTES) return { kind: 'not-client-hello' };
      if (payloadLength >= bodyLength + 4) return parseBody(concat(payload, bodyLength + 4).subarray(4));
    }
  }
  if (data.length > 0 && data[0] !== RECORD_HANDSHAKE) return { kind: 'not-client-hello' };
  if (data.length >= MAX_CLIENT_HELLO_BYTES) return { kind: 'not-client-hello' };
  return { kind: 'incomplete' };
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let n = 0;
  for (const p of parts) {
    if (n >= bytes) break;
    const take = p.subarray(0, bytes - n);
    out.set(take, n);
    n += take.length;
  }
  return out;
}

/** The ClientHello body: version, random, session id, cipher suites, compression, extensions. */
function parseBody(body: Uint8Array): ClientHelloVerdict {
  const bad = { kind: 'not-client-hello' } as const;
  let at = 2 + 32;
  if (at + 1 > body.length) return bad;
  at += 1 + body[at]!; // session id
  if (at + 2 > body.length) return bad;
  at += 2 + ((body[at]! << 8) | body[at + 1]!); // cipher suites
  if (at + 1 > body.length) return bad;
  at += 1 + body[at]!; // compression methods
  if (at === body.length) return { kind: 'client-hello', serverName: undefined, alpnProtocols: [] }; // no extensions
  if (at + 2 > body.length) return bad;
  const extensionsEnd = at + 2 + ((body[at]! << 8) | body[at + 1]!);
  if (extensionsEnd > body.length) return bad;
  at += 2;
  let serverName: string | undefined;
  let alpnProtocols: string[] = [];
  while (at + 4 <= extensionsEnd) {
    const type = (body[at]! << 8) | body[at + 1]!;
    const length = (body[at + 2]! << 8) | body[at + 3]!;
    at += 4;
    if (at + length > extensionsEnd) return bad;
    if (type === EXTENSION_SERVER_NAME) serverName = hostName(body.subarray(at, at + length));
    else if (type === EXTENSION_ALPN) alpnProtocols = protocolNames(body.subarray(at, at + length));
    at += length;
  }
  return { kind: 'client-hello', serverName, alpnProtocols };
}

/** ProtocolNameList (RFC 7301): length-prefixed names; anything malformed reads as no offer. */
function protocolNames(ext: Uint8Array): string[] {
  if (ext.length < 2) return [];
  const listEnd = 2 + ((ext[0]! << 8) | ext[1]!);
  if (listEnd > ext.length) return [];
  const names: string[] = [];
  for (let at = 2; at < listEnd;) {
    const length = ext[at]!;
    if (length === 0 || at + 1 + length > listEnd) return [];
    names.push(Buffer.from(ext.subarray(at + 1, at + 1 + length)).toString('latin1'));
    at += 1 + length;
  }
  return names;
}

/** server_name_list: the host_name entry (type 0), as ASCII; anything malformed reads as no name. */
function hostName(ext: Uint8Array): string | undefined {
  if (ext.length < 2) return undefined;
  const listEnd = Math.min(ext.length, 2 + ((ext[0]! << 8) | ext[1]!));
  let at = 2;
  while (at + 3 <= listEnd) {
    const type = ext[at]!;
    const length = (ext[at + 1]! << 8) | ext[at + 2]!;
    at += 3;
    if (at + length > listEnd) return undefined;
    if (type === 0) {
      const name = Buffer.from(ext.subarray(at, at + length)).toString('latin1');
      return /^[\x21-\x7e]{1,253}$/.test(name) ? name : undefined;
    }
    at += length;
  }
  return undefined;
}
