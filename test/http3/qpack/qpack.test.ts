import { describe, expect, it } from 'vitest';
import { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR } from '../../../src/http3/qpack/qpack-error.js';
import { QpackDecoder } from '../../../src/http3/qpack/decoder.js';
import {
  encodeDuplicate,
  encodeFieldSection,
  encodeInsertWithLiteralName,
  encodeInsertWithNameRef,
  encodeSetCapacity,
} from '../../../src/http3/qpack/encoder.js';
import { QpackError } from '../../../src/http3/qpack/qpack-error.js';
import { STATIC_TABLE } from '../../../src/http3/qpack/static-table.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function qpackCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof QpackError) return e.code;
    throw e;
  }
  return undefined;
}

describe('QPACK static table', () => {
  it('has the 99 RFC 9204 Appendix A entries', () => {
    expect(STATIC_TABLE.length).toBe(99);
    expect(STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });
});

describe('QPACK RFC 9204 Appendix B', () => {
  it('B.1 literal field line with name reference', () => {
    const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 16384 });
    const block = hex('0000 510b 2f69 6e64 6578 2e68 746d 6c');
    expect(d.decode(0, block)).toEqual({ headers: [[':path', '/index.html']], size: 48, tooLarge: false });
    expect(encodeFieldSection([[':path', '/index.html']], false)).toEqual(block);
    expect(d.takeDecoderStreamData()).toBeUndefined();
  });

  it('B.2–B.5 dynamic table, speculative insert, duplicate, cancellation, eviction', () => {
    const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 100, maxFieldSectionSize: 16384 });
    // B.2: the encoder instructions, which our instruction writers reproduce byte for byte.
    const enc1 = hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468');
    expect(
      Buffer.concat([
        encodeSetCapacity(220),
        encodeInsertWithNameRef(true, 0, 'www.example.com', false),
        encodeInsertWithNameRef(true, 1, '/sample/path', false),
      ]),
    ).toEqual(enc1);
    // Deliver the field section first: it blocks until the inserts arrive.
    expect(d.decode(4, hex('0381 10 11'))).toBe('blocked');
    expect(d.blockedStreamCount).toBe(1);
    const unblocked = d.feedEncoderStream(enc1);
    expect(unblocked).toEqual([
      {
        streamId: 4,
        section: {
          headers: [
            [':authority', 'www.example.com'],
            [':path', '/sample/path'],
          ],
          size: 106,
          tooLarge: false,
        },
      },
    ]);
    expect(d.table.size).toBe(106);
    expect(d.takeDecoderStreamData()).toEqual(hex('84')); // Section Acknowledgment (stream=4), no increment needed
    // B.3 speculative insert.
    const enc2 = hex('4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565');
    expect(encodeInsertWithLiteralName('custom-key', 'custom-value', false)).toEqual(enc2);
    expect(d.feedEncoderStream(enc2)).toEqual([]);
    expect(d.takeDecoderStreamData()).toEqual(hex('01')); // Insert Count Increment (1)
    expect(d.table.size).toBe(160);
    // B.4 duplicate, then a section that the decoder cancels before reading.
    expect(encodeDuplicate(2)).toEqual(hex('02'));
    d.feedEncoderStream(hex('02'));
    expect(d.table.get(3)).toEqual([':authority', 'www.example.com']);
    expect(d.table.size).toBe(217);
    expect(d.takeDecoderStreamData()).toEqual(hex('01'));
    expect(d.decode(8, hex('0500 80 c1 81'))).toEqual({
      headers: [
        [':authority', 'www.example.com'],
        [':path', '/'],
        ['custom-key', 'custom-value'],
      ],
      size: 57 + 38 + 54,
      tooLarge: false,
    });
    expect(d.takeDecoderStreamData()).toEqual(hex('88'));
    d.cancelStream(8);
    expect(d.takeDecoderStreamData()).toEqual(hex('48')); // Stream Cancellation (Stream=8)
    // B.5 insert with dynamic name reference evicts the oldest entry.
    d.feedEncoderStream(hex('810d 6375 7374 6f6d 2d76 616c 7565 32'));
    expect(d.table.get(0)).toBeUndefined();
    expect(d.table.get(4)).toEqual(['custom-key', 'custom-value2']);
    expect(d.table.size).toBe(215);
  });
});

