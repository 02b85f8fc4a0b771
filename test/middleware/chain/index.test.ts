import { describe, expect, test } from 'vitest';
import { middleware, problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('chain', () => {
  test('applies the named middlewares in order', async () => {
    const strip = middleware('stripPrefix', { prefixes: ['/api'] });
    const add = middleware('addPrefix', { prefix: '/v2' });
    const byName: Record<string, typeof strip> = { strip, add };
    const svc = recordingService();
    const h = wrap('chain', { middlewares: ['strip', 'add'] }, svc, { resolve: (n) => byName[n]!, onDispose: () => {} });
    await run(h, { url: '/api/users' });
    expect(svc.seen[0]!.url).toBe('/v2/users');
  });
  test('an unknown member is an error naming it', () => {
    expect(() => wrap('chain', { middlewares: ['ghost'] }, recordingService())).toThrow('http.middlewares.m.chain: no middleware named "ghost"');
    expect(problems('chain', { middlewares: [] })).toEqual(['http.middlewares.m.chain.middlewares: must list at least 1 item']);
  });
});
