import { describe, expect, it } from 'vitest';
import {
  AWS_LBC_QUIC_SERVER_ID_ENV,
  QuicLbConnectionIdGenerator,
  decodeQuicLbConnectionId,
  quicLbGeneratorFromEnv,
} from '../../src/quic/quic-lb-connection-id.js';

const awsServerId = Buffer.from('a1b2c3d4e5f60718', 'hex'); // 8 bytes, as the AWS LB Controller assigns

describe('QuicLbConnectionIdGenerator', () => {
  it('issues 16-byte IDs for an 8-byte server ID and 7-byte nonce, with the length in the low five bits', () => {
    const gen = new QuicLbConnectionIdGenerator({ serverId: awsServerId });
    expect(gen.length).toBe(16);
    const cid = gen.generate();
    expect(cid.length).toBe(16);
    expect(cid[0]! >> 5).toBe(0);
    expect(cid[0]! & 0x1f).toBe(15);
    expect(cid.subarray(1, 9).equals(awsServerId)).toBe(true);
  });

  it('puts the config rotation in the top three bits', () => {
    for (const rotation of [0, 1, 5, 6]) {
      const cid = new QuicLbConnectionIdGenerator({ serverId: awsServerId, configRotation: rotation, nonceLength: 4 }).generate();
      expect(cid.length).toBe(13);
      expect(cid[0]).toBe((rotation << 5) | 12);
      const decoded = decodeQuicLbConnectionId(cid, 8)!;
      expect(decoded.configRotation).toBe(rotation);
      expect(decoded.lengthMatches).toBe(true);
    }
  });

  it('decodes every issued ID back to the server ID, and never repeats a nonce over 20,000 IDs', () => {
    const gen = new QuicLbConnectionIdGenerator({ serverId: awsServerId, configRotation: 2, nonceLength: 7 });
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const cid = gen.generate();
      const decoded = decodeQuicLbConnectionId(cid, 8);
      expect(decoded).toBeDefined();
      expect(decoded!.serverId.equals(awsServerId)).toBe(true);
      expect(decoded!.nonce.length).toBe(7);
      seen.add(cid.toString('hex'));
    }
    expect(seen.size).toBe(20_000);
  });

  it('spreads nonce bits (no constant byte across IDs)', () => {
    const gen = new QuicLbConnectionIdGenerator({ serverId: awsServerId });
    const ids = Array.from({ length: 256 }, () => gen.generate());
    for (let pos = 9; pos < 16; pos++) {
      const values = new Set(ids.map((id) => id[pos]));
      expect(values.size).toBeGreaterThan(100);
    }
  });

  it('rejects parameters that cannot make a valid QUIC-LB ID', () => {
    expect(() => new QuicLbConnectionIdGenerator({ serverId: Buffer.alloc(0) })).toThrow(/1\.\.15 bytes/);
    expect(() => new QuicLbConnectionIdGenerator({ serverId: Buffer.alloc(16) })).toThrow(/1\.\.15 bytes/);
    expect(() => new QuicLbConnectionIdGenerator({ serverId: awsServerId, configRotation: 7 })).toThrow(/reserved/);
    expect(() => new QuicLbConnectionIdGenerator({ serverId: awsServerId, nonceLength: 3 })).toThrow(/4\.\.18/);
    expect(() => new QuicLbConnectionIdGenerator({ serverId: awsServerId, nonceLength: 12 })).toThrow(/at most 19/);
    // 8 + 11 = 19 is the maximum: a 20-byte ID.
    expect(new QuicLbConnectionIdGenerator({ serverId: awsServerId, nonceLength: 11 }).generate().length).toBe(20);
  });
});

describe('decodeQuicLbConnectionId', () => {
  it('decodes the draft test vector (plaintext, self-encoded length, 3-byte server ID)', () => {
    const decoded = decodeQuicLbConnectionId(Buffer.from('07966fb1f3cb535f', 'hex'), 3)!;
    expect(decoded.serverId.toString('hex')).toBe('966fb1');
    expect(decoded.nonce.toString('hex')).toBe('f3cb535f');
    expect(decoded.configRotation).toBe(0);
    expect(decoded.lengthMatches).toBe(true);
  });

  it('reports length bits that do not match instead of failing (load balancers ignore them)', () => {
    const decoded = decodeQuicLbConnectionId(Buffer.from('3feb31cece744b74', 'hex'), 4)!;
    expect(decoded.serverId.toString('hex')).toBe('eb31cece');
    expect(decoded.lengthMatches).toBe(false);
  });

  it('treats rotation 0b111 and too-short IDs as unroutable', () => {
    expect(decodeQuicLbConnectionId(Buffer.from('e7966fb1f3cb535f', 'hex'), 3)).toBeUndefined();
    expect(decodeQuicLbConnectionId(Buffer.from('0496', 'hex'), 3)).toBeUndefined();
    expect(decodeQuicLbConnectionId(Buffer.alloc(0), 1)).toBeUndefined();
    expect(decodeQuicLbConnectionId(Buffer.alloc(21), 8)).toBeUndefined();
    expect(() => decodeQuicLbConnectionId(Buffer.alloc(10), 0)).toThrow(/serverIdLength/);
  });
});

describe('quicLbGeneratorFromEnv', () => {
  it('reads the base64 server ID the AWS Load Balancer Controller injects', () => {
    const env = { [AWS_LBC_QUIC_SERVER_ID_ENV]: awsServerId.toString('base64') };
    const gen = quicLbGeneratorFromEnv({ configRotation: 0, nonceLength: 7 }, env);
    expect(gen.length).toBe(16);
    expect(decodeQuicLbConnectionId(gen.generate(), 8)!.serverId.equals(awsServerId)).toBe(true);
  });

  it('uses a custom variable name, and an explicit serverId over the environment', () => {
    const other = Buffer.from('0102030405060708', 'hex');
    const env = { MY_SID: other.toString('base64'), [AWS_LBC_QUIC_SERVER_ID_ENV]: awsServerId.toString('base64') };
    expect(quicLbGeneratorFromEnv({ serverIdEnv: 'MY_SID' }, env).serverId.equals(other)).toBe(true);
    expect(quicLbGeneratorFromEnv({ serverIdEnv: 'MY_SID', serverId: awsServerId.toString('base64') }, env).serverId.equals(awsServerId)).toBe(true);
  });

  it('explains a missing variable, including how EKS injects it', () => {
    expect(() => quicLbGeneratorFromEnv({}, {})).toThrow(/AWS_LBC_QUIC_SERVER_ID is not set.*quic-server-id-inject=enabled/);
    expect(() => quicLbGeneratorFromEnv({ serverIdEnv: 'SID' }, { SID: '  ' })).toThrow(/SID is not set/);
  });

  it('rejects values that are not base64 or have the wrong length', () => {
    expect(() => quicLbGeneratorFromEnv({}, { [AWS_LBC_QUIC_SERVER_ID_ENV]: 'not base64!' })).toThrow(/not base64/);
    expect(() => quicLbGeneratorFromEnv({ serverIdLength: 8 }, { [AWS_LBC_QUIC_SERVER_ID_ENV]: 'AQID' })).toThrow(/3 bytes.*expects 8/);
    const tooLong = Buffer.alloc(16, 1).toString('base64');
    expect(() => quicLbGeneratorFromEnv({}, { [AWS_LBC_QUIC_SERVER_ID_ENV]: tooLong })).toThrow(/AWS_LBC_QUIC_SERVER_ID.*1\.\.15 bytes/);
  });
});
