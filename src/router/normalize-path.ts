/**
 * Normalise a request-target so that a path cannot reach a backend by a route
 * the router did not match: percent-encoded unreserved characters are decoded
 * (so `%2e%2e` is `..`), dot segments are resolved (never above the root) and
 * empty segments collapsed. Encodings that change a path's structure or hide
 * control bytes (`%2F`, `%5C`, `%00`, raw backslashes, control characters) are
 * refused outright — there is no safe way to route them.
 */
export type NormalizedTarget = { ok: true; path: string; query: string } | { ok: false; reason: string };

const HEX = /^[0-9A-Fa-f]{2}$/;

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

/** Fast path: nothing to decode, no dot segments, no double slashes. */
const SIMPLE = /^\/(?:[A-Za-z0-9\-_~!$&'()*+,;=:@]+\/?)*$/;

export function normalizePath(target: string): NormalizedTarget {
  if (target === '*') return { ok: true, path: '*', query: '' };
  let t = target;
  if (t[0] !== '/') {
    // absolute-form (proxies, and HTTP/2 clients never send it, but HTTP/1.1 allows it)
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(t);
    if (!m) return { ok: false, reason: 'request-target must start with "/"' };
    t = t.slice(m[0].length) || '/';
    if (t[0] === '?') t = '/' + t;
  }
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const query = q < 0 ? '' : t.slice(q + 1);
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x23) return { ok: false, reason: 'control character or "#" in query' };
  }
  if (SIMPLE.test(rawPath) && !rawPath.includes('//')) return { ok: true, path: rawPath, query };

  // Decode unreserved percent-encodings; upper-case the hex of the rest.
  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    const c = rawPath.charCodeAt(i);
    if (c < 0x21 || c === 0x7f || c === 0x23) return { ok: false, reason: 'control character, space or "#" in path' };
    if (ch === '\\') return { ok: false, reason: 'backslash in path' };
    if (ch === '%') {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { ok: false, reason: 'invalid percent-encoding in path' };
      const v = parseInt(hex, 16);
      if (v === 0x2f || v === 0x5c) return { ok: false, reason: 'encoded slash or backslash in path' };
      if (v < 0x20 || v === 0x7f) return { ok: false, reason: 'encoded control character in path' };
      decoded += isUnreserved(v) ? String.fromCharCode(v) : '%' + hex.toUpperCase();
      i += 2;
      continue;
    }
    decoded += ch;
  }
  // Resolve dot segments (RFC 3986 §5.2.4) and drop empty segments.
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  const last = segments[segments.length - 1];
  const trailing = out.length > 0 && (last === '' || last === '.' || last === '..');
  const path = '/' + out.join('/') + (trailing ? '/' : '');
  return { ok: true, path, query };
}
