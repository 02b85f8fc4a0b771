import { describe, expect, test } from 'vitest';
import { problems } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';
import { createRateLimit, type RateLimitClock } from '../../../src/middleware/rate-limit/index.js';
import type { Handler } from '../../../src/exchange/exchange.js';

/** A clock that only moves when told to; sleeping moves it. */
function fakeClock(): RateLimitClock & { advance(ms: number): void; slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    advance: (ms) => void (t += ms),
    slept,
  };
}

function limited(options: Record<string, unknown>, clock: RateLimitClock): { handler: Handler; service: ReturnType<typeof recordingService> } {
  const service = recordingService();
  const type = createRateLimit(clock);
  expect(type.validate?.(options) ?? []).toEqual([]);
  return {
    handler: type.build(options as never, {
      name: 'rl@test',
      resolve: () => {
        throw new Error('none');
      },
      onDispose: () => {},
    })(service),
    service,
  };
}

const statuses = async (h: Handler, n: number, init = {}) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await run(h, init)).statusCode!);
  return out;
};

describe('rateLimit (token bucket on an injected clock)', () => {
  test('a burst passes at once, the rest get 429 with Retry-After; tokens come back at the average rate', async () => {
    const clock = fakeClock();
    const { handler } = limited({ average: 10, period: '1m', burst: 3 }, clock);
    expect(await statuses(handler, 5)).toEqual([200, 200, 200, 429, 429]);
    const refused = await run(handler);
    // 10 per minute: one token every 6 s.
    expect(refused.responseHeaders['retry-after']).toBe('6');
    clock.advance(6000);
    expect(await statuses(handler, 2)).toEqual([200, 429]);
    clock.advance(60_000);
    // Never more than the burst, however long the wait.
    expect(await statuses(handler, 4)).toEqual([200, 200, 200, 429]);
  });

  test('a request slightly early is held (at most half the token interval) rather than refused', async () => {
    const clock = fakeClock();
    const { handler } = limited({ average: 100, burst: 1 }, clock);
    // 100/s: a token every 10 ms, so up to 5 ms of waiting is absorbed.
    expect(await statuses(handler, 1)).toEqual([200]);
    clock.advance(6);
    expect(await statuses(handler, 1)).toEqual([200]);
    expect(clock.slept).toEqual([4]);
    expect(await statuses(handler, 1)).toEqual([429]);
  });

  test('sources have their own buckets: peer IP by default, or a header, or the host', async () => {
    const clock = fakeClock();
    const byIp = limited({ average: 1, burst: 1 }, clock).handler;
    expect(await statuses(byIp, 2, { remoteAddress: '10.0.0.1' })).toEqual([200, 429]);
    expect(await statuses(byIp, 1, { remoteAddress: '10.0.0.2' })).toEqual([200]);
    const byHeader = limited({ average: 1, burst: 1, sourceCriterion: { requestHeaderName: 'X-Api-Key' } }, clock).handler;
    expect(await statuses(byHeader, 2, { headers: { 'X-Api-Key': 'a' } })).toEqual([200, 429]);
    expect(await statuses(byHeader, 1, { headers: { 'X-Api-Key': 'b' } })).toEqual([200]);
    const byHost = limited({ average: 1, burst: 1, sourceCriterion: { requestHost: true } }, clock).handler;
    expect(await statuses(byHost, 2, { authority: 'a.example' })).toEqual([200, 429]);
    expect(await statuses(byHost, 1, { authority: 'b.example' })).toEqual([200]);
    const byXff = limited({ average: 1, burst: 1, sourceCriterion: { ipStrategy: { depth: 1 } } }, clock).handler;
    expect(await statuses(byXff, 2, { headers: { 'X-Forwarded-For': '1.2.3.4' } })).toEqual([200, 429]);
    expect(await statuses(byXff, 1, { headers: { 'X-Forwarded-For': '1.2.3.5' } })).toEqual([200]);
    const bySubnet = limited({ average: 1, burst: 1, sourceCriterion: { ipStrategy: { ipv6Subnet: 64 } } }, clock).handler;
    expect(await statuses(bySubnet, 1, { remoteAddress: '2001:db8:1:2::10' })).toEqual([200]);
    expect(await statuses(bySubnet, 1, { remoteAddress: '2001:db8:1:2::20' })).toEqual([429]);
  });

  test('average 0 means no limit', async () => {
    const { handler } = limited({ average: 0 }, fakeClock());
    expect(await statuses(handler, 20)).toEqual(Array(20).fill(200));
  });

  test('validation', () => {
    expect(problems('rateLimit', { average: -1 })).toEqual(['http.middlewares.m.rateLimit.average: must be >= 0']);
    expect(problems('rateLimit', { average: 1, period: 'soon' })[0]).toMatch(/^http\.middlewares\.m\.rateLimit\.period: .*cannot parse "soon"/);
    expect(problems('rateLimit', { average: 1, period: '0s' })).toEqual(['http.middlewares.m.rateLimit.period: must be longer than 0']);
    expect(problems('rateLimit', { average: 1, burst: 0 })).toEqual(['http.middlewares.m.rateLimit.burst: must be >= 1']);
    expect(problems('rateLimit', { average: 1, sourceCriterion: { requestHost: true, requestHeaderName: 'X' } })).toEqual([
      'http.middlewares.m.rateLimit.sourceCriterion: set only one of ipStrategy, requestHeaderName and requestHost',
    ]);
    expect(problems('rateLimit', { average: 1, redis: {} })).toEqual(['http.middlewares.m.rateLimit.redis.endpoints: is required']);
    expect(problems('rateLimit', { average: 1, redis: { endpoints: ['x:1'], readTimeout: 'later' } })[0]).toMatch(
      /^http\.middlewares\.m\.rateLimit\.redis\.readTimeout: /,
    );
  });
});
