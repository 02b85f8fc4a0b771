/**
 * Sticky sessions by cookie, as Traefik v3 does them: the balancer sets a
 * cookie naming the member it picked (the first 16 hex digits of the SHA-256
 * of the server URL, or of the child service's name for weighted services),
 * and a request carrying that cookie goes to the same member while it is
 * healthy. Everything per member — its cookie value and its whole Set-Cookie
 * line, and the hook that appends it — is computed once per configuration
 * version, so a sticky request costs a header scan and a map lookup.
 */
import { createHash } from 'node:crypto';
import type { Exchange, HeaderMap, ResponseHeadersHook } from '../exchange/exchange.js';
import type { StickyCookie } from '../dynamic/model.js';

/** Traefik's default cookie name: `_` and 5 hex digits of SHA-1("_TRAEFIK_BACKEND_" + qualified service name). */
export function defaultStickyCookieName(serviceName: string): string {
  return (
    '_' +
    createHash('sha1')
      .update('_TRAEFIK_BACKEND_' + serviceName)
      .digest('hex')
  ).slice(0, 6);
}

/** A configured name keeps only RFC 2616 token characters; others become `_` (as Traefik does). */
export function sanitizeCookieName(name: string): string {
  return name.replace(/[^A-Za-z0-9!#$%&'*+\-.^`|~]/g, '_');
}

/** The value a member is known by in the cookie. */
export function stickyCookieValue(memberName: string): string {
  return createHash('sha256').update(memberName).digest('hex').slice(0, 16);
}

/** The Set-Cookie line, attributes in the order Go's net/http writes them. */
export function setCookieLine(name: string, value: string, cookie: StickyCookie): string {
  let line = `${name}=${value}`;
  const path = cookie.path ?? '/';
  if (path !== '') line += `; Path=${path}`;
  if (cookie.domain) line += `; Domain=${cookie.domain.replace(/^\./, '')}`;
  const maxAge = cookie.maxAge ?? 0;
  if (maxAge > 0) line += `; Max-Age=${maxAge}`;
  else if (maxAge < 0) line += '; Max-Age=0';
  if (cookie.httpOnly) line += '; HttpOnly';
  if (cookie.secure) line += '; Secure';
  const sameSite = (cookie.sameSite ?? '').toLowerCase();
  if (sameSite === 'none') line += '; SameSite=None';
  else if (sameSite === 'lax') line += '; SameSite=Lax';
  else if (sameSite === 'strict') line += '; SameSite=Strict';
  return line;
}

/** Append a Set-Cookie line, keeping those the backend (or a nested balancer) set. */
function appendSetCookie(headers: HeaderMap, line: string): void {
  const existing = headers['set-cookie'];
  if (existing === undefined) headers['set-cookie'] = line;
  else if (Array.isArray(existing)) existing.push(line);
  else headers['set-cookie'] = [existing, line];
}

/** The value of cookie `name` in the request's Cookie header(s) (HTTP/2 and 3 may split them), or undefined. */
export function requestCookie(headers: HeaderMap, name: string): string | undefined {
  const raw = headers.cookie;
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return findCookie(raw, name);
  for (const part of raw) {
    const v = findCookie(part, name);
    if (v !== undefined) return v;
  }
  return undefined;
}

function findCookie(header: string, name: string): string | undefined {
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at < 0) return undefined;
    const end = at + name.length;
    // A whole cookie name: at the start or after `;` and spaces, followed by `=`.
    let before = at - 1;
    while (before >= 0 && header.charCodeAt(before) === 32) before--;
    if ((before < 0 || header.charCodeAt(before) === 59) && header.charCodeAt(end) === 61) {
      const stop = header.indexOf(';', end + 1);
      let value = header.slice(end + 1, stop < 0 ? header.length : stop).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    from = end;
  }
  return undefined;
}

/** One balancer's stickiness over its members (servers or child services). */
export class StickySessions<T> {
  readonly name: string;
  private readonly byValue = new Map<string, T>();
  /** Members found by a legacy value (the raw name, as Traefik v2 wrote it): the cookie is rewritten. */
  private readonly byLegacyValue = new Map<string, T>();
  private readonly hooks = new Map<T, ResponseHeadersHook>();

  constructor(cookie: StickyCookie, serviceName: string, members: ReadonlyArray<{ member: T; name: string }>) {
    this.name = cookie.name ? sanitizeCookieName(cookie.name) : defaultStickyCookieName(serviceName);
    for (const { member, name } of members) {
      const value = stickyCookieValue(name);
      this.byValue.set(value, member);
      this.byLegacyValue.set(name, member);
      const line = setCookieLine(this.name, value, cookie);
      this.hooks.set(member, (_status, headers) => appendSetCookie(headers, line));
    }
  }

  /**
   * The member the request's cookie names, if it is `usable` (else the
   * balancer picks anew). A Traefik v2 cookie (the raw name) still sticks and
   * is replaced by the current form.
   */
  stuck(ex: Exchange, usable: (member: T) => boolean): T | undefined {
    const value = requestCookie(ex.requestHeaders, this.name);
    if (value === undefined) return undefined;
    const member = this.byValue.get(value);
    if (member !== undefined) return usable(member) ? member : undefined;
    const legacy = this.byLegacyValue.get(value);
    if (legacy === undefined || !usable(legacy)) return undefined;
    this.stick(ex, legacy);
    return legacy;
  }

  /** Set the cookie naming `member` on the response. */
  stick(ex: Exchange, member: T): void {
    ex.onResponseHeaders(this.hooks.get(member)!);
  }
}
