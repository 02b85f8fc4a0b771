/**
 * HTTP/3 request message rules (RFC 9114 §4.1.2, §4.2, §4.3.1, §4.4;
 * RFC 9220 §3 for extended CONNECT). A request that breaks them is
 * malformed: the caller resets the stream with H3_MESSAGE_ERROR.
 */
import type { FieldLine } from './qpack/decoder.js';

export interface Http3Request {
  method: string;
  /** Absent only for classic CONNECT. */
  scheme?: string;
  authority?: string;
  /** Absent only for classic CONNECT. */
  path?: string;
  /** Extended CONNECT protocol (e.g. "websocket", "connect-udp"). */
  protocol?: string;
  /** Regular (non-pseudo) fields, in order. */
  headers: FieldLine[];
  /** Parsed content-length, if present. */
  contentLength?: number;
}

export type RequestValidation = { ok: true; request: Http3Request } | { ok: false; reason: string };

/** Fields that only make sense on one HTTP/1.1 hop and are forbidden in HTTP/3 (RFC 9114 §4.2). */
export const CONNECTION_SPECIFIC_FIELDS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

// tchar (RFC 9110 §5.6.2) without upper-case letters: HTTP/3 field names must be lower case.
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

export function isValidFieldName(name: string, start = 0): boolean {
  if (name.length <= start) return false;
  for (let i = start; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) return false;
  }
  return true;
}

/** No NUL, CR or LF anywhere; no leading or trailing whitespace (RFC 9114 §4.1.2, RFC 9110 §5.5). */
export function isValidFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** Validates a decoded request header section and splits pseudo-headers from regular fields. */
export function validateRequestHeaders(fields: FieldLine[], enableConnectProtocol: boolean): RequestValidation {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  let host: string | undefined;
  let contentLength: number | undefined;
  let regular = false;
  const headers: FieldLine[] = [];
  for (const field of fields) {
    const [name, value] = field;
    if (!isValidFieldValue(value)) return bad(`field ${name} has an invalid value (NUL, CR, LF or surrounding whitespace)`);
    if (name.charCodeAt(0) === 0x3a /* ':' */) {
      if (regular) return bad(`pseudo-header ${name} after a regular field`);
      switch (name) {
        case ':method':
          if (method !== undefined) return bad('duplicate :method');
          method = value;
          break;
        case ':scheme':
          if (scheme !== undefined) return bad('duplicate :scheme');
          scheme = value;
          break;
        case ':authority':
          if (authority !== undefined) return bad('duplicate :authority');
          authority = value;
          break;
        case ':path':
          if (path !== undefined) return bad('duplicate :path');
          path = value;
          break;
        case ':protocol':
          if (protocol !== undefined) return bad('duplicate :protocol');
          protocol = value;
          break;
        default:
          return bad(`pseudo-header ${name} is not allowed in a request`);
      }
      continue;
    }
    regular = true;
    if (!isValidFieldName(name)) return bad(`field name ${JSON.stringify(name)} is not a lower-case token`);
    if (CONNECTION_SPECIFIC_FIELDS.has(name)) return bad(`connection-specific field ${name} is not allowed in HTTP/3`);
    if (name === 'te' && value !== 'trailers') return bad('te may only be "trailers"');
    if (name === 'host') host = value;
    if (name === 'content-length') {
      const n = parseContentLength(value);
      if (n === undefined || (contentLength !== undefined && n !== contentLength)) return bad(`invalid content-length ${JSON.stringify(value)}`);
      contentLength = n;
    }
    headers.push(field);
  }
  if (method === undefined || method.length === 0 || !isValidFieldName(method.toLowerCase())) return bad('missing or invalid :method');
  if (method === 'CONNECT' && protocol === undefined) {
    // Classic CONNECT (RFC 9114 §4.4): only :method and :authority.
    if (scheme !== undefined || path !== undefined) return bad('CONNECT must not carry :scheme or :path');
    if (!authority) return bad('CONNECT requires :authority');
    return { ok: true, request: compact({ method, authority, headers, contentLength }) };
  }
  if (protocol !== undefined) {
    if (!enableConnectProtocol) return bad(':protocol used but extended CONNECT is not enabled');
    if (method !== 'CONNECT') return bad(':protocol is only allowed with CONNECT');
    if (protocol.length === 0) return bad('empty :protocol');
  }
  if (!scheme) return bad('missing :scheme');
  if (!path) return bad('missing :path');
  if (scheme === 'http' || scheme === 'https') {
    if (!authority && !host) return bad(`${scheme} request needs :authority or host`);
    if (authority !== undefined && host !== undefined && authority !== host) return bad(':authority and host disagree');
    if (path !== '*' && path.charCodeAt(0) !== 0x2f /* '/' */) return bad(':path must start with "/" (or be "*" for OPTIONS)');
    if (path === '*' && method !== 'OPTIONS') return bad(':path "*" is only valid for OPTIONS');
  }
  return { ok: true, request: compact({ method, scheme, authority: authority ?? host, path, protocol, headers, contentLength }) };
}

/** Digits only, at most 15 of them (keeps it an exact number). */
export function parseContentLength(value: string): number | undefined {
  if (value.length === 0 || value.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}

/** Trailers: regular fields only, same name/value rules, no connection-specific fields. */
export function validateTrailers(fields: FieldLine[]): string | undefined {
  for (const [name, value] of fields) {
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header ${name} in trailers`;
    if (!isValidFieldName(name)) return `trailer name ${JSON.stringify(name)} is not a lower-case token`;
    if (!isValidFieldValue(value)) return `trailer ${name} has an invalid value`;
    if (CONNECTION_SPECIFIC_FIELDS.has(name)) return `connection-specific trailer ${name}`;
  }
  return undefined;
}

function bad(reason: string): RequestValidation {
  return { ok: false, reason };
}

/** Drops undefined optional properties so results compare and serialise cleanly. */
function compact(r: Http3Request): Http3Request {
  for (const k of Object.keys(r) as (keyof Http3Request)[]) if (r[k] === undefined) delete r[k];
  return r;
}
