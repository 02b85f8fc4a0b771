import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EARLY_DATA_REPLAY_WINDOW_MS, EarlyDataStrikeRegister } from '../../../src/quic/tls13/early-data-strike-register.js';

describe('EarlyDataStrikeRegister', () => {
  it('accepts a binder once within the window, again after it', () => {
    const r = new EarlyDataStrikeRegister();
    const binder = randomBytes(32);
    expect(r.firstUse(binder, 1000)).toBe(true);
    expect(r.firstUse(Buffer.from(binder), 1000 + EARLY_DATA_REPLAY_WINDOW_MS - 1)).toBe(false);
    expect(r.firstUse(randomBytes(32), 1001)).toBe(true);
    // Past the window the ticket-age check refuses the copy anyway; the entry is forgotten.
    expect(r.firstUse(binder, 1000 + EARLY_DATA_REPLAY_WINDOW_MS + 1)).toBe(true);
  });

  it('is bounded: full, it refuses 0-RTT until entries age out, and never holds more than its limit', () => {
    const r = new EarlyDataStrikeRegister(1000, 100);
    for (let i = 0; i < 100; i++) expect(r.firstUse(randomBytes(32), i)).toBe(true);
    expect(r.firstUse(randomBytes(32), 100)).toBe(false);
    expect(r.size).toBe(100);
    // At 1050 the first 51 entries (times 0..50) have expired.
    expect(r.firstUse(randomBytes(32), 1050)).toBe(true);
    expect(r.size).toBe(50);
  });
});
