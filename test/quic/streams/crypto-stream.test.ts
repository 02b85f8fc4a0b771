import { describe, expect, it } from 'vitest';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { CryptoStream } from '../../../src/quic/streams/crypto-stream.js';
import { patternBytes, randomInt, seededRandom, shuffle } from '../seeded-random.js';

function drain(stream: CryptoStream): Buffer {
  const parts: Buffer[] = [];
  for (let part = stream.read(); part !== undefined; part = stream.read()) parts.push(part);
  return Buffer.concat(parts);
}

function errorCodeOf(fn: () => void): number | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QuicError);
    return (error as QuicError).code;
  }
  return undefined;
}

describe('CryptoStream', () => {
  it('reassembles a split, reordered handshake flight', () => {
    const flight = patternBytes(3000, 9);
    const stream = new CryptoStream();
    stream.onCryptoFrame(1200, flight.subarray(1200, 2400));
    stream.onCryptoFrame(2400, flight.subarray(2400));
    expect(stream.read()).toBeUndefined();
    stream.onCryptoFrame(0, flight.subarray(0, 1200));
    expect(drain(stream).equals(flight)).toBe(true);
  });

  it('refuses data more than the cap past what TLS consumed (CRYPTO_BUFFER_EXCEEDED)', () => {
    const stream = new CryptoStream({ bufferLimit: 4096 });
    expect(errorCodeOf(() => stream.onCryptoFrame(4000, Buffer.alloc(97)))).toBe(QuicErrorCode.CRYPTO_BUFFER_EXCEEDED);
    stream.onCryptoFrame(0, Buffer.alloc(4096));
    drain(stream);
    // The cap slides with the read offset.
    stream.onCryptoFrame(8000, Buffer.alloc(192));
    expect(stream.bufferedBytes).toBe(192);
  });

  it('refuses an offset past 2^62-1 (FRAME_ENCODING_ERROR)', () => {
    const stream = new CryptoStream();
    expect(errorCodeOf(() => stream.onCryptoFrame(2 ** 62, Buffer.alloc(4096)))).toBe(QuicErrorCode.FRAME_ENCODING_ERROR);
  });

  it('CVE-2024-1765 pattern: a flood of tiny out-of-order CRYPTO frames stays within the byte and fragment caps', () => {
    const stream = new CryptoStream({ bufferLimit: 64 * 1024, maxFragments: 256 });
    const random = seededRandom(1765);
    let refusedWith: number | undefined;
    let frames = 0;
    // One-byte frames at every other offset (never adjacent, never deliverable), then random ones, 100 000 at most.
    for (let i = 0; i < 100_000 && refusedWith === undefined; i++) {
      const offset = i < 1000 ? 1 + 2 * i : 1 + randomInt(random, 64 * 1024 - 2);
      refusedWith = errorCodeOf(() => stream.onCryptoFrame(offset, Buffer.from([i & 0xff])));
      frames++;
      expect(stream.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
      expect(stream.fragmentCount).toBeLessThanOrEqual(256);
    }
    expect(refusedWith).toBe(QuicErrorCode.CRYPTO_BUFFER_EXCEEDED);
    expect(frames).toBeLessThanOrEqual(257);
  });

  it('CVE-2024-1765 pattern: repeated and in-order tiny frames with nothing read are bounded by the byte cap', () => {
    const stream = new CryptoStream({ bufferLimit: 16 * 1024 });
    for (let round = 0; round < 5; round++) for (let i = 0; i < 1000; i++) stream.onCryptoFrame(i, Buffer.from([1])); // duplicates: stored once
    expect(stream.bufferedBytes).toBe(1000);
    let refusedWith: number | undefined;
    for (let i = 1000; i < 100_000 && refusedWith === undefined; i++) {
      refusedWith = errorCodeOf(() => stream.onCryptoFrame(i, Buffer.from([1])));
      expect(stream.bufferedBytes).toBeLessThanOrEqual(16 * 1024);
    }
    expect(refusedWith).toBe(QuicErrorCode.CRYPTO_BUFFER_EXCEEDED);
    expect(stream.fragmentCount).toBeLessThanOrEqual(2);
  });

  it('shuffled legitimate flights of many frames reassemble exactly (seeded, 50 rounds)', () => {
    for (let round = 0; round < 50; round++) {
      const random = seededRandom(round);
      const flight = patternBytes(1 + randomInt(random, 20_000), round);
      const frames: [number, number][] = [];
      for (let at = 0; at < flight.length; at += 100) frames.push([at, Math.min(flight.length, at + 100 + randomInt(random, 50))]);
      shuffle(random, frames);
      const stream = new CryptoStream();
      for (const [s, e] of frames) stream.onCryptoFrame(s, flight.subarray(s, e));
      expect(drain(stream).equals(flight)).toBe(true);
    }
  });

  it('sends, retransmits lost ranges and forgets acknowledged ones', () => {
    const stream = new CryptoStream();
    stream.write(Buffer.from('client hello....'));
    const first = stream.nextChunk(6)!;
    const second = stream.nextChunk(100)!;
    expect([first.offset, second.offset, second.data.length]).toEqual([0, 6, 10]);
    stream.onLost(0, 6);
    stream.onAcked(6, 10);
    const again = stream.nextChunk(100)!;
    expect([again.offset, again.data.toString()]).toEqual([0, 'client']);
    stream.onAcked(0, 6);
    expect(stream.unackedBytes).toBe(0);
    expect(stream.hasDataToSend).toBe(false);
  });
});
