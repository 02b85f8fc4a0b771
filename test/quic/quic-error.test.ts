import { describe, expect, it } from 'vitest';
import { cryptoErrorCode, QuicError, QuicErrorCode, quicErrorCodeName } from '../../src/quic/quic-error.js';

describe('QuicError', () => {
  it('carries code, frame type and reason, and names the code', () => {
    const e = new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, 'ACK range underflow', 0x02);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(0x07);
    expect(e.frameType).toBe(0x02);
    expect(e.message).toBe('FRAME_ENCODING_ERROR: ACK range underflow');
    expect(quicErrorCodeName(cryptoErrorCode(0x28))).toBe('CRYPTO_ERROR(0x28)');
    expect(quicErrorCodeName(0x99)).toBe('0x99');
  });
});
