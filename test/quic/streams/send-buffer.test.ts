import { describe, expect, it } from 'vitest';
import { SendBuffer } from '../../../src/quic/streams/send-buffer.js';
import { patternBytes, randomInt, seededRandom, shuffle } from '../seeded-random.js';

describe('SendBuffer', () => {
  it('hands out new data within the budget and the credit, then a FIN with the last bytes', () => {
    const buffer = new SendBuffer();
    buffer.write(Buffer.from('0123456789'));
    buffer.end();
    const a = buffer.nextChunk(4, 100)!;
    expect([a.offset, a.data.toString(), a.fin, a.newBytes]).toEqual([0, '0123', false, 4]);
    const b = buffer.nextChunk(100, 3)!;
    expect([b.offset, b.data.toString(), b.fin]).toEqual([4, '456', false]);
    const c = buffer.nextChunk(100, 100)!;
    expect([c.offset, c.data.toString(), c.fin]).toEqual([7, '789', true]);
    expect(buffer.nextChunk(100, 100)).toBeUndefined();
    expect(buffer.hasPending).toBe(false);
  });

  it('sends a bare FIN when end comes after all data went out', () => {
    const buffer = new SendBuffer();
    buffer.write(Buffer.from('ab'));
    buffer.nextChunk(100, 100);
    buffer.end();
    expect(buffer.hasPendingWithoutCredit).toBe(true);
    const fin = buffer.nextChunk(100, 0)!;
    expect([fin.offset, fin.data.length, fin.fin]).toEqual([2, 0, true]);
  });

  it('returns a view within one write and a copy across writes', () => {
    const first = Buffer.from('abc');
    const buffer = new SendBuffer();
    buffer.write(first);
    buffer.write(Buffer.from('def'));
    const a = buffer.nextChunk(2, 100)!;
    expect(a.data.buffer).toBe(first.buffer);
    const b = buffer.nextChunk(3, 100)!;
    expect(b.data.toString()).toBe('cde');
  });

  it('retransmits lost ranges first, minus what was acknowledged since', () => {
    const buffer = new SendBuffer();
    buffer.write(Buffer.from('abcdefghijklmnopqrst'));
    buffer.end();
    buffer.nextChunk(10, 100); // 0..10
    buffer.nextChunk(10, 100); // 10..20 + FIN
    buffer.onAcked(4, 3, false);
    buffer.onLost(0, 10, false);
    expect(buffer.lostRanges()).toEqual([
      [0, 4],
      [7, 10],
    ]);
    buffer.onLost(10, 10, true);
    const r1 = buffer.nextChunk(100, 0)!;
    expect([r1.offset, r1.data.toString(), r1.newBytes]).toEqual([0, 'abcd', 0]);
    const r2 = buffer.nextChunk(100, 0)!;
    expect([r2.offset, r2.data.toString()]).toEqual([7, 'hijklmnopqrst']);
    expect(r2.fin).toBe(true);
    expect(buffer.nextChunk(100, 0)).toBeUndefined();
  });

  it('a lost range acknowledged before it is resent is not resent', () => {
    const buffer = new SendBuffer();
    buffer.write(Buffer.from('abcdef'));
    buffer.nextChunk(100, 100);
    buffer.onLost(0, 6, false);
    buffer.onAcked(0, 6, false);
    expect(buffer.lostRanges()).toEqual([]);
    expect(buffer.nextChunk(100, 100)).toBeUndefined();
  });

  it('resends a lost bare FIN', () => {
    const buffer = new SendBuffer();
    buffer.write(Buffer.from('abc'));
    buffer.end();
    buffer.nextChunk(100, 100);
    buffer.onAcked(0, 3, false);
    buffer.onLost(3, 0, true);
    const fin = buffer.nextChunk(100, 0)!;
    expect([fin.offset, fin.data.length, fin.fin]).toEqual([3, 0, true]);
  });

  it('frees memory as the acknowledged prefix grows, whatever order ACKs come in (seeded)', () => {
    const random = seededRandom(77);
    const data = patternBytes(64 * 1024, 3);
    const buffer = new SendBuffer();
    for (let at = 0; at < data.length; at += 1000) buffer.write(data.subarray(at, Math.min(data.length, at + 1000)));
    buffer.end();
    const frames: [number, number, boolean][] = [];
    for (let chunk = buffer.nextChunk(1200, Infinity); chunk; chunk = buffer.nextChunk(1200, Infinity)) {
      expect(chunk.data.equals(data.subarray(chunk.offset, chunk.offset + chunk.data.length))).toBe(true);
      frames.push([chunk.offset, chunk.data.length, chunk.fin]);
    }
    shuffle(random, frames);
    let lastBuffered = buffer.bufferedBytes;
    expect(lastBuffered).toBe(data.length);
    for (const [offset, length, fin] of frames) {
      // Lose a third of them once: the resend is acknowledged instead.
      if (random() < 0.33) {
        buffer.onLost(offset, length, fin);
        const resent = buffer.nextChunk(1200 + randomInt(random, 2), 0)!;
        expect(resent.newBytes).toBe(0);
        expect(resent.data.equals(data.subarray(resent.offset, resent.offset + resent.data.length))).toBe(true);
      }
      buffer.onAcked(offset, length, fin);
      expect(buffer.bufferedBytes).toBeLessThanOrEqual(lastBuffered);
      lastBuffered = buffer.bufferedBytes;
    }
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.allAcked).toBe(true);
  });
});
