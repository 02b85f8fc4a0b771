import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('stripPrefix', () => {
  test('first listed prefix that matches wins; X-Forwarded-Prefix names it; query kept', async () => {
    const svc = recordingService();
    const h = wrap('stripPrefix', { prefixes: ['/api/v1', '/api'] }, svc);
    await run(h, { url: '/api/v1/users?x=1' });
    await run(h, { url: '/api/things' });
    await run(h, { url: '/api' });
    await run(h, { url: '/other' });
    expect(svc.seen.map((s) => s.url)).toEqual(['/users?x=1', '/things', '/', '/other']);
    expect(svc.seen.map((s) => s.headers['x-forwarded-prefix'])).toEqual(['/api/v1', '/api', '/api', undefined]);
  });
  test('plain string prefix as in Traefik: /api strips /apiv2 to /v2', async () => {
    const svc = recordingService();
    await run(wrap('stripPrefix', { prefixes: ['/api'] }, svc), { url: '/apiv2' });
    expect(svc.seen[0]!.url).toBe('/v2');
  });
  test('a second strip adds a second X-Forwarded-Prefix value', async () => {
    const svc = recordingService();
    await run(wrap('stripPrefix', { prefixes: ['/a'] }, wrap('stripPrefix', { prefixes: ['/b'] }, svc)), { url: '/a/b/c' });
    expect(svc.seen[0]!.url).toBe('/c');
    expect(svc.seen[0]!.headers['x-forwarded-prefix']).toEqual(['/a', '/b']);
  });
  test('validation', () => {
    expect(problems('stripPrefix', {})).toEqual(['http.middlewares.m.stripPrefix.prefixes: is required']);
    expect(problems('stripPrefix', { prefixes: ['/a', ' '] })).toEqual([
      'http.middlewares.m.stripPrefix.prefixes[1]: an empty prefix would match every path; remove it',
    ]);
    expect(problems('stripPrefix', { prefixes: ['/a'], prefixs: [] })).toEqual(['http.middlewares.m.stripPrefix.prefixs: unknown field']);
  });
});
