import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('addPrefix', () => {
  test('prepends the prefix, keeps the query; a missing leading slash is added', async () => {
    const svc = recordingService();
    await run(wrap('addPrefix', { prefix: '/v2' }, svc), { url: '/users?x=1' });
    await run(wrap('addPrefix', { prefix: 'api/' }, svc), { url: '/users' });
    expect(svc.seen.map((s) => s.url)).toEqual(['/v2/users?x=1', '/api/users']);
  });
  test('validation', () => {
    expect(problems('addPrefix', {})).toEqual(['http.middlewares.m.addPrefix.prefix: is required']);
    expect(problems('addPrefix', { prefix: 3 })).toEqual(['http.middlewares.m.addPrefix.prefix: must be string']);
  });
});
