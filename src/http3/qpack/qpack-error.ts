/**
 * A QPACK failure with the RFC 9204 §6 error code the connection must be
 * closed with. The codes are QPACK's own (defined by RFC 9204, not 9114), so
 * they live here and the HTTP/3 layer above imports them: QPACK depends on
 * nothing in http3/.
 */
export const QPACK_DECOMPRESSION_FAILED = 0x200;
export const QPACK_ENCODER_STREAM_ERROR = 0x201;
export const QPACK_DECODER_STREAM_ERROR = 0x202;

const NAMES: Record<number, string> = {
  [QPACK_DECOMPRESSION_FAILED]: 'QPACK_DECOMPRESSION_FAILED',
  [QPACK_ENCODER_STREAM_ERROR]: 'QPACK_ENCODER_STREAM_ERROR',
  [QPACK_DECODER_STREAM_ERROR]: 'QPACK_DECODER_STREAM_ERROR',
};

/** Symbolic name of a QPACK error code (http3/error-codes.ts names every HTTP/3 code with it). */
export function qpackErrorName(code: number): string | undefined {
  return NAMES[code];
}

export class QpackError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`${qpackErrorName(code) ?? `0x${code.toString(16)}`}: ${message}`);
    this.name = 'QpackError';
  }
}
