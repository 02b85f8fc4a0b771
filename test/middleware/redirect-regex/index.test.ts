import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('redirectRegex', () => {
  test('matches the full URL; groups in the replacement; status by permanence and method', async () => {
    const svc = recordingService();
    const h = wrap('redirectRegex', { regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}' }, svc);
    const r = await run(h, { url: '/path?q=1', authority: 'localhost' });
    expect(r.statusCode).toBe(302);
    expect(r.responseHeaders.location).toBe('http://mydomain/path?q=1');
    expect((await run(h, { url: '/x', authority: 'localhost', method: 'PUT' })).statusCode).toBe(307);
    const p = wrap('redirectRegex', { regex: '^https://([^/]+)/go/(.*)', replacement: 'https://docs.example/$2', permanent: true }, svc);
    expect((await run(p, { scheme: 'https', url: '/go/a' })).statusCode).toBe(301);
    expect((await run(p, { scheme: 'https', url: '/go/a', method: 'POST' })).statusCode).toBe(308);
    expect(svc.seen).toHaveLength(0);
  });
  test('no match, or a replacement equal to the URL: passes through', async () => {
    const svc = recordingService();
    await run(wrap('redirectRegex', { regex: '^http://other/', replacement: 'http://x/' }, svc));
    await run(wrap('redirectRegex', { regex: '^(.*)$', replacement: '$1' }, svc));
    expect(svc.seen).toHaveLength(2);
  });
  test('validation', () => {
    expect(problems('redirectRegex', { regex: '[', replacement: 'x' })[0]).toMatch(/^http\.middlewares\.m\.redirectRegex\.regex: invalid regular expression/);
    expect(problems('redirectRegex', { regex: 'x', replacement: 'y', permanent: 'yes' })).toEqual([
      'http.middlewares.m.redirectRegex.permanent: must be boolean',
    ]);
  });
});
