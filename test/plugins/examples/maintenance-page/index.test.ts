import { describe, expect, test } from 'vitest';
import maintenancePage from '../../../../plugins/examples/maintenance-page/index.js';
import { recordingService, run } from '../../../../src/testing/memory-exchange.js';

const ctx = { name: 'down@file', resolve: () => { throw new Error('none'); }, onDispose: () => {} };

describe('maintenance-page example plugin', () => {
  test('503 with Retry-After and the page; the backend is not called', async () => {
    const svc = recordingService();
    const ex = await run(maintenancePage.build({ body: '<h1>Back soon</h1>', contentType: 'text/html', retryAfterSeconds: 30 }, ctx)(svc));
    expect(ex.statusCode).toBe(503);
    expect(ex.responseHeaders).toMatchObject({ 'retry-after': '30', 'content-type': 'text/html', 'cache-control': 'no-store' });
    expect(ex.responseBody.toString()).toBe('<h1>Back soon</h1>');
    expect(svc.seen).toHaveLength(0);
  });

  test('operators with the bypass header, and allowed paths, reach the backend', async () => {
    const svc = recordingService();
    const h = maintenancePage.build({ bypassHeader: 'X-Operator', bypassValue: 'yes', allowPaths: ['/healthz'] }, ctx)(svc);
    expect((await run(h, { headers: { 'X-Operator': 'yes' } })).statusCode).toBe(200);
    expect((await run(h, { headers: { 'X-Operator': 'no' } })).statusCode).toBe(503);
    expect((await run(h, { url: '/healthz/ready' })).statusCode).toBe(200);
    expect(svc.seen).toHaveLength(2);
  });

  test('validation', () => {
    expect(maintenancePage.validate({ bypassHeader: 'X-Operator' })).toEqual([['bypassValue', 'bypassHeader and bypassValue go together; set both or neither']]);
    expect(maintenancePage.validate({ retryAfterSeconds: -5 })).toEqual([['retryAfterSeconds', 'must be >= 0']]);
    expect(maintenancePage.validate({ allowPaths: ['healthz'] })).toEqual([['allowPaths[0]', 'must start with "/"']]);
  });
});
