import { describe, expect, test } from 'vitest';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { problems, wrap } from '../support/compile.js';
import { MemoryExchange, respondWith, run } from '../../../src/testing/memory-exchange.js';
import { EncodingNegotiator } from '../../../src/middleware/compress/accept-encoding.js';
import { ZSTD_AVAILABLE } from '../../../src/middleware/compress/index.js';
import type { Handler } from '../../../src/exchange/exchange.js';

const text = (n: number) => Buffer.from('portico compresses text well. '.repeat(Math.ceil(n / 30)).slice(0, n));

describe('Accept-Encoding negotiation', () => {
  const n = new EncodingNegotiator(['zstd', 'br', 'gzip']);
  test('client q-values first, our order on ties, * and q=0', () => {
    expect(n.choose('gzip, deflate, br')).toBe('br');
    expect(n.choose('gzip;q=1, br;q=0.5')).toBe('gzip');
    expect(n.choose('br;q=0, gzip;q=0.1')).toBe('gzip');
    expect(n.choose('identity')).toBeUndefined();
    expect(n.choose('*')).toBe('zstd');
    expect(n.choose('*, zstd;q=0')).toBe('br');
    expect(n.choose('GZIP')).toBe('gzip');
    expect(n.choose('')).toBeUndefined();
    expect(n.choose(undefined)).toBeUndefined();
    expect(new EncodingNegotiator(['br', 'gzip'], 'gzip').choose('*')).toBe('gzip');
    expect(new EncodingNegotiator(['br', 'gzip'], 'gzip').choose(undefined)).toBe('gzip');
    expect(new EncodingNegotiator(['br', 'gzip'], 'gzip').choose('')).toBeUndefined();
  });
});

