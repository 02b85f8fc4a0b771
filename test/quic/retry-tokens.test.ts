import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { RetryTokens } from '../../src/quic/retry-tokens.js';

describe('RetryTokens', () => {
  const odcid = randomBytes(8);
  const scid = randomBytes(16);

  it('a Retry token gives back the original DCID for the same IP and Retry SCID only, for 10 s', () => {
    let now = 1_000_000;
    const tokens = new RetryTokens(() => now);
    const t = tokens.mint('192.0.2.1', odcid, scid);
    expect(tokens.validate(t, '192.0.2.1', scid)).toEqual(odcid);
    expect(tokens.validate(t, '192.0.2.2', scid)).toBeUndefined();
    expect(tokens.validate(t, '192.0.2.1', randomBytes(16))).toBeUndefined();
    now += 10_001;
    expect(tokens.validate(t, '192.0.2.1', scid)).toBeUndefined();
  });

  it('a NEW_TOKEN token proves the same IP for a day, and the two kinds are never taken for each other', () => {
    let now = 1_000_000;
    const tokens = new RetryTokens({ now: () => now });
    const t = tokens.mintNewToken('2001:db8::1');
    expect(tokens.validateNewToken(t, '2001:db8::1')).toBe(true);
    expect(tokens.validateNewToken(t, '2001:db8::2')).toBe(false);
    expect(tokens.isRetryToken(t)).toBe(false);
    expect(tokens.validate(t, '2001:db8::1', scid)).toBeUndefined();
    const retry = tokens.mint('2001:db8::1', odcid, scid);
    expect(tokens.isRetryToken(retry)).toBe(true);
    expect(tokens.validateNewToken(retry, '2001:db8::1')).toBe(false);
    now += 24 * 3600_000 + 1;
    expect(tokens.validateNewToken(t, '2001:db8::1')).toBe(false);
  });

  it('tokens minted under a shared key are accepted by another instance with that key (workers, replicas), not by one without', () => {
    const key = randomBytes(32);
    const t = new RetryTokens({ key }).mintNewToken('192.0.2.1');
    expect(new RetryTokens({ key }).validateNewToken(t, '192.0.2.1')).toBe(true);
    expect(new RetryTokens().validateNewToken(t, '192.0.2.1')).toBe(false);
  });

  it('garbage and mutated tokens validate as nothing and never throw', () => {
    const tokens = new RetryTokens();
    const good = [tokens.mintNewToken('192.0.2.1'), tokens.mint('192.0.2.1', odcid, scid)];
    for (let i = 0; i < 2000; i++) {
      const t = i % 2 ? randomBytes(i % 64) : Buffer.from(good[(i >> 1) % 2]!);
      if (i % 2 === 0) t[i % t.length] ^= 1 + (i % 255);
      expect(tokens.validateNewToken(t, '192.0.2.1')).toBe(false);
      expect(tokens.validate(t, '192.0.2.1', scid)).toBeUndefined();
    }
  });
});
