/**
 * A QUIC transport error (RFC 9000 §20.1): what closes a connection with
 * CONNECTION_CLOSE (type 0x1c). Every parser and state machine of the QUIC
 * stack throws only this for what a peer sent, so the connection can turn any
 * throw into the right close without guessing.
 */

/** Transport error codes, RFC 9000 §20.1 (CRYPTO_ERROR is 0x0100 + TLS alert). */
export const QuicErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  /** 0x0100–0x01ff: a TLS alert; use cryptoErrorCode(alert). */
  CRYPTO_ERROR: 0x100,
} as const;

export type QuicErrorCodeName = keyof typeof QuicErrorCode;

/** CRYPTO_ERROR for a TLS alert (RFC 9001 §4.8). */
export function cryptoErrorCode(alert: number): number {
  return 0x100 + (alert & 0xff);
}

const NAMES = new Map<number, string>(Object.entries(QuicErrorCode).map(([name, code]) => [code, name]));

/** Human name of a transport error code, e.g. 'PROTOCOL_VIOLATION' or 'CRYPTO_ERROR(0x28)'. */
export function quicErrorCodeName(code: number): string {
  if (code > 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${(code - 0x100).toString(16)})`;
  return NAMES.get(code) ?? `0x${code.toString(16)}`;
}

export class QuicError extends Error {
  /**
   * @param code transport error code (RFC 9000 §20.1)
   * @param reason why, for the CONNECTION_CLOSE reason phrase and logs
   * @param frameType the frame type that triggered the error, 0 when none/unknown (RFC 9000 §19.19)
   */
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly frameType = 0,
  ) {
    super(`${quicErrorCodeName(code)}: ${reason}`);
    this.name = 'QuicError';
  }
}

/** True when `error` is a QuicError (for callers that catch unknown). */
export function isQuicError(error: unknown): error is QuicError {
  return error instanceof QuicError;
}