describe('compress', () => {
  test('gzip and br round trip through real zlib; Content-Length dropped, Vary added, strong ETag weakened', async () => {
    const body = text(50_000);
    for (const [enc, decode] of [
      ['gzip', zlib.gunzipSync],
      ['br', zlib.brotliDecompressSync],
    ] as const) {
      const h = wrap(
        'compress',
        {},
        respondWith(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length), etag: '"v1"' }, [
          body.subarray(0, 20_000),
          body.subarray(20_000),
        ]),
      );
      const r = await run(h, { headers: { 'Accept-Encoding': enc } });
      expect(r.responseHeaders['content-encoding']).toBe(enc);
      expect(r.responseHeaders['content-length']).toBeUndefined();
      expect(r.responseHeaders.vary).toBe('Accept-Encoding');
      expect(r.responseHeaders.etag).toBe('W/"v1"');
      expect(r.responseBody.length).toBeLessThan(body.length / 10);
      expect(decode(r.responseBody).equals(body)).toBe(true);
    }
  });

  test.skipIf(!ZSTD_AVAILABLE)('zstd when this Node has it', async () => {
    const body = text(10_000);
    const r = await run(wrap('compress', {}, respondWith(200, { 'content-type': 'text/plain' }, [body])), { headers: { 'Accept-Encoding': 'zstd' } });
    expect(r.responseHeaders['content-encoding']).toBe('zstd');
    const z = zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer };
    expect(z.zstdDecompressSync(r.responseBody).equals(body)).toBe(true);
  });

  test('left alone: no Accept-Encoding, HEAD, already encoded, small, 204/206/304, no-transform, excluded types, gRPC', async () => {
    const body = text(5000);
    const cases: Array<[string, Handler, Record<string, unknown>, Record<string, unknown>?]> = [
      ['no accept-encoding', respondWith(200, { 'content-type': 'text/plain' }, [body]), {}],
      ['already encoded', respondWith(200, { 'content-type': 'text/plain', 'content-encoding': 'br' }, [body]), { headers: { 'Accept-Encoding': 'gzip' } }],
      [
        'small declared',
        respondWith(200, { 'content-type': 'text/plain', 'content-length': '10' }, ['0123456789']),
        { headers: { 'Accept-Encoding': 'gzip' } },
      ],
      ['206', respondWith(206, { 'content-type': 'text/plain' }, [body]), { headers: { 'Accept-Encoding': 'gzip' } }],
      [
        'no-transform',
        respondWith(200, { 'content-type': 'text/plain', 'cache-control': 'public, no-transform' }, [body]),
        { headers: { 'Accept-Encoding': 'gzip' } },
      ],
      ['image', respondWith(200, { 'content-type': 'image/png' }, [body]), { headers: { 'Accept-Encoding': 'gzip' } }, { excludedContentTypes: ['image/*'] }],
      ['grpc', respondWith(200, { 'content-type': 'application/grpc' }, [body]), { headers: { 'Accept-Encoding': 'gzip' } }],
      [
        'not included',
        respondWith(200, { 'content-type': 'application/json' }, [body]),
        { headers: { 'Accept-Encoding': 'gzip' } },
        { includedContentTypes: ['text/html'] },
      ],
    ];
    for (const [name, svc, init, options] of cases) {
      const r = await run(wrap('compress', options ?? {}, svc), init);
      expect(r.responseHeaders['content-encoding'] ?? 'none', name).toBe(name === 'already encoded' ? 'br' : 'none');
    }
    const grpcRequest = await run(wrap('compress', {}, respondWith(200, { 'content-type': 'text/plain' }, [body])), {
      headers: { 'Accept-Encoding': 'gzip', 'Content-Type': 'application/grpc+proto' },
    });
    expect(grpcRequest.responseHeaders['content-encoding']).toBeUndefined();
    const head = await run(
      wrap('compress', {}, (ex) => ex.respond(200, { 'content-type': 'text/plain' }, body)),
      { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } },
    );
    expect(head.responseHeaders['content-encoding']).toBeUndefined();
  });

  test('unknown length: a body under minResponseBodyBytes goes out plain with its length; a longer one is compressed', async () => {
    const small = await run(wrap('compress', { minResponseBodyBytes: 100 }, respondWith(200, { 'content-type': 'text/plain' }, ['abc', 'def'])), {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(small.responseHeaders['content-encoding']).toBeUndefined();
    expect(small.responseHeaders['content-length']).toBe('6');
    expect(small.responseBody.toString()).toBe('abcdef');
    const big = await run(
      wrap('compress', { minResponseBodyBytes: 100 }, respondWith(200, { 'content-type': 'text/plain' }, ['x'.repeat(60), 'y'.repeat(60), 'z'.repeat(500)])),
      { headers: { 'Accept-Encoding': 'gzip' } },
    );
    expect(big.responseHeaders['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(big.responseBody).toString()).toBe('x'.repeat(60) + 'y'.repeat(60) + 'z'.repeat(500));
  });

  test('no Accept-Encoding: defaultEncoding when configured', async () => {
    const r = await run(wrap('compress', { defaultEncoding: 'gzip' }, respondWith(200, { 'content-type': 'text/plain' }, [text(3000)])));
    expect(r.responseHeaders['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(r.responseBody).equals(text(3000))).toBe(true);
  });

  test('responses that would be compressed still say Vary: Accept-Encoding to clients that did not ask', async () => {
    const r = await run(wrap('compress', {}, respondWith(200, { 'content-type': 'text/plain', vary: 'Origin' }, [text(2000)])));
    expect(r.responseHeaders.vary).toBe('Origin, Accept-Encoding');
  });

  test('streams a large body with back-pressure both ways: bounded buffering, exact round trip', async () => {
    // 24 MiB of incompressible-ish data through a slow client (64 KiB then wait for drain).
    const chunk = randomBytes(64 * 1024);
    const chunks = 384;
    let writerWaits = 0;
    const service: Handler = async (ex) => {
      const sink = ex.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < chunks; i++) {
        if (!sink.write(chunk)) {
          writerWaits++;
          await new Promise<void>((r) => sink.once('drain', r));
        }
      }
      sink.end();
    };
    const ex = new MemoryExchange({ headers: { 'Accept-Encoding': 'gzip' }, highWaterMark: 64 * 1024 });
    const started = Date.now();
    await wrap('compress', {}, service)(ex);
    await ex.finished();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ex.responseHeaders['content-encoding']).toBe('gzip');
    // The client said "full" many times, we never wrote past that, and the writer was made to wait.
    expect(ex.sink.fullSignals).toBeGreaterThan(10);
    expect(ex.sink.writesWhileFull).toBe(0);
    expect(writerWaits).toBeGreaterThan(10);
    // The sink never held much more than its high-water mark plus one zlib output chunk.
    expect(ex.sink.maxPending).toBeLessThan(64 * 1024 + 128 * 1024);
    const decoded = zlib.gunzipSync(ex.responseBody);
    expect(decoded.length).toBe(chunk.length * chunks);
    expect(decoded.subarray(0, chunk.length).equals(chunk)).toBe(true);
    expect(decoded.subarray(decoded.length - chunk.length).equals(chunk)).toBe(true);
  });

  test('a client that goes away mid-stream frees the compressor', async () => {
    const ex = new MemoryExchange({ headers: { 'Accept-Encoding': 'gzip' }, highWaterMark: 1024, autoDrain: false });
    let sawClose = false;
    await wrap('compress', {}, (e) => {
      const sink = e.writeHead(200, { 'content-type': 'text/plain' });
      sink.once('close', () => (sawClose = true));
      sink.write(randomBytes(200_000));
    })(ex);
    ex.sink.destroy();
    expect(sawClose).toBe(true);
  });

  test('validation', () => {
    expect(problems('compress', { encodings: ['deflate'] })[0]).toMatch(/^http\.middlewares\.m\.compress\.encodings\[0\]: must be one of: zstd, br, gzip/);
    expect(problems('compress', { includedContentTypes: ['text/html'], excludedContentTypes: ['image/png'] })).toEqual([
      'http.middlewares.m.compress.includedContentTypes: set either includedContentTypes or excludedContentTypes, not both',
    ]);
    expect(problems('compress', { minResponseBodyBytes: -1 })).toEqual(['http.middlewares.m.compress.minResponseBodyBytes: must be >= 0']);
  });
});
