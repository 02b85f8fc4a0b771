import { describe, expect, test } from 'vitest';
import requestId from '../../../../plugins/examples/request-id/index.js';
import { recordingService, run } from '../../../../src/testing/memory-exchange.js';

const ctx = { name: 'rid@file', resolve: () => { throw new Error('none'); }, onDispose: () => {} };

describe('request-id example plugin', () => {
  test('adds a UUID to the request and echoes it in the response', async () => {
    const svc = recordingService();
    const ex = await run(requestId.build({}, ctx)(svc));
    const id = ex.responseHeaders['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(svc.seen[0]!.headers['x-request-id']).toBe(id);
    expect(ex.state.requestId).toBe(id);
  });

  test('keeps a well-formed incoming ID, replaces a malformed one, or all of them when trustIncoming is false', async () => {
    const svc = recordingService();
    const h = requestId.build({ headerName: 'X-Correlation-Id' }, ctx)(svc);
    expect((await run(h, { headers: { 'X-Correlation-Id': 'abc-123' } })).responseHeaders['x-correlation-id']).toBe('abc-123');
    expect((await run(h, { headers: { 'X-Correlation-Id': 'evil\nlog line' } })).responseHeaders['x-correlation-id']).not.toMatch(/evil/);
    const strict = requestId.build({ trustIncoming: false }, ctx)(svc);
    expect((await run(strict, { headers: { 'X-Request-Id': 'abc-123' } })).responseHeaders['x-request-id']).not.toBe('abc-123');
  });

  test('validation', () => {
    expect(requestId.validate({ headerName: 'bad name' })).toEqual([['headerName', 'must match /^[A-Za-z0-9-]+$/']]);
    expect(requestId.validate({ header: 'X' })[0]![0]).toBe('header');
    expect(requestId.validate({})).toEqual([]);
  });
});
