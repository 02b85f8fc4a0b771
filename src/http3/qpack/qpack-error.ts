/**
 * A QPACK failure with the RFC 9204 §6 error code the connection must be
 * closed with (QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR,
 * QPACK_DECODER_STREAM_ERROR).
 */
import { h3ErrorName } from '../error-codes.js';

export class QpackError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`${h3ErrorName(code)}: ${message}`);
    this.name = 'QpackError';
  }
}
