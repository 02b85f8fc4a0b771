import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('replacePath', () => {
  test('forwards to the fixed path, keeps the query, original in X-Replaced-Path', async () => {
    const svc = recordingService();
    await run(wrap('replacePath', { path: '/health' }, svc), { url: '/anything/here?q=1' });
    expect(svc.seen[0]!.url).toBe('/health?q=1');
    expect(svc.seen[0]!.headers['x-replaced-path']).toBe('/anything/here');
  });
  test('validation', () => {
    expect(problems('replacePath', { path: 'health' })).toEqual(['http.middlewares.m.replacePath.path: must match pattern "^/"']);
  });
});
