/**
 * The in-memory Exchange the middleware tests use must behave like the real
 * ones: the same assertions run against MemoryExchange and against the
 * production base class (ExchangeBase) with an in-memory head writer.
 */
import { describe, expect, test } from 'vitest';
import { Readable } from 'node:stream';
import { ExchangeBase } from '../../src/exchange/exchange-base.js';
import type { Exchange, HeaderMap, ResponseSink } from '../../src/exchange/exchange.js';
import { MemoryExchange, MemorySink } from '../../src/testing/memory-exchange.js';

class BaseWithMemorySink extends ExchangeBase {
  readonly sink = new MemorySink();
  written: HeaderMap | undefined;
  requestTrailers(): HeaderMap | undefined {
    return undefined;
  }
  protected sendHead(_status: number, headers: HeaderMap): ResponseSink {
    this.written = headers;
    return this.sink;
  }
}

function realExchange(method = 'GET'): Exchange & { sink: MemorySink } {
  return new BaseWithMemorySink({
    protocol: 'HTTP/1.1',
    entryPoint: 'web',
    scheme: 'http',
    facts: { method, host: 'example.test', path: '/', query: '', headers: {}, clientIp: '127.0.0.1' },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localPort: 80,
    tls: undefined,
    body: Readable.from([]),
    hasBody: false,
    method,
    url: '/',
    authority: 'example.test',
    requestHeaders: {},
  });
}

const kinds: Array<[string, (method?: string) => Exchange & { sink: MemorySink }]> = [
  ['MemoryExchange', (method) => new MemoryExchange({ method })],
  ['ExchangeBase', realExchange],
];

describe.each(kinds)('Exchange contract: %s', (_name, make) => {
  test('hooks run once, last registered first, and may edit the head; statusCode is set', () => {
    const ex = make();
    const order: string[] = [];
    ex.onResponseHeaders((_s, h) => {
      order.push('outer');
      h['x-outer'] = String(h['x-inner']);
    });
    ex.onResponseHeaders((_s, h) => {
      order.push('inner');
      h['x-inner'] = 'set';
    });
    expect(ex.statusCode).toBeUndefined();
    ex.writeHead(201, {}).end();
    expect(order).toEqual(['inner', 'outer']);
    expect(ex.statusCode).toBe(201);
  });

  test('a second writeHead throws', () => {
    const ex = make();
    ex.writeHead(200, {});
    expect(() => ex.writeHead(200, {})).toThrow('response head already written');
  });

  test('respond writes Content-Length and ends the body; HEAD gets no body', () => {
    const ex = make();
    ex.respond(404, { 'content-type': 'text/plain' }, 'nope');
    expect(ex.sink.ended).toBe(true);
    expect(ex.sink.body.toString()).toBe('nope');
    const head = make('HEAD');
    head.respond(200, {}, 'body');
    expect(head.sink.ended).toBe(true);
    expect(head.sink.body.length).toBe(0);
  });

  test('interceptors wrap the response once each, innermost (last registered) first; respond goes through them', () => {
    const ex = make();
    const order: string[] = [];
    ex.interceptResponse((s, h, open) => {
      order.push('outer');
      h['x-outer'] = '1';
      return open(s, h);
    });
    ex.interceptResponse((s, h, open) => {
      order.push('inner');
      return open(s + 1, h);
    });
    ex.respond(200, {}, 'x');
    expect(order).toEqual(['inner', 'outer']);
    expect(ex.statusCode).toBe(201);
    expect(ex.sink.body.toString()).toBe('x');
    // Used up: a later head (which the contract refuses anyway) meets no interceptor.
    expect(() => ex.writeHead(200, {})).toThrow('response head already written');
    expect(order).toHaveLength(2);
  });

  test('an interceptor may hold the head and open it later (as buffering does)', () => {
    const ex = make();
    let open: ((s: number, h: HeaderMap) => ResponseSink) | undefined;
    ex.interceptResponse((_s, _h, o) => {
      open = o;
      return new MemorySink();
    });
    ex.writeHead(200, { 'x-a': '1' });
    expect(ex.statusCode).toBeUndefined();
    open!(200, { 'x-a': '1', 'content-length': '0' }).end();
    expect(ex.statusCode).toBe(200);
    expect(ex.sink.ended).toBe(true);
  });

  test('abortUpstream calls what the service set; set after the abort, it runs at once; clientGone only through the entrypoint', () => {
    const ex = make();
    let aborted = 0;
    ex.setUpstreamAbort(() => aborted++);
    ex.abortUpstream();
    ex.abortUpstream();
    expect(aborted).toBe(1);
    ex.setUpstreamAbort(() => aborted++);
    expect(aborted).toBe(2);
    expect(ex.clientGone).toBe(false);
    const gone = make();
    let stopped = false;
    gone.setUpstreamAbort(() => (stopped = true));
    (gone as unknown as ExchangeBase).clientClosed();
    expect(stopped).toBe(true);
    expect(gone.clientGone).toBe(true);
  });

  test('replaceBody: readers see the new body', () => {
    const ex = make();
    const other = Readable.from([Buffer.from('spooled')]);
    ex.replaceBody(other);
    expect(ex.body).toBe(other);
  });
});
