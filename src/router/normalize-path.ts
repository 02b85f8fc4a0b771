/**
 * Turn a raw request-target into the path and query the router matches and
 * the backend receives, so that no spelling of a path reaches a backend by a
 * route the router did not pick:
 *
 * - percent-encoded unreserved characters are decoded (`%2e` is `.`, `%61` is
 *   `a`), every other encoding is kept with upper-case hex (`%c3%a9` → `%C3%A9`);
 * - raw non-ASCII octets and characters that are not allowed in a path
 *   (`"<>[]^`{|}`) are percent-encoded, so raw and encoded spellings are one path;
 * - `.` and `..` segments are resolved (never above the root) and repeated
 *   slashes collapsed; a trailing slash is kept;
 * - refused (the caller answers 400): `%2F` and `%5C` — an encoded slash or
 *   backslash would be one segment to us and a separator to many backends (as
 *   Traefik ≥ 3.6 refuses them by default), so `/a%2f..%2fadmin` never reaches
 *   /admin; raw backslashes; NUL and other control characters, raw or encoded;
 *   malformed percent-encoding; percent-encoded bytes that are not valid UTF-8
 *   (overlong `%c0%ae` is a classic `.` smuggler); dot segments carrying
 *   parameters (`/..;/`, which Tomcat-style backends resolve); fragments; and
 *   any target that is not origin-form, absolute-form or `*`.
 *
 * The query is returned raw (after checking it has no control characters or `#`).
 */
export type NormalizedTarget =
  | {
      ok: true;
      /** Normalised path, or `*` for `OPTIONS *`. */
      path: string;
      /** Raw query without `?`, '' when absent. */
      query: string;
      /** Authority of an absolute-form target (`http://Host:8080/x` → `Host:8080`); it replaces the Host header (RFC 9112 §3.2.2). */
      authority?: string;
    }
  | { ok: false; reason: string };

export type CanonicalPath = { ok: true; path: string } | { ok: false; reason: string };

const UNRESERVED = new Uint8Array(128);
/** Printable ASCII that may stand raw in a path (RFC 3986 pchar plus `/` and `%`). */
const RAW_OK = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
  if (/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/.test(ch)) RAW_OK[c] = 1;
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function encodeByte(b: number): string {
  return '%' + HEX[b >> 4]! + HEX[b & 15]!;
}

/** UTF-8 validation state across one path: continuation bytes still expected, and the allowed range of the next one. */
const utf8 = { need: 0, lo: 0x80, hi: 0xbf };

/** Feed one octet to the UTF-8 check; false when the byte sequence cannot be UTF-8 (overlong, surrogate, truncated…). */
function utf8Accepts(v: number): boolean {
  if (utf8.need > 0) {
    if (v < utf8.lo || v > utf8.hi) return false;
    utf8.need--;
    utf8.lo = 0x80;
    utf8.hi = 0xbf;
    return true;
  }
  if (v < 0x80) return true;
  if (v >= 0xc2 && v <= 0xdf) utf8.need = 1;
  else if (v >= 0xe0 && v <= 0xef) {
    utf8.need = 2;
    if (v === 0xe0) utf8.lo = 0xa0; // overlong
    if (v === 0xed) utf8.hi = 0x9f; // surrogates
  } else if (v >= 0xf0 && v <= 0xf4) {
    utf8.need = 3;
    if (v === 0xf0) utf8.lo = 0x90; // overlong
    if (v === 0xf4) utf8.hi = 0x8f; // beyond U+10FFFF
  } else return false;
  return true;
}

const NOT_UTF8 = { ok: false, reason: 'path is not valid UTF-8 (raw or percent-encoded; overlong and truncated sequences are refused)' } as const;

/**
 * Bring a path's encoding to canonical form (decode unreserved, upper-case
 * hex, encode what may not stand raw) without touching its segments. Used for
 * request paths and for Path/PathPrefix rule arguments, so both compare alike.
 *
 * `text` says what characters above 0x7F are: `octets` for request-targets as
 * Node's HTTP/1 and HTTP/2 parsers and our QPACK decoder deliver them (one
 * char per byte, latin1), `unicode` for text written by people (rules), whose
 * characters are encoded as UTF-8. Either way the bytes must form valid UTF-8.
 */
