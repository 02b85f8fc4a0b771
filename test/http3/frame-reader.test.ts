import { describe, expect, it } from 'vitest';
import { H3_EXCESSIVE_LOAD, H3_FRAME_ERROR, H3_FRAME_UNEXPECTED, H3_SETTINGS_ERROR, Http3Error } from '../../src/http3/error-codes.js';
import { FrameReader, type FrameEvent } from '../../src/http3/frame-reader.js';
import { encodeDataFrame, encodeFrame, encodeGoawayFrame, encodeHeadersFrame, isReservedType } from '../../src/http3/frames.js';
import { encodeSettingsFrame, parseSettings } from '../../src/http3/settings.js';
import { encodeVarint } from '../../src/quic/varint.js';

function drain(r: FrameReader): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let f = r.next(); f; f = r.next()) out.push({ ...f, payload: Buffer.from(f.payload) });
  return out;
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof Http3Error) return e.code;
    throw e;
  }
  return undefined;
}

describe('FrameReader', () => {
  const body = Buffer.alloc(3000, 0x61);
  const stream = Buffer.concat([
    encodeHeadersFrame(Buffer.from('hdrs')),
    encodeFrame(0x21, Buffer.alloc(100)), // reserved (grease) type: skipped
    encodeFrame(0x1f * 1000 + 0x21, Buffer.alloc(5)),
    encodeDataFrame(body),
    encodeFrame(0x4242, Buffer.alloc(7)), // unknown type: skipped
    encodeHeadersFrame(Buffer.from('trailers')),
  ]);

  it('parses frames fed byte by byte, streaming DATA and skipping unknown types', () => {
    const r = new FrameReader();
    const events: FrameEvent[] = [];
    for (let i = 0; i < stream.length; i++) {
      r.push(stream.subarray(i, i + 1));
      events.push(...drain(r));
    }
    expect(r.atFrameBoundary).toBe(true);
    expect(() => r.finish()).not.toThrow();
    expect(events[0]).toEqual({ type: 1, payload: Buffer.from('hdrs'), complete: true });
    const data = events.filter((e) => e.type === 0);
    expect(Buffer.concat(data.map((d) => d.payload))).toEqual(body);
    expect(data.at(-1)!.complete).toBe(true);
    expect(events.at(-1)).toEqual({ type: 1, payload: Buffer.from('trailers'), complete: true });
    expect(events.filter((e) => e.type !== 0 && e.type !== 1)).toEqual([]);
  });

  it('parses the same stream in one chunk', () => {
    const r = new FrameReader();
    r.push(stream);
    const events = drain(r);
    expect(events.map((e) => e.type)).toEqual([1, 0, 1]);
  });

  it('refuses HTTP/2-only frame types, oversized frames and FIN inside a frame', () => {
    for (const t of [0x02, 0x06, 0x08, 0x09]) {
      const r = new FrameReader();
      r.push(encodeFrame(t, Buffer.alloc(1)));
      expect(codeOf(() => r.next())).toBe(H3_FRAME_UNEXPECTED);
    }
    const big = new FrameReader(100);
    big.push(encodeHeadersFrame(Buffer.alloc(101)));
    expect(codeOf(() => big.next())).toBe(H3_EXCESSIVE_LOAD);
    const cut = new FrameReader();
    cut.push(encodeHeadersFrame(Buffer.alloc(10)).subarray(0, 5));
    expect(cut.next()).toBeUndefined();
    expect(codeOf(() => cut.finish())).toBe(H3_FRAME_ERROR);
  });

  it('recognises reserved types', () => {
    expect(isReservedType(0x21)).toBe(true);
    expect(isReservedType(0x40)).toBe(true);
    expect(isReservedType(0x22)).toBe(false);
    expect(isReservedType((1n << 62n) - 1n - (((1n << 62n) - 1n - 0x21n) % 0x1fn))).toBe(true);
  });

  it('encodes GOAWAY with a varint id', () => {
    expect(encodeGoawayFrame(4).toString('hex')).toBe('070104');
    expect(encodeGoawayFrame(1000n).toString('hex')).toBe('070243e8');
  });
});

describe('SETTINGS', () => {
  it('round-trips known settings and ignores grease', () => {
    const frame = encodeSettingsFrame({ qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 65536, enableConnectProtocol: true }, [
      [0x1f * 3 + 0x21, 7],
    ]);
    const r = new FrameReader();
    r.push(frame);
    const f = r.next()!;
    expect(f.type).toBe(4);
    expect(parseSettings(f.payload)).toEqual({
      qpackMaxTableCapacity: 4096,
      qpackBlockedStreams: 16,
      maxFieldSectionSize: 65536,
      enableConnectProtocol: true,
      h3Datagram: false,
    });
  });

  it('rejects HTTP/2 settings, duplicates, bad booleans and truncation', () => {
    const pair = (id: number, v: number) => Buffer.concat([encodeVarint(id), encodeVarint(v)]);
    expect(codeOf(() => parseSettings(pair(0x02, 1)))).toBe(H3_SETTINGS_ERROR);
    expect(codeOf(() => parseSettings(Buffer.concat([pair(1, 1), pair(1, 2)])))).toBe(H3_SETTINGS_ERROR);
    expect(codeOf(() => parseSettings(pair(0x08, 2)))).toBe(H3_SETTINGS_ERROR);
    expect(codeOf(() => parseSettings(Buffer.from([0x01])))).toBe(H3_SETTINGS_ERROR);
  });
});
