import { describe, expect, test } from 'vitest';
import { canonicalPathEncoding, normalizePath } from '../../src/router/normalize-path.js';

const path = (t: string, method?: string) => {
  const r = normalizePath(t, method);
  return r.ok ? r.path : `!${r.reason}`;
};

describe('normalizePath', () => {
  test('dot segments, encoded dots and repeated slashes cannot bypass a route', () => {
    const admin: Array<[string, string]> = [
      ['/a/../admin', '/admin'],
      ['/a/%2e%2e/admin', '/admin'],
      ['/a/%2E%2e/admin', '/admin'],
      ['/a/.%2e/admin', '/admin'],
      ['/a/%2e./admin', '/admin'],
      ['/a/b/%2e%2e/%2E%2E/admin', '/admin'],
      ['//admin', '/admin'],
      ['///admin//', '/admin/'],
      ['/./admin', '/admin'],
      ['/%2e/admin', '/admin'],
      ['/admin/.', '/admin/'],
      ['/admin/%2e', '/admin/'],
      ['/../../admin', '/admin'],
      ['/%2e%2e/%2e%2e/admin', '/admin'],
      ['/%61dmin', '/admin'],
      ['/%41DMIN', '/ADMIN'],
      ['/a/./b/../../admin', '/admin'],
      ['/public/..//admin', '/admin'],
      ['/public/.%2E//./admin', '/admin'],
    ];
    for (const [raw, want] of admin) expect(path(raw), raw).toBe(want);
  });

  test('ordinary paths are left alone, and returned without copying', () => {
    const plain = ['/', '/plain/path', '/static/app.min.js', '/a/.well-known/x', '/a/..b/c', '/a/b./c', "/!$&'()*+,;=:@~_-", '/x%C3%A9', '/a%3Fb', '/a%25b'];
    for (const p of plain) expect(path(p), p).toBe(p);
    const input = '/some/long/enough/path';
    const r = normalizePath(input);
    expect(r.ok && r.path).toBe(input);
  });

  test('encodings become canonical: unreserved decoded, the rest upper-case hex, raw specials encoded', () => {
    expect(path('/caf%c3%a9')).toBe('/caf%C3%A9');
    // Request-targets arrive one char per octet (latin1), as Node's parsers and our QPACK decoder give them.
    expect(path('/caf\u00c3\u00a9')).toBe('/caf%C3%A9');
    expect(path('/caf\u00e9')).toMatch(/^!path is not valid UTF-8/); // a lone latin1 é octet
    expect(path('/caf\u00c3%a9')).toBe('/caf%C3%A9'); // raw and encoded octets of one character
    expect(path('/a%7eb%5f')).toBe('/a~b_');
    expect(path('/a%3fb')).toBe('/a%3Fb');
    expect(path('/a"b<c>{d}|e^f`g[h]')).toBe('/a%22b%3Cc%3E%7Bd%7D%7Ce%5Ef%60g%5Bh%5D');
    expect(path('/😀')).toBe('/%F0%9F%98%80');
    expect(path('/a%252e%252e/x')).toBe('/a%252e%252e/x'); // %25 stays encoded: no double decoding
  });

  test('structure-changing or hidden bytes are refused with a reason', () => {
    const refused: Array<[string, RegExp]> = [
      ['/a%2f..%2fadmin', /^encoded slash \(%2F\)/],
      ['/a%2F..%2Fadmin', /^encoded slash/],
      ['/a%5cadmin', /^encoded backslash \(%5C\)/],
      ['/a\\..\\admin', /^backslash in path/],
      ['/a%00b', /^encoded control character \(%00\)/],
      ['/a%0d%0aX: y', /^encoded control character/],
      ['/a%7f', /^encoded control character/],
      ['/a\u0000b', /^control character/],
      ['/a\tb', /^control character/],
      ['/a b', /^space in path/],
      ['/a%zz', /^invalid percent-encoding "%zz"/],
      ['/a%2', /^invalid percent-encoding/],
      ['/a%', /^invalid percent-encoding/],
      ['/%c0%ae%c0%ae/admin', /not valid UTF-8/],
      ['/%e0%80%ae', /not valid UTF-8/],
      ['/%ed%a0%80', /not valid UTF-8/],
      ['/%c3', /not valid UTF-8/],
      ['/%c3a', /not valid UTF-8/],
      ['/%80', /not valid UTF-8/],
      ['/\u00c0\u00ae', /not valid UTF-8/],
      ['/%f4%90%80%80', /not valid UTF-8/],
      ['/%c3/', /not valid UTF-8/],
      ['/public/..;/admin', /dot segment with parameters/],
      ['/public/.;x/admin', /dot segment with parameters/],
      ['/public/%2e%2e;/admin', /dot segment with parameters/],
      ['/a#frag', /fragment/],
      ['/a?b#frag', /fragment/],
      ['/a?b\u0001', /control character in query/],
      ['admin', /must be origin-form/],
      ['example.com:443', /must be origin-form/],
      ['ftp://h/x', /must be origin-form/],
      ['http:///x', /without a host/],
      ['http://user:pw@h/x', /user information/],
      ['\ud800', /must be origin-form/],
      ['/\ud800', /unpaired surrogate/],
    ];
    for (const [raw, reason] of refused) {
      const r = normalizePath(raw);
      expect(r.ok, raw).toBe(false);
      if (!r.ok) expect(r.reason, raw).toMatch(reason);
    }
  });

  test('query is kept raw; absolute-form gives path and authority; * only for OPTIONS', () => {
    expect(normalizePath('/a/../b?x=%2e%2e&y=/')).toEqual({ ok: true, path: '/b', query: 'x=%2e%2e&y=/' });
    expect(normalizePath('/b?')).toEqual({ ok: true, path: '/b', query: '' });
    expect(normalizePath('http://Example.com:8080/a/./b?q')).toEqual({ ok: true, path: '/a/b', query: 'q', authority: 'Example.com:8080' });
    expect(normalizePath('HTTPS://example.com')).toEqual({ ok: true, path: '/', query: '', authority: 'example.com' });
    expect(normalizePath('http://example.com?x=1')).toEqual({ ok: true, path: '/', query: 'x=1', authority: 'example.com' });
    expect(normalizePath('http://h/%2e%2e/admin')).toMatchObject({ ok: true, path: '/admin' });
    expect(normalizePath('*')).toEqual({ ok: true, path: '*', query: '' });
    expect(normalizePath('*', 'OPTIONS')).toEqual({ ok: true, path: '*', query: '' });
    expect(path('*', 'GET')).toMatch(/only valid with OPTIONS/);
  });

  test('normalising is idempotent and never yields dot or empty segments (randomised, bounded)', () => {
    const parts = ['a', 'b', '.', '..', '%2e', '%2E%2e', '', '%41', '%c3%a9', '\u00c3\u00a9', '~', '%7E', 'x.y', '..a'];
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 3000; i++) {
      const n = 1 + rnd(7);
      let raw = '';
      for (let k = 0; k < n; k++) raw += '/' + parts[rnd(parts.length)];
      const r = normalizePath(raw);
      expect(r.ok, raw).toBe(true);
      if (!r.ok) continue;
      expect(r.path.startsWith('/'), raw).toBe(true);
      expect(
        r.path
          .split('/')
          .slice(1, -1)
          .some((s) => s === '' || s === '.' || s === '..'),
        `${raw} → ${r.path}`,
      ).toBe(false);
      expect(/\/\.\.?$/.test(r.path), `${raw} → ${r.path}`).toBe(false);
      expect(/%(2e|2E|41|7E|7e)/.test(r.path), `${raw} → ${r.path}`).toBe(false);
      expect(normalizePath(r.path), raw).toEqual(r);
    }
  });
});

test('canonicalPathEncoding touches encoding only, never segments; rule text is Unicode', () => {
  expect(canonicalPathEncoding('/café', 'unicode')).toEqual({ ok: true, path: '/caf%C3%A9' });
  expect(canonicalPathEncoding('/café', 'octets')).toMatchObject({ ok: false });
  expect(canonicalPathEncoding('/a/../%2e/b')).toEqual({ ok: true, path: '/a/.././b' });
  expect(canonicalPathEncoding('/x%2fy')).toMatchObject({ ok: false });
});
