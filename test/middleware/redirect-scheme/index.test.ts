import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('redirectScheme', () => {
  test('http → https: 302/307 or 301/308 when permanent; default port left out; path and query kept', async () => {
    const svc = recordingService();
    const temp = await run(wrap('redirectScheme', { scheme: 'https' }, svc), { url: '/a?b=1', authority: 'Example.test:8080' });
    expect(temp.statusCode).toBe(302);
    expect(temp.responseHeaders.location).toBe('https://example.test/a?b=1');
    const post = await run(wrap('redirectScheme', { scheme: 'https', permanent: true }, svc), { method: 'POST', url: '/form' });
    expect(post.statusCode).toBe(308);
    const get = await run(wrap('redirectScheme', { scheme: 'https', port: '443', permanent: true }, svc), { url: '/' });
    expect(get.statusCode).toBe(301);
    expect(get.responseHeaders.location).toBe('https://example.test/');
    const port = await run(wrap('redirectScheme', { scheme: 'https', port: 8443 }, svc), { url: '/x', authority: '[::1]:80' });
    expect(port.responseHeaders.location).toBe('https://[::1]:8443/x');
    expect(svc.seen).toHaveLength(0);
  });
  test('already on the target scheme (directly or per X-Forwarded-Proto): passes through', async () => {
    const svc = recordingService();
    const h = wrap('redirectScheme', { scheme: 'https' }, svc);
    expect((await run(h, { scheme: 'https' })).statusCode).toBe(200);
    expect((await run(h, { headers: { 'X-Forwarded-Proto': 'https' } })).statusCode).toBe(200);
    expect(svc.seen).toHaveLength(2);
  });
  test('validation', () => {
    expect(problems('redirectScheme', {})).toEqual(['http.middlewares.m.redirectScheme.scheme: is required']);
    expect(problems('redirectScheme', { scheme: 'https', port: 'x' })[0]).toMatch(/^http\.middlewares\.m\.redirectScheme\.port: /);
    expect(problems('redirectScheme', { scheme: 'https', port: 70000 })[0]).toMatch(/^http\.middlewares\.m\.redirectScheme\.port: /);
  });
});
