/**
 * Bounded fuzzing for QUIC parsers: random and mutated inputs from a seeded
 * generator (a failure reproduces), asserting only QuicError escapes.
 */
import { QuicError } from '../../src/quic/quic-error.js';

/** xorshift32: deterministic and fast. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** A copy of `input` with a few random byte flips, truncation or insertion. */
export function mutate(input: Buffer, random: () => number): Buffer {
  let out = Buffer.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = random();
    if (out.length > 0 && kind < 0.6) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    else if (kind < 0.8) out = out.subarray(0, Math.floor(random() * (out.length + 1)));
    else {
      const at = Math.floor(random() * (out.length + 1));
      out = Buffer.concat([out.subarray(0, at), Buffer.of(Math.floor(random() * 256)), out.subarray(at)]);
    }
  }
  return out;
}

export function randomBytesFrom(random: () => number, maxLength: number): Buffer {
  const out = Buffer.allocUnsafe(Math.floor(random() * maxLength));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/**
 * Runs `parse` on `iterations` random and mutated inputs; returns how many
 * were refused. Anything thrown other than QuicError fails the caller's test
 * with the input in hex.
 */
export function fuzz(seeds: Buffer[], iterations: number, parse: (input: Buffer) => void, seed = 1): number {
  const random = seededRandom(seed);
  let refused = 0;
  for (let i = 0; i < iterations; i++) {
    const input = i % 4 === 0 || seeds.length === 0 ? randomBytesFrom(random, 64) : mutate(seeds[i % seeds.length]!, random);
    try {
      parse(input);
    } catch (error) {
      if (!(error instanceof QuicError)) throw new Error(`parser threw ${String(error)} on ${input.toString('hex')}`, { cause: error });
      refused++;
    }
  }
  return refused;
}
