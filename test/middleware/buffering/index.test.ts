import { describe, expect, test } from 'vitest';
import { Readable } from 'node:stream';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { problems, wrap } from '../support/compile.js';
import { MemoryExchange, recordingService, respondWith, run } from '../../../src/testing/memory-exchange.js';
import type { Handler } from '../../../src/exchange/exchange.js';

const spoolFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`portico-body-${process.pid}-`));

/** A body that arrives in pieces, like a slow upload. */
function trickle(parts: number, size: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i++ < parts) setImmediate(() => this.push(Buffer.alloc(size, 0x61 + (i % 26))));
      else this.push(null);
    },
  });
}

describe('buffering', () => {
  test('the backend gets the whole body at once, with an exact Content-Length', async () => {
    const svc = recordingService();
    const r = await run(wrap('buffering', {}, svc), { method: 'POST', body: trickle(10, 1000), headers: { 'Transfer-Encoding': 'chunked' } });
    expect(r.statusCode).toBe(200);
    expect(svc.seen[0]!.body.length).toBe(10_000);
    expect(svc.seen[0]!.headers['content-length']).toBe('10000');
    expect(svc.seen[0]!.headers['transfer-encoding']).toBeUndefined();
  });

  test('over memRequestBodyBytes the rest goes to a temporary file, replayed intact and then removed', async () => {
    const svc = recordingService();
    const before = spoolFiles().length;
    let during = 0;
    const spy: Handler = async (ex) => {
      during = spoolFiles().length;
      await svc(ex);
    };
    await run(wrap('buffering', { memRequestBodyBytes: 3000 }, spy), { method: 'POST', body: trickle(20, 1000) });
    expect(during).toBe(before + 1);
    const body = svc.seen[0]!.body;
    expect(body.length).toBe(20_000);
    expect(body[0]).toBe(0x62);
    expect(body[19_999]).toBe(0x61 + (20 % 26));
    await new Promise((r) => setTimeout(r, 50));
    expect(spoolFiles().length).toBe(before);
  });

  test('a spooled body nobody reads (the next handler answered itself) is removed when the exchange is done', async () => {
    const before = spoolFiles().length;
    let during = 0;
    await run(
      wrap('buffering', { memRequestBodyBytes: 100 }, (ex) => {
        during = spoolFiles().length;
        ex.respond(403, {}, 'no');
      }),
      { method: 'POST', body: trickle(5, 1000) },
    );
    expect(during).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(spoolFiles().length).toBe(before);
  });

  test('over maxRequestBodyBytes: 413, by declared length or by counting; the backend never sees it', async () => {
    const svc = recordingService();
    const h = wrap('buffering', { maxRequestBodyBytes: 5000, memRequestBodyBytes: 1000 }, svc);
    const declared = await run(h, { method: 'POST', body: 'x', headers: { 'Content-Length': '999999' } });
    expect(declared.statusCode).toBe(413);
    const counted = await run(h, { method: 'POST', body: trickle(10, 1000) });
    expect(counted.statusCode).toBe(413);
    expect(counted.responseHeaders.connection).toBe('close');
    expect(svc.seen).toHaveLength(0);
    expect((await run(h, { method: 'POST', body: trickle(5, 1000) })).statusCode).toBe(200);
  });

  test('maxResponseBodyBytes: a complete response within the limit gets its length; a larger one becomes 500', async () => {
    const ok = await run(wrap('buffering', { maxResponseBodyBytes: 100 }, respondWith(200, { 'content-type': 'text/plain' }, ['abc', 'def'])));
    expect(ok.statusCode).toBe(200);
    expect(ok.responseHeaders['content-length']).toBe('6');
    expect(ok.responseBody.toString()).toBe('abcdef');
    const ex = new MemoryExchange();
    let sawClose = false;
    await wrap('buffering', { maxResponseBodyBytes: 100 }, (e) => {
      const sink = e.writeHead(200, { 'content-type': 'text/plain' });
      sink.once('close', () => (sawClose = true));
      expect(sink.write('x'.repeat(80))).toBe(true);
      expect(sink.write('x'.repeat(80))).toBe(false);
      sink.end();
    })(ex);
    expect(ex.statusCode).toBe(500);
    expect(ex.hookRuns).toBe(1);
    expect(sawClose).toBe(true);
  });

  test('validation', () => {
    expect(problems('buffering', { maxRequestBodyBytes: -1 })).toEqual(['http.middlewares.m.buffering.maxRequestBodyBytes: must be >= 0']);
    expect(problems('buffering', { retryExpression: 'IsNetworkError() && Attempts() < 2' })).toEqual([
      "http.middlewares.m.buffering.retryExpression: retries are not supported by Portico's buffering middleware; remove retryExpression",
    ]);
  });
});
