/**
 * A QUIC transport error (RFC 9000 §20.1): what closes a connection with a
 * CONNECTION_CLOSE frame of type 0x1c. Every protocol object of our QUIC stack
 * throws this and nothing else on hostile input, so the connection can turn
 * any failure into the right close without guessing.
 */

/** Transport error codes, RFC 9000 §20.1. CRYPTO_ERROR is a range: 0x100 + TLS alert. */
export const TransportErrorCode = {
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
  CRYPTO_ERROR_BASE: 0x100,
} as const;

export type TransportErrorName = keyof typeof TransportErrorCode;

export class QuicError extends Error {
  /**
   * @param code transport error code (RFC 9000 §20.1)
   * @param reason what was wrong, for the reason phrase and logs
   * @param frameType the type of the frame that triggered it (0 when unknown or not frame-related)
   */
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly frameType = 0,
  ) {
    super(`${transportErrorName(code)}: ${reason}`);
    this.name = 'QuicError';
  }
}

/** The RFC name of a transport error code, for messages and qlog. */
export function transportErrorName(code: number): string {
  if (code >= 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${(code - 0x100).toString(16)})`;
  for (const [name, value] of Object.entries(TransportErrorCode)) if (value === code) return name;
  return `0x${code.toString(16)}`;
}
