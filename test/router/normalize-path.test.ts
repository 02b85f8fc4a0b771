import { expect, test } from 'vitest';
import { normalizePath } from '../../src/router/normalize-path.js';

const path = (t: string) => {
  const r = normalizePath(t);
  return r.ok ? r.path : `!${r.reason}`;
};

test('dot segments, encoded dots and repeated slashes cannot bypass a route', () => {
  expect(path('/a/../admin')).toBe('/admin');
  expect(path('/a/%2e%2e/admin')).toBe('/admin');
  expect(path('/a/%2E%2e/admin/')).toBe('/admin/');
  expect(path('//admin')).toBe('/admin');
  expect(path('/./admin')).toBe('/admin');
  expect(path('/admin/.')).toBe('/admin/');
  expect(path('/../../admin')).toBe('/admin');
  expect(path('/a/.%2e/admin')).toBe('/admin');
  expect(path('/%61dmin')).toBe('/admin');
  expect(path('/caf%c3%a9')).toBe('/caf%C3%A9');
  expect(path('/plain/path')).toBe('/plain/path');
  expect(path('/')).toBe('/');
});

test('structure-changing or hidden bytes are refused', () => {
  expect(path('/a%2f..%2fadmin')).toMatch(/^!encoded slash/);
  expect(path('/a%5cadmin')).toMatch(/^!encoded slash or backslash/);
  expect(path('/a\\..\\admin')).toMatch(/^!backslash/);
  expect(path('/a%00b')).toMatch(/^!encoded control/);
  expect(path('/a%zz')).toMatch(/^!invalid percent-encoding/);
  expect(path('/a b')).toMatch(/^!control character/);
  expect(path('admin')).toMatch(/^!request-target must start/);
});

test('query is kept raw; absolute-form and * are understood', () => {
  expect(normalizePath('/a/../b?x=%2e%2e&y=/')).toEqual({ ok: true, path: '/b', query: 'x=%2e%2e&y=/' });
  expect(normalizePath('http://example.com/a/./b?q')).toEqual({ ok: true, path: '/a/b', query: 'q' });
  expect(normalizePath('*')).toEqual({ ok: true, path: '*', query: '' });
});
