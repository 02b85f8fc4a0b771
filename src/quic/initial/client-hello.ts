/**
 * Just enough of a TLS 1.3 ClientHello parser (RFC 8446 §4.1.2) to route a
 * connection: the server_name (RFC 6066 §3) and ALPN (RFC 7301) extensions.
 * Every length is bounds-checked; malformed input returns a reason, never throws.
 */

const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const HANDSHAKE_CLIENT_HELLO = 1;

export type ClientHelloParse = { ok: true; serverName?: string; alpn: string[] } | { ok: false; reason: string };

/**
 * Parses a complete handshake message (4-byte header included) that must be
 * a ClientHello. The server name is returned lower-cased (DNS names are
 * case-insensitive) and must be printable ASCII.
 */
export function parseClientHello(msg: Uint8Array): ClientHelloParse {
  if (msg.length < 4 || msg[0] !== HANDSHAKE_CLIENT_HELLO) return { ok: false, reason: 'first handshake message is not a ClientHello' };
  const end = 4 + ((msg[1]! << 16) | (msg[2]! << 8) | msg[3]!);
  if (end > msg.length) return { ok: false, reason: 'ClientHello truncated' };
  let p = 4 + 2 + 32; // legacy_version, random
  if (p + 1 > end) return { ok: false, reason: 'ClientHello truncated before session id' };
  p += 1 + msg[p]!; // legacy_session_id
  if (p + 2 > end) return { ok: false, reason: 'ClientHello truncated before cipher suites' };
  p += 2 + ((msg[p]! << 8) | msg[p + 1]!);
  if (p + 1 > end) return { ok: false, reason: 'ClientHello truncated before compression methods' };
  p += 1 + msg[p]!;
  if (p + 2 > end) return { ok: false, reason: 'ClientHello has no extensions (QUIC requires transport parameters)' };
  const extEnd = p + 2 + ((msg[p]! << 8) | msg[p + 1]!);
  if (extEnd > end) return { ok: false, reason: 'ClientHello extensions overrun the message' };
  p += 2;
  let serverName: string | undefined;
  const alpn: string[] = [];
  while (p < extEnd) {
    if (p + 4 > extEnd) return { ok: false, reason: 'truncated extension header' };
    const type = (msg[p]! << 8) | msg[p + 1]!;
    const len = (msg[p + 2]! << 8) | msg[p + 3]!;
    const body = p + 4;
    p = body + len;
    if (p > extEnd) return { ok: false, reason: `extension 0x${type.toString(16)} overruns the extension block` };
    if (type === EXT_SERVER_NAME) {
      const r = parseServerName(msg, body, p);
      if (typeof r === 'object') return r;
      serverName = r;
    } else if (type === EXT_ALPN) {
      const r = parseAlpn(msg, body, p, alpn);
      if (r) return r;
    }
  }
  return serverName === undefined ? { ok: true, alpn } : { ok: true, serverName, alpn };
}

function parseServerName(msg: Uint8Array, p: number, end: number): string | undefined | { ok: false; reason: string } {
  if (p + 2 > end) return { ok: false, reason: 'server_name extension truncated' };
  const listEnd = p + 2 + ((msg[p]! << 8) | msg[p + 1]!);
  if (listEnd !== end) return { ok: false, reason: 'server_name list length disagrees with the extension length' };
  p += 2;
  let name: string | undefined;
  while (p < listEnd) {
    if (p + 3 > listEnd) return { ok: false, reason: 'server_name entry truncated' };
    const nameType = msg[p]!;
    const len = (msg[p + 1]! << 8) | msg[p + 2]!;
    const start = p + 3;
    p = start + len;
    if (p > listEnd || len === 0) return { ok: false, reason: 'server_name entry has a bad length' };
    if (nameType !== 0 || name !== undefined) continue; // only the first host_name counts
    let s = '';
    for (let i = start; i < p; i++) {
      let c = msg[i]!;
      if (c <= 0x20 || c >= 0x7f) return { ok: false, reason: 'server_name contains a non-printable or non-ASCII byte' };
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      s += String.fromCharCode(c);
    }
    name = s;
  }
  return name;
}

function parseAlpn(msg: Uint8Array, p: number, end: number, out: string[]): { ok: false; reason: string } | undefined {
  if (p + 2 > end) return { ok: false, reason: 'ALPN extension truncated' };
  const listEnd = p + 2 + ((msg[p]! << 8) | msg[p + 1]!);
  if (listEnd !== end) return { ok: false, reason: 'ALPN list length disagrees with the extension length' };
  p += 2;
  while (p < listEnd) {
    const len = msg[p]!;
    const start = p + 1;
    p = start + len;
    if (len === 0 || p > listEnd) return { ok: false, reason: 'ALPN protocol name has a bad length' };
    out.push(Buffer.from(msg.buffer, msg.byteOffset + start, len).toString('latin1'));
  }
  return undefined;
}