describe('QPACK decoder', () => {
  const opts = { maxTableCapacity: 4096, maxBlockedStreams: 2, maxFieldSectionSize: 1000 };

  it('round-trips our static/literal encoder output, with Huffman, N bit and odd bytes', () => {
    const d = new QpackDecoder(opts);
    const fields: [string, string][] = [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'portico.example'],
      [':path', '/a/b?c=d'],
      ['user-agent', 'curl/8'],
      ['authorization', 'Bearer x'],
      ['x-custom', 'caf\u00e9 \u00ff'],
      ['content-type', 'application/json'],
    ];
    const block = encodeFieldSection(fields);
    const out = d.decode(0, block);
    expect(out).not.toBe('blocked');
    if (out !== 'blocked') expect(out.headers).toEqual(fields);
  });

  it('handles post-base references, literal post-base names and a negative delta base', () => {
    const d = new QpackDecoder(opts);
    d.feedEncoderStream(Buffer.concat([encodeSetCapacity(4096), encodeInsertWithLiteralName('x-a', '1'), encodeInsertWithLiteralName('x-b', '2')]));
    d.takeDecoderStreamData();
    // RIC=2 (encoded 3), Base=0 (sign 1, delta 1): post-base index 1 (x-b), literal with post-base name ref 0 (x-a: "v").
    const out = d.decode(4, Buffer.concat([hex('0381 11 00'), Buffer.from([1]), Buffer.from('v')]));
    expect(out).toEqual({
      headers: [
        ['x-b', '2'],
        ['x-a', 'v'],
      ],
      size: 72,
      tooLarge: false,
    });
    // RIC=2, Base=1 (sign 1, delta 0): relative 0 -> abs 0 (x-a); post-base 0 -> abs 1 (x-b); literal dynamic name ref rel 0.
    const out2 = d.decode(8, Buffer.concat([hex('0380 80 10 40'), Buffer.from([1]), Buffer.from('w')]));
    expect(out2).toEqual({
      headers: [
        ['x-a', '1'],
        ['x-b', '2'],
        ['x-a', 'w'],
      ],
      size: 108,
      tooLarge: false,
    });
  });

  it('limits blocked streams, table capacity and field section size', () => {
    const d = new QpackDecoder(opts);
    expect(d.decode(0, hex('0200 80'))).toBe('blocked');
    expect(d.decode(4, hex('0200 80'))).toBe('blocked');
    expect(qpackCode(() => d.decode(8, hex('0200 80')))).toBe(QPACK_DECOMPRESSION_FAILED);
    d.cancelStream(0);
    expect(d.blockedStreamCount).toBe(1);
    expect(qpackCode(() => d.feedEncoderStream(encodeSetCapacity(4097)))).toBe(QPACK_ENCODER_STREAM_ERROR);
    const big = new QpackDecoder(opts);
    const out = big.decode(0, encodeFieldSection([['x-long', 'v'.repeat(2000)]]));
    expect(out).toEqual({ headers: [], size: 2000 + 6 + 32, tooLarge: true });
  });

  it('rejects references beyond Required Insert Count, evicted entries and bad prefixes', () => {
    const d = new QpackDecoder(opts);
    d.feedEncoderStream(Buffer.concat([encodeSetCapacity(100), encodeInsertWithLiteralName('x-a', '1')]));
    expect(qpackCode(() => d.decode(0, hex('0200 10')))).toBe(QPACK_DECOMPRESSION_FAILED); // post-base 0 = abs 1 >= RIC 1
    expect(qpackCode(() => d.decode(0, hex('ff')))).toBe(QPACK_DECOMPRESSION_FAILED);
    expect(qpackCode(() => d.decode(0, hex('0281')))).toBe(QPACK_DECOMPRESSION_FAILED); // base negative
    expect(qpackCode(() => d.decode(0, hex('0000 ff7f')))).toBe(QPACK_DECOMPRESSION_FAILED); // static index 190
    expect(qpackCode(() => d.decode(0, hex('0000 5f')))).toBe(QPACK_DECOMPRESSION_FAILED); // truncated
    expect(qpackCode(() => d.feedEncoderStream(hex('05')))).toBe(QPACK_ENCODER_STREAM_ERROR); // duplicate of nothing
    const zero = new QpackDecoder({ ...opts, maxTableCapacity: 0 });
    expect(qpackCode(() => zero.decode(0, hex('0200 80')))).toBe(QPACK_DECOMPRESSION_FAILED);
  });

  it('parses encoder instructions split at every byte boundary', () => {
    const stream = Buffer.concat([
      encodeSetCapacity(300),
      encodeInsertWithLiteralName('custom-key', 'custom-value'),
      encodeInsertWithNameRef(true, 0, 'www.example.com'),
      encodeInsertWithNameRef(false, 0, 'x'),
      encodeDuplicate(1),
    ]);
    const d = new QpackDecoder(opts);
    for (let i = 0; i < stream.length; i++) d.feedEncoderStream(stream.subarray(i, i + 1));
    expect(d.table.insertCount).toBe(4);
    expect(d.table.get(2)).toEqual([':authority', 'x']);
    expect(d.table.get(3)).toEqual([':authority', 'www.example.com']);
  });

  it('survives fuzzing: only QpackError escapes, within a bounded time', () => {
    let seed = 99;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000;
    const seeds = [
      encodeFieldSection([
        [':method', 'POST'],
        [':path', '/x'],
        ['x-y', 'z'.repeat(30)],
      ]),
      hex('0381 10 11'),
      hex('0500 80 c1 81'),
      hex('0380 80 10 40 01 77'),
    ];
    const encSeeds = [hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d'), encodeInsertWithLiteralName('custom-key', 'custom-value'), hex('02')];
    const started = Date.now();
    for (let i = 0; i < 20000; i++) {
      const d = new QpackDecoder({ maxTableCapacity: 256, maxBlockedStreams: 4, maxFieldSectionSize: 4096 });
      const mutate = (b: Buffer) => {
        const m = Buffer.from(b);
        const flips = 1 + Math.floor(rand() * 3);
        for (let j = 0; j < flips && m.length > 0; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        return rand() < 0.2 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
      };
      const random = () => Buffer.from(Array.from({ length: Math.floor(rand() * 24) }, () => Math.floor(rand() * 256)));
      try {
        d.feedEncoderStream(rand() < 0.5 ? mutate(encSeeds[i % encSeeds.length]!) : random());
        d.decode(i * 4, rand() < 0.7 ? mutate(seeds[i % seeds.length]!) : random());
        d.feedEncoderStream(random());
        d.takeDecoderStreamData();
      } catch (e) {
        if (!(e instanceof QpackError)) throw e;
      }
    }
    expect(Date.now() - started).toBeLessThan(20000);
  });
});