export function canonicalPathEncoding(raw: string, text: 'octets' | 'unicode' = 'octets'): CanonicalPath {
  let out: string | undefined;
  utf8.need = 0;
  utf8.lo = 0x80;
  utf8.hi = 0xbf;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const h = hexValue(raw.charCodeAt(i + 1));
      const l = hexValue(raw.charCodeAt(i + 2));
      if (h < 0 || l < 0) return { ok: false, reason: `invalid percent-encoding "${raw.slice(i, i + 3)}" in path` };
      const v = h * 16 + l;
      if (v === 0x2f) return { ok: false, reason: 'encoded slash (%2F) in path is refused' };
      if (v === 0x5c) return { ok: false, reason: 'encoded backslash (%5C) in path is refused' };
      if (v < 0x20 || v === 0x7f) return { ok: false, reason: `encoded control character (%${HEX[h]}${HEX[l]}) in path` };
      if (!utf8Accepts(v)) return NOT_UTF8;
      const lowerHex = raw.charCodeAt(i + 1) > 0x60 || raw.charCodeAt(i + 2) > 0x60;
      if (v < 0x80 && UNRESERVED[v]) {
        out ??= raw.slice(0, i);
        out += String.fromCharCode(v);
      } else if (lowerHex) {
        out ??= raw.slice(0, i);
        out += encodeByte(v);
      } else if (out !== undefined) out += raw.slice(i, i + 3);
      i += 2;
      continue;
    }
    if (c < 0x80) {
      if (utf8.need > 0) return NOT_UTF8;
      if (c < 0x21 || c === 0x7f) return { ok: false, reason: c === 0x20 ? 'space in path' : 'control character in path' };
      if (c === 0x5c) return { ok: false, reason: 'backslash in path is refused' };
      if (c === 0x23) return { ok: false, reason: 'fragment ("#") in request-target' };
      if (RAW_OK[c]) {
        if (out !== undefined) out += raw[i];
      } else {
        out ??= raw.slice(0, i);
        out += encodeByte(c);
      }
      continue;
    }
    out ??= raw.slice(0, i);
    if (text === 'octets' && c <= 0xff) {
      // One octet of the request line, sent raw: percent-encode it as such.
      if (!utf8Accepts(c)) return NOT_UTF8;
      out += encodeByte(c);
      continue;
    }
    // A character (not an octet): its UTF-8 bytes, percent-encoded.
    const cp = raw.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return { ok: false, reason: 'unpaired surrogate in path' };
    if (utf8.need > 0) return NOT_UTF8;
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += encodeByte(b);
    if (cp > 0xffff) i++;
  }
  if (utf8.need > 0) return NOT_UTF8;
  return { ok: true, path: out ?? raw };
}

/** True when the path has an empty, `.` or `..` segment (or one with parameters) to resolve. */
function needsSegmentWork(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p.charCodeAt(i) !== 0x2f) continue;
    const a = p.charCodeAt(i + 1);
    if (a === 0x2f) return true; // `//`
    if (a !== 0x2e) continue;
    const b = p.charCodeAt(i + 2);
    if (Number.isNaN(b) || b === 0x2f || b === 0x3b) return true; // `/.`, `/./`, `/.;`
    if (b === 0x2e) {
      const c = p.charCodeAt(i + 3);
      if (Number.isNaN(c) || c === 0x2f || c === 0x3b) return true; // `/..`, `/../`, `/..;`
    }
  }
  return false;
}

function resolveSegments(p: string): CanonicalPath {
  const segments = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      out.pop();
      continue;
    }
    if (s.startsWith('.;') || s.startsWith('..;')) return { ok: false, reason: `dot segment with parameters ("${s}") in path is refused` };
    out.push(s);
  }
  const last = segments[segments.length - 1];
  const trailing = out.length > 0 && (last === '' || last === '.' || last === '..');
  return { ok: true, path: '/' + out.join('/') + (trailing ? '/' : '') };
}

/** Canonical encoding and resolved segments of an origin-form path (starting with `/`). */
export function normalizeOriginPath(rawPath: string, text: 'octets' | 'unicode' = 'octets'): CanonicalPath {
  const enc = canonicalPathEncoding(rawPath, text);
  if (!enc.ok || !needsSegmentWork(enc.path)) return enc;
  return resolveSegments(enc.path);
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/**
 * Normalise a raw request-target. `method`, when given, lets `*` be refused
 * for anything but OPTIONS.
 */
export function normalizePath(target: string, method?: string): NormalizedTarget {
  if (target === '*') {
    if (method !== undefined && method !== 'OPTIONS') return { ok: false, reason: `request-target "*" is only valid with OPTIONS, not ${method}` };
    return { ok: true, path: '*', query: '' };
  }
  let t = target;
  let authority: string | undefined;
  if (t.charCodeAt(0) !== 0x2f) {
    const m = ABSOLUTE_FORM.exec(t);
    if (!m) return { ok: false, reason: 'request-target must be origin-form ("/path"), absolute-form ("http://host/path") or "*"' };
    authority = m[1]!;
    if (!authority) return { ok: false, reason: 'absolute-form request-target without a host' };
    if (authority.includes('@')) return { ok: false, reason: 'user information in the request-target is refused' };
    t = t.slice(m[0].length);
    if (t === '' || t.charCodeAt(0) === 0x3f) t = '/' + t;
  }
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const query = q < 0 ? '' : t.slice(q + 1);
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { ok: false, reason: 'control character in query' };
    if (c === 0x23) return { ok: false, reason: 'fragment ("#") in request-target' };
    if (c === 0x20) return { ok: false, reason: 'space in query' };
  }
  const norm = normalizeOriginPath(rawPath);
  if (!norm.ok) return norm;
  return authority === undefined ? { ok: true, path: norm.path, query } : { ok: true, path: norm.path, query, authority };
}
