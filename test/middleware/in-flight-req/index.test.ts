import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { MemoryExchange } from '../../../src/testing/memory-exchange.js';
import type { Exchange } from '../../../src/exchange/exchange.js';

describe('inFlightReq', () => {
  test('at most `amount` at once per source; a slot frees when a response completes', async () => {
    const release: Array<() => void> = [];
    const slow = (ex: Exchange) =>
      new Promise<void>((resolve) =>
        release.push(() => {
          ex.respond(200, {}, 'ok');
          resolve();
        }),
      );
    const h = wrap('inFlightReq', { amount: 2 }, slow);
    const a = new MemoryExchange({ remoteAddress: '10.0.0.1' });
    const b = new MemoryExchange({ remoteAddress: '10.0.0.1' });
    const c = new MemoryExchange({ remoteAddress: '10.0.0.1' });
    const other = new MemoryExchange({ remoteAddress: '10.0.0.2' });
    const pa = h(a);
    const pb = h(b);
    await h(c);
    expect(c.statusCode).toBe(429);
    const po = h(other);
    expect(release).toHaveLength(3);
    release[0]!();
    await pa;
    const d = new MemoryExchange({ remoteAddress: '10.0.0.1' });
    const pd = h(d);
    expect(release).toHaveLength(4);
    for (const r of release.slice(1)) r();
    await Promise.all([pb, po, pd]);
    expect([a, b, d, other].map((e) => e.statusCode)).toEqual([200, 200, 200, 200]);
  });
  test('sourceCriterion.requestHeaderName groups by a header', async () => {
    const pending: Array<() => void> = [];
    const hold = (ex: Exchange) =>
      new Promise<void>((r) =>
        pending.push(() => {
          ex.respond(200, {});
          r();
        }),
      );
    const h = wrap('inFlightReq', { amount: 1, sourceCriterion: { requestHeaderName: 'X-Tenant' } }, hold);
    const one = h(new MemoryExchange({ headers: { 'X-Tenant': 'a' } }));
    const refused = new MemoryExchange({ remoteAddress: '10.9.9.9', headers: { 'X-Tenant': 'a' } });
    await h(refused);
    expect(refused.statusCode).toBe(429);
    const two = h(new MemoryExchange({ headers: { 'X-Tenant': 'b' } }));
    pending.forEach((p) => p());
    await Promise.all([one, two]);
  });
  test('validation', () => {
    expect(problems('inFlightReq', {})).toEqual(['http.middlewares.m.inFlightReq.amount: is required']);
    expect(problems('inFlightReq', { amount: 0 })).toEqual(['http.middlewares.m.inFlightReq.amount: must be >= 1']);
  });
});
