/**
 * The retry middleware's contract with the pipeline behind it, on an
 * in-memory exchange (the real ExchangeBase): what the next attempt sees and
 * what a failed attempt leaves behind.
 */
import { describe, expect, test } from 'vitest';
import type { Exchange, Handler } from '../../../src/exchange/exchange.js';
import { MemoryExchange } from '../../../src/testing/memory-exchange.js';
import { problems, wrap } from '../support/compile.js';

/** A service whose first `failures` attempts fail at the network level, as the upstream client reports it. */
function failingService(failures: number, failure: 'connect' | 'reset' = 'connect'): Handler & { calls: number } {
  const service = (ex: Exchange) => {
    service.calls++;
    // What later middlewares do to every attempt: edit the request, register response handlers.
    ex.url = `/base${ex.url}`;
    ex.requestHeaders['x-attempt'] = String(service.calls);
    ex.onResponseHeaders((_status, headers) => {
      const seen = headers['x-hooks'];
      headers['x-hooks'] = seen === undefined ? '1' : `${String(seen)},1`;
    });
    if (service.calls <= failures && ex.upstreamRetry?.offer(failure)) return;
    if (service.calls <= failures) return ex.respond(502, {}, 'bad gateway');
    ex.respond(200, { 'content-type': 'text/plain' }, `${ex.method} ${ex.url}`);
  };
  service.calls = 0;
  return service;
}

describe('retry attempts', () => {
  test('each attempt starts from the request as it reached retry; hooks of failed attempts are forgotten', async () => {
    const service = failingService(2);
    const ex = new MemoryExchange({ url: '/page' });
    await wrap('retry', { attempts: 3 }, service)(ex);
    expect(service.calls).toBe(3);
    expect(ex.statusCode).toBe(200);
    expect(ex.responseBody.toString()).toBe('GET /base/page');
    expect(ex.responseHeaders['x-hooks']).toBe('1');
    expect(ex.retryAttempts).toBe(2);
    expect(ex.upstreamRetry).toBeUndefined();
  });

  test('attempts exhausted: the last failure is answered', async () => {
    const service = failingService(5);
    const ex = new MemoryExchange();
    await wrap('retry', { attempts: 2 }, service)(ex);
    expect(service.calls).toBe(2);
    expect(ex.statusCode).toBe(502);
  });

  test('a reset on a POST is not taken unless retryNonIdempotentMethod; a refused connection is', async () => {
    const reset = failingService(1, 'reset');
    const post = new MemoryExchange({ method: 'POST', body: 'x' });
    await wrap('retry', { attempts: 3 }, reset)(post);
    expect([reset.calls, post.statusCode]).toEqual([1, 502]);
    const refused = failingService(1, 'connect');
    const post2 = new MemoryExchange({ method: 'POST', body: 'x' });
    await wrap('retry', { attempts: 3 }, refused)(post2);
    expect([refused.calls, post2.statusCode]).toEqual([2, 200]);
    const anyMethod = failingService(1, 'reset');
    const post3 = new MemoryExchange({ method: 'POST', body: 'x' });
    await wrap('retry', { attempts: 3, retryNonIdempotentMethod: true }, anyMethod)(post3);
    expect([anyMethod.calls, post3.statusCode]).toEqual([2, 200]);
  });

  test('options: attempts required, durations checked, status-code retries refused by name', () => {
    expect(problems('retry', {})).toEqual(['http.middlewares.m.retry.attempts: is required']);
    expect(problems('retry', { attempts: 2, initialInterval: 'soon' })[0]).toMatch(/^http.middlewares.m.retry.initialInterval: /);
    expect(problems('retry', { attempts: 2, status: ['500-599'] })).toEqual([
      'http.middlewares.m.retry.status: not supported: Portico retries network failures only, never a response the backend sent',
    ]);
    expect(problems('retry', { attempts: 4, initialInterval: '100ms', timeout: '2s', maxRequestBodyBytes: 1024, retryNonIdempotentMethod: true })).toEqual([]);
  });
});
