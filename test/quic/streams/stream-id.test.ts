import { describe, expect, it } from 'vitest';
import { StreamType, isUnidirectional, streamIdOf, streamIndex, streamInitiator, streamType, streamTypeOf } from '../../../src/quic/streams/stream-id.js';

describe('stream IDs (RFC 9000 §2.1)', () => {
  it('reads initiator and direction from the two low bits', () => {
    expect([0, 1, 2, 3].map((id) => [streamInitiator(id), isUnidirectional(id)])).toEqual([
      ['client', false],
      ['server', false],
      ['client', true],
      ['server', true],
    ]);
    expect(streamTypeOf('server', 'uni')).toBe(StreamType.ServerUni);
    expect(streamTypeOf('client', 'bidi')).toBe(StreamType.ClientBidi);
  });

  it('counts streams of a type and works past 32 bits', () => {
    expect(streamIndex(8)).toBe(2);
    expect(streamIdOf(StreamType.ServerUni, 2)).toBe(11);
    const big = streamIdOf(StreamType.ClientUni, 2 ** 40);
    expect(big).toBe(2 ** 42 + 2);
    expect(streamType(big)).toBe(StreamType.ClientUni);
    expect(streamIndex(big)).toBe(2 ** 40);
  });
});
