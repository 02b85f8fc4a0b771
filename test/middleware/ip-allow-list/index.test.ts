import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('ipAllowList', () => {
  test('peer address inside sourceRange passes; outside gets 403 (IPv4 and IPv6)', async () => {
    const svc = recordingService();
    const h = wrap('ipAllowList', { sourceRange: ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32'] }, svc);
    expect((await run(h, { remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    expect((await run(h, { remoteAddress: '192.168.1.7' })).statusCode).toBe(200);
    expect((await run(h, { remoteAddress: '2001:db8::1' })).statusCode).toBe(200);
    expect((await run(h, { remoteAddress: '192.168.1.8' })).statusCode).toBe(403);
    expect((await run(h, { remoteAddress: '127.0.0.1', headers: { 'X-Forwarded-For': '10.0.0.1' } })).statusCode).toBe(403);
    expect(svc.seen).toHaveLength(3);
  });

  test('ipStrategy.depth picks the Nth address from the right of X-Forwarded-For', async () => {
    const h = wrap('ipAllowList', { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 2 } }, recordingService());
    expect((await run(h, { headers: { 'X-Forwarded-For': '1.1.1.1, 10.0.0.5, 172.16.0.1' } })).statusCode).toBe(200);
    expect((await run(h, { headers: { 'X-Forwarded-For': '10.0.0.5, 1.1.1.1, 172.16.0.1' } })).statusCode).toBe(403);
    // Fewer addresses than the depth: no client address, refused.
    expect((await run(h, { remoteAddress: '10.0.0.1', headers: { 'X-Forwarded-For': '10.0.0.5' } })).statusCode).toBe(403);
  });

  test('ipStrategy.excludedIPs skips our own proxies from the right', async () => {
    const h = wrap('ipAllowList', { sourceRange: ['203.0.113.0/24'], ipStrategy: { excludedIPs: ['10.0.0.0/8', '172.16.0.1'] } }, recordingService());
    expect((await run(h, { headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9, 10.0.0.2, 172.16.0.1' } })).statusCode).toBe(200);
    expect((await run(h, { headers: { 'X-Forwarded-For': '203.0.113.9, 198.51.100.1, 10.0.0.2' } })).statusCode).toBe(403);
  });

  test('validation names the bad range', () => {
    expect(problems('ipAllowList', {})).toEqual(['http.middlewares.m.ipAllowList.sourceRange: is required']);
    expect(problems('ipAllowList', { sourceRange: ['10.0.0.0/8', '10.0.0.0/99'] })).toEqual([
      'http.middlewares.m.ipAllowList.sourceRange[1]: "10.0.0.0/99": prefix length must be 0..32',
    ]);
    expect(problems('ipAllowList', { sourceRange: ['nope'] })).toEqual([
      'http.middlewares.m.ipAllowList.sourceRange[0]: "nope" is not an IP address or CIDR range',
    ]);
    expect(problems('ipAllowList', { sourceRange: ['::1'], ipStrategy: { depth: -1 } })).toEqual([
      'http.middlewares.m.ipAllowList.ipStrategy.depth: must be >= 0',
    ]);
    expect(problems('ipAllowList', { sourceRange: ['::1'], ipStrategy: { excludedIPs: ['x'] } })).toEqual([
      'http.middlewares.m.ipAllowList.ipStrategy.excludedIPs[0]: "x" is not an IP address or CIDR range',
    ]);
  });
});
