/**
 * Stateless reset tokens and packets (RFC 9000 §10.3): the token is
 * HMAC-SHA256(key, label || connection ID) cut to 16 bytes, the same for every
 * server holding the key; resets are shorter than their trigger, never under
 * 21 bytes, look like short-header packets and are rate-limited. Also where
 * the key comes from (file or environment variable).
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatelessResets, isStatelessReset, processResetKey } from '../../src/quic/stateless-reset.js';
import { readStatelessResetKey } from '../../src/config/stateless-reset-key.js';
import { validateStaticConfig } from '../../src/config/load-static-config.js';

const key = Buffer.alloc(32, 7);
const cid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('stateless reset tokens', () => {
  test('HMAC-SHA256 of the connection ID under the key, 16 bytes (fixed vector)', () => {
    const r = new StatelessResets({ key });
    expect(r.token(cid).toString('hex')).toBe('bd1bc36948b651c9037ba05813b3a1d6');
    // quiche takes a u128 and sends its big-endian bytes.
    expect(r.tokenBigInt(cid)).toBe(0xbd1bc36948b651c9037ba05813b3a1d6n);
  });

  test('the same key gives the same token on every server; another key or another ID does not', () => {
    const a = new StatelessResets({ key });
    const b = new StatelessResets({ key: Buffer.from(key) });
    expect(b.token(cid)).toEqual(a.token(cid));
    expect(new StatelessResets({ key: Buffer.alloc(32, 8) }).token(cid)).not.toEqual(a.token(cid));
    const other = Buffer.from(cid);
    other[15] ^= 1;
    expect(a.token(other)).not.toEqual(a.token(cid));
  });

  test('keys shorter than 32 bytes are refused; without a key, one random key per process', () => {
    expect(() => new StatelessResets({ key: Buffer.alloc(31) })).toThrow(/at least 32 bytes/);
    expect(processResetKey()).toBe(processResetKey());
    expect(new StatelessResets().token(cid)).toEqual(new StatelessResets().token(cid));
    expect(new StatelessResets().token(cid)).not.toEqual(new StatelessResets({ key }).token(cid));
  });
});

describe('stateless reset packets', () => {
  const r = () => new StatelessResets({ key, ratePerSecond: 1_000_000 });

  test('always shorter than the trigger and at least 21 bytes; one byte shorter up to 43 bytes', () => {
    const resets = r();
    for (const size of [22, 30, 43, 44, 100, 1200, 1350, 1500]) {
      for (let i = 0; i < 20; i++) {
        // A trigger with an 8-byte DCID so that small sizes are plausible packets.
        const res = resets.reset(cid.subarray(0, 4), size);
        expect('packet' in res).toBe(true);
        const p = (res as { packet: Buffer }).packet;
        expect(p.length).toBeLessThan(size);
        expect(p.length).toBeGreaterThanOrEqual(21);
        expect(p.length).toBeLessThanOrEqual(1200);
        if (size <= 43) expect(p.length).toBe(size - 1);
        else expect(p.length).toBeGreaterThanOrEqual(43);
        expect(p[0]! & 0xc0).toBe(0x40);
        expect(isStatelessReset(p, [resets.token(cid.subarray(0, 4))])).toBe(true);
      }
    }
  });

  test('no reset for a trigger of 21 bytes or less, or too short to be a packet for its DCID', () => {
    const resets = r();
    expect(resets.reset(cid.subarray(0, 1), 21)).toEqual({ refused: 'too-small' });
    // 16-byte DCID: 1 + 16 + 1 (packet number) + 16 (AEAD tag) = 34 bytes at least.
    expect(resets.reset(cid, 33)).toEqual({ refused: 'too-small' });
    expect('packet' in resets.reset(cid, 34)).toBe(true);
  });

  test('rate-limited: a burst of ratePerSecond, then refill with time', () => {
    let now = 1_000;
    const resets = new StatelessResets({ key, ratePerSecond: 5, now: () => now });
    const sent = () => Array.from({ length: 10 }, () => resets.reset(cid, 100)).filter((x) => 'packet' in x).length;
    expect(sent()).toBe(5);
    expect(resets.reset(cid, 100)).toEqual({ refused: 'rate-limited' });
    now += 400; // 2 tokens back
    expect(sent()).toBe(2);
  });

  test('a reset answered with a reset shrinks until it is too small to answer', () => {
    const resets = r();
    let size = 1350;
    let rounds = 0;
    for (;;) {
      const res = resets.reset(cid.subarray(0, 8), size);
      if (!('packet' in res)) break;
      expect(res.packet.length).toBeLessThan(size);
      size = res.packet.length;
      rounds++;
    }
    expect(rounds).toBeGreaterThan(0);
    expect(size).toBeGreaterThanOrEqual(21);
  });
});

describe('the stateless reset key in the static configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-reset-key-'));
  const hex = 'a'.repeat(64);

  test('from a file (a trailing newline is not part of it) or an environment variable; neither means none', () => {
    writeFileSync(join(dir, 'k'), hex + '\n');
    expect(readStatelessResetKey({ statelessResetKeyFile: join(dir, 'k') })!.toString()).toBe(hex);
    process.env.TEST_QUIC_RESET_KEY = hex;
    expect(readStatelessResetKey({ statelessResetKeyEnv: 'TEST_QUIC_RESET_KEY' })!.toString()).toBe(hex);
    delete process.env.TEST_QUIC_RESET_KEY;
    expect(readStatelessResetKey({})).toBeUndefined();
  });

  test('problems are reported by the static config validation with the entrypoint and option', () => {
    writeFileSync(join(dir, 'short'), 'too short\n');
    const ep = (http3: Record<string, unknown>) => ({
      entryPoints: { websecure: { address: ':8443', http: { tls: {} }, http3: { enabled: true, ...http3 } } },
    });
    const problems = (doc: Record<string, unknown>) => {
      try {
        validateStaticConfig(doc, dir, 'static.yaml');
        return '';
      } catch (err) {
        return (err as Error & { problems?: string[] }).problems?.join('\n') ?? (err as Error).message;
      }
    };
    expect(problems(ep({ statelessResetKeyFile: 'short' }))).toMatch(
      /entryPoints\.websecure\.http3: statelessResetKeyFile \(.*short\): the key must be at least 32 bytes, it has 9/,
    );
    expect(problems(ep({ statelessResetKeyFile: 'missing' }))).toMatch(/entryPoints\.websecure\.http3: statelessResetKeyFile .*cannot read it: ENOENT/);
    expect(problems(ep({ statelessResetKeyEnv: 'TEST_QUIC_RESET_KEY_UNSET' }))).toMatch(/the environment variable is not set/);
    expect(problems(ep({ statelessResetKeyEnv: 'not a name' }))).toMatch(/statelessResetKeyEnv: must match pattern/);
    writeFileSync(join(dir, 'good'), hex);
    expect(problems(ep({ statelessResetKeyFile: 'good', statelessResetKeyEnv: 'X' }))).toMatch(/not both/);
    // Relative to the directory of the static configuration.
    expect(problems(ep({ statelessResetKeyFile: 'good' }))).toBe('');
  });
});
