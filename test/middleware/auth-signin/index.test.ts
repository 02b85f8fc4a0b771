import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { respondWith, run } from '../../../src/testing/memory-exchange.js';

describe('authSignin', () => {
  test('a 401 from further down becomes a 302 with rd= scheme://Host + the escaped request URI; its body is dropped', async () => {
    const r = await run(wrap('authSignin', { url: 'https://login.example/start' }, respondWith(401, { 'www-authenticate': 'Bearer' }, ['denied'])), {
      url: '/a b/c?x=1&y=(2)',
      authority: 'app.example:8443',
      scheme: 'https',
    });
    expect(r.statusCode).toBe(302);
    expect(r.responseHeaders.location).toBe('https://login.example/start?rd=https://app.example:8443%2Fa%20b%2Fc%3Fx%3D1%26y%3D%282%29');
    expect(r.responseBody.toString()).not.toContain('denied');
  });

  test('other answers pass untouched; a URL with a query gets &rd=, one that names the parameter gets none; variables filled', async () => {
    const ok = await run(wrap('authSignin', { url: 'https://login.example/start' }, respondWith(403, {}, ['forbidden'])));
    expect([ok.statusCode, ok.responseBody.toString()]).toEqual([403, 'forbidden']);
    const withQuery = await run(wrap('authSignin', { url: 'https://login.example/start?app=1', redirectParam: 'next' }, respondWith(401, {})), {
      url: '/p',
      authority: 'h.example',
      scheme: 'http',
    });
    expect(withQuery.responseHeaders.location).toBe('https://login.example/start?app=1&next=http://h.example%2Fp');
    const own = await run(wrap('authSignin', { url: 'https://login.example/?rd=$scheme://${host}$request_uri' }, respondWith(401, {})), {
      url: '/p?q=1',
      authority: 'H.example:81',
      scheme: 'http',
    });
    expect(own.responseHeaders.location).toBe('https://login.example/?rd=http://h.example/p?q=1');
  });

  test('validation: an http(s) URL is required; unknown nginx variables are named', () => {
    expect(problems('authSignin', { url: 'login' })).not.toEqual([]);
    const found = problems('authSignin', { url: 'https://l.example/?u=$remote_user' });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('$remote_user is not supported');
  });
});
