import { describe, expect, it } from 'vitest';
import { ReassemblyBuffer } from '../../../src/quic/streams/reassembly-buffer.js';
import { patternBytes, randomInt, seededRandom, shuffle } from '../seeded-random.js';

function drain(buffer: ReassemblyBuffer, max?: number): Buffer {
  const parts: Buffer[] = [];
  for (let part = buffer.read(max); part !== undefined; part = buffer.read(max)) parts.push(part);
  return Buffer.concat(parts);
}

describe('ReassemblyBuffer', () => {
  it('delivers in-order data as views and tracks the read offset', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(0, Buffer.from('hello '));
    buffer.insert(6, Buffer.from('world'));
    expect(buffer.readableBytes).toBe(11);
    expect(drain(buffer).toString()).toBe('hello world');
    expect(buffer.readOffset).toBe(11);
    expect(buffer.bufferedBytes).toBe(0);
  });

  it('holds a later range until the gap is filled', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(5, Buffer.from('56789'));
    expect(buffer.read()).toBeUndefined();
    expect(buffer.bufferedBytes).toBe(5);
    buffer.insert(0, Buffer.from('01234'));
    expect(drain(buffer).toString()).toBe('0123456789');
  });

  it('stores overlapping and duplicate bytes once', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(10, Buffer.from('abcdefghij'));
    buffer.insert(5, Buffer.from('XXXXXabcdefghijklmno'.replace(/X/g, '-')));
    expect(buffer.bufferedBytes).toBe(20);
    buffer.insert(12, Buffer.from('cde'));
    expect(buffer.bufferedBytes).toBe(20);
    buffer.insert(0, Buffer.from('01234-----'));
    expect(buffer.bufferedBytes).toBe(25);
    expect(drain(buffer).toString()).toBe('01234-----abcdefghijklmno');
  });

  it('ignores data below the read offset, keeps the tail of a frame straddling it', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(0, Buffer.from('abcdef'));
    expect(drain(buffer).toString()).toBe('abcdef');
    buffer.insert(0, Buffer.from('abc'));
    expect(buffer.bufferedBytes).toBe(0);
    buffer.insert(4, Buffer.from('efgh'));
    expect(buffer.bufferedBytes).toBe(2);
    expect(drain(buffer).toString()).toBe('gh');
  });

  it('copies what it stores: reusing the caller buffer does not change held data', () => {
    const buffer = new ReassemblyBuffer(16);
    const packet = Buffer.from('later');
    buffer.insert(5, packet);
    packet.fill(0x21);
    buffer.insert(0, Buffer.from('first'));
    expect(drain(buffer).toString()).toBe('firstlater');
  });

  it('respects the read size limit', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(0, Buffer.from('abcdefghij'));
    expect(buffer.read(3)!.toString()).toBe('abc');
    expect(buffer.read(100)!.toString()).toBe('defghij');
  });

  it('appends tiny in-order pieces into one chunk instead of one fragment each', () => {
    const buffer = new ReassemblyBuffer(4);
    for (let i = 0; i < 10_000; i++) expect(buffer.insert(i, Buffer.from([i & 0xff]))).toBe(true);
    expect(buffer.fragmentCount).toBeLessThanOrEqual(1);
    const all = drain(buffer);
    expect(all.length).toBe(10_000);
    for (let i = 0; i < 10_000; i++) expect(all[i]).toBe(i & 0xff);
  });

  it('refuses a frame that would make more separate runs than allowed, storing nothing of it', () => {
    const buffer = new ReassemblyBuffer(3);
    expect(buffer.insert(2000, Buffer.from('a'))).toBe(true);
    expect(buffer.insert(4000, Buffer.from('b'))).toBe(true);
    expect(buffer.insert(6000, Buffer.from('c'))).toBe(true);
    expect(buffer.insert(8000, Buffer.from('d'))).toBe(false);
    expect(buffer.insert(100, Buffer.from('e'))).toBe(false);
    expect(buffer.fragmentCount).toBe(3);
    expect(buffer.bufferedBytes).toBe(3);
    // Touching a run extends it: no new run.
    expect(buffer.insert(2001, Buffer.from('x'))).toBe(true);
    expect(buffer.insert(3999, Buffer.alloc(1))).toBe(true);
    expect(buffer.fragmentCount).toBe(3);
    // A frame joining two runs is fine at the cap: it leaves fewer.
    expect(buffer.insert(0, Buffer.alloc(5000))).toBe(true);
    expect(buffer.fragmentCount).toBe(2);
    expect(buffer.bufferedBytes).toBe(5001);
  });

  it('full-size in-order frames the reader has not taken yet are one run, however many', () => {
    const buffer = new ReassemblyBuffer(2);
    for (let i = 0; i < 5000; i++) expect(buffer.insert(i * 1200, Buffer.alloc(1200))).toBe(true);
    expect(buffer.fragmentCount).toBe(1);
    expect(buffer.chunkCount).toBe(5000);
    expect(drain(buffer).length).toBe(6_000_000);
    expect(buffer.fragmentCount).toBe(0);
  });

  it('small pieces filling the gaps between small fragments fold them together', () => {
    const buffer = new ReassemblyBuffer(1000);
    for (let i = 0; i < 500; i++) buffer.insert(1 + 2 * i, Buffer.from([1]));
    expect(buffer.fragmentCount).toBe(500);
    for (let i = 0; i < 500; i++) buffer.insert(2 * i, Buffer.from([0]));
    expect(buffer.fragmentCount).toBe(1);
    const all = drain(buffer);
    expect(all.length).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(all[i]).toBe(i % 2);
  });

  it('reassembles random permutations of overlapping ranges exactly (seeded, 300 rounds)', () => {
    for (let round = 0; round < 300; round++) {
      const random = seededRandom(1000 + round);
      const total = 1 + randomInt(random, 5000);
      const stream = patternBytes(total, round);
      // Cover the stream with ranges of random sizes, then add random overlapping duplicates.
      const frames: [number, number][] = [];
      for (let at = 0; at < total;) {
        const len = 1 + randomInt(random, 1500);
        frames.push([at, Math.min(total, at + len)]);
        at += len;
      }
      const extra = randomInt(random, 20);
      for (let i = 0; i < extra; i++) {
        const s = randomInt(random, total);
        frames.push([s, Math.min(total, s + 1 + randomInt(random, 3000))]);
      }
      shuffle(random, frames);
      const buffer = new ReassemblyBuffer(1024);
      const parts: Buffer[] = [];
      let maxHeld = 0;
      for (const [s, e] of frames) {
        expect(buffer.insert(s, stream.subarray(s, e))).toBe(true);
        maxHeld = Math.max(maxHeld, buffer.bufferedBytes);
        expect(buffer.readOffset + buffer.bufferedBytes).toBeLessThanOrEqual(total);
        if (random() < 0.3) parts.push(drain(buffer, 1 + randomInt(random, 2000)));
      }
      parts.push(drain(buffer));
      const out = Buffer.concat(parts);
      expect(out.equals(stream), `round ${round}`).toBe(true);
      expect(maxHeld).toBeLessThanOrEqual(total);
      expect(buffer.bufferedBytes).toBe(0);
      expect(buffer.fragmentCount).toBe(0);
    }
  });

  it('reassembles random permutations of tiny overlapping pieces exactly (seeded, 300 rounds)', () => {
    for (let round = 0; round < 300; round++) {
      const random = seededRandom(7000 + round);
      const total = 1 + randomInt(random, 3000);
      const stream = patternBytes(total, round + 5);
      const frames: [number, number][] = [];
      for (let at = 0; at < total;) {
        const len = 1 + randomInt(random, random() < 0.8 ? 8 : 1200);
        frames.push([at, Math.min(total, at + len)]);
        at += len;
      }
      for (let i = randomInt(random, 30); i > 0; i--) {
        const s = randomInt(random, total);
        frames.push([s, Math.min(total, s + 1 + randomInt(random, 40))]);
      }
      shuffle(random, frames);
      const buffer = new ReassemblyBuffer(4096);
      const parts: Buffer[] = [];
      const arrived = new Array<boolean>(total).fill(false);
      for (const [s, e] of frames) {
        expect(buffer.insert(s, stream.subarray(s, e))).toBe(true);
        for (let k = s; k < e; k++) arrived[k] = true;
        if (random() < 0.1) parts.push(drain(buffer, 1 + randomInt(random, 50)));
        // Model: held bytes are the arrived ones at or past the read offset; runs are their maximal stretches.
        let heldModel = 0;
        let runsModel = 0;
        for (let k = buffer.readOffset; k < total; k++) {
          if (!arrived[k]) continue;
          heldModel++;
          if (k === buffer.readOffset || !arrived[k - 1]) runsModel++;
        }
        expect(buffer.bufferedBytes).toBe(heldModel);
        expect(buffer.fragmentCount).toBe(runsModel);
      }
      parts.push(drain(buffer));
      expect(Buffer.concat(parts).equals(stream), `round ${round}`).toBe(true);
      expect(buffer.fragmentCount).toBe(0);
    }
  });

  it('out-of-order pieces get memory of their own, never a slice of the shared allocation pool they would pin', () => {
    const buffer = new ReassemblyBuffer(16);
    buffer.insert(3000, Buffer.alloc(100, 1));
    buffer.insert(2000, Buffer.alloc(10, 2));
    buffer.insert(0, Buffer.alloc(2000, 3));
    const inOrder = buffer.read()!;
    expect(inOrder.length).toBe(2000);
    const small = buffer.read()!;
    expect(small.length).toBe(10);
    expect(small.buffer.byteLength).toBe(10);
    // A small piece joining the small held one: a new buffer of exactly both.
    buffer.insert(2010, Buffer.alloc(990, 4));
    const rest = buffer.read()!;
    expect(rest.length).toBe(1090);
    expect(rest.buffer.byteLength).toBe(1090);
  });

  it('discardAll forgets held data', () => {
    const buffer = new ReassemblyBuffer(8);
    buffer.insert(3, Buffer.from('xyz'));
    expect(buffer.discardAll()).toBe(3);
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.fragmentCount).toBe(0);
  });
});
