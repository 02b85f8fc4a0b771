import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('replacePathRegex', () => {
  test('Go-style groups ($1, ${1}, named), every match replaced, original kept', async () => {
    const svc = recordingService();
    await run(wrap('replacePathRegex', { regex: '^/old/(.*)', replacement: '/new/$1' }, svc), { url: '/old/a/b?q' });
    await run(wrap('replacePathRegex', { regex: '^/v(?P<ver>[0-9])/(.*)', replacement: '/${2}/version-${ver}' }, svc), { url: '/v3/items' });
    await run(wrap('replacePathRegex', { regex: 'foo', replacement: 'bar' }, svc), { url: '/foo/foo' });
    await run(wrap('replacePathRegex', { regex: '^/nomatch', replacement: '/x' }, svc), { url: '/kept' });
    expect(svc.seen.map((s) => s.url)).toEqual(['/new/a/b?q', '/items/version-3', '/bar/bar', '/kept']);
    expect(svc.seen.map((s) => s.headers['x-replaced-path'])).toEqual(['/old/a/b', '/v3/items', '/foo/foo', undefined]);
  });
  test('validation', () => {
    expect(problems('replacePathRegex', { regex: '(' })[0]).toBe('http.middlewares.m.replacePathRegex.replacement: is required');
    expect(problems('replacePathRegex', { regex: '(', replacement: '' })[0]).toMatch(
      /^http\.middlewares\.m\.replacePathRegex\.regex: invalid regular expression/,
    );
  });
});
