/**
 * HTTP/3 (RFC 9114 §8.1) application error codes, carried in
 * CONNECTION_CLOSE, RESET_STREAM and STOP_SENDING. QPACK's (RFC 9204 §6) are
 * defined in qpack/qpack-error.ts and re-exported here, where the session
 * that closes connections with them looks for every code.
 */
import { qpackErrorName } from './qpack/qpack-error.js';

export { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR, QPACK_DECODER_STREAM_ERROR } from './qpack/qpack-error.js';

export const H3_NO_ERROR = 0x100;
export const H3_GENERAL_PROTOCOL_ERROR = 0x101;
export const H3_INTERNAL_ERROR = 0x102;
export const H3_STREAM_CREATION_ERROR = 0x103;
export const H3_CLOSED_CRITICAL_STREAM = 0x104;
export const H3_FRAME_UNEXPECTED = 0x105;
export const H3_FRAME_ERROR = 0x106;
export const H3_EXCESSIVE_LOAD = 0x107;
export const H3_ID_ERROR = 0x108;
export const H3_SETTINGS_ERROR = 0x109;
export const H3_MISSING_SETTINGS = 0x10a;
export const H3_REQUEST_REJECTED = 0x10b;
export const H3_REQUEST_CANCELLED = 0x10c;
export const H3_REQUEST_INCOMPLETE = 0x10d;
export const H3_MESSAGE_ERROR = 0x10e;
export const H3_CONNECT_ERROR = 0x10f;
export const H3_VERSION_FALLBACK = 0x110;

const NAMES: Record<number, string> = {
  [H3_NO_ERROR]: 'H3_NO_ERROR',
  [H3_GENERAL_PROTOCOL_ERROR]: 'H3_GENERAL_PROTOCOL_ERROR',
  [H3_INTERNAL_ERROR]: 'H3_INTERNAL_ERROR',
  [H3_STREAM_CREATION_ERROR]: 'H3_STREAM_CREATION_ERROR',
  [H3_CLOSED_CRITICAL_STREAM]: 'H3_CLOSED_CRITICAL_STREAM',
  [H3_FRAME_UNEXPECTED]: 'H3_FRAME_UNEXPECTED',
  [H3_FRAME_ERROR]: 'H3_FRAME_ERROR',
  [H3_EXCESSIVE_LOAD]: 'H3_EXCESSIVE_LOAD',
  [H3_ID_ERROR]: 'H3_ID_ERROR',
  [H3_SETTINGS_ERROR]: 'H3_SETTINGS_ERROR',
  [H3_MISSING_SETTINGS]: 'H3_MISSING_SETTINGS',
  [H3_REQUEST_REJECTED]: 'H3_REQUEST_REJECTED',
  [H3_REQUEST_CANCELLED]: 'H3_REQUEST_CANCELLED',
  [H3_REQUEST_INCOMPLETE]: 'H3_REQUEST_INCOMPLETE',
  [H3_MESSAGE_ERROR]: 'H3_MESSAGE_ERROR',
  [H3_CONNECT_ERROR]: 'H3_CONNECT_ERROR',
  [H3_VERSION_FALLBACK]: 'H3_VERSION_FALLBACK',
};

/** Symbolic name of an error code, e.g. for logs and metrics labels. */
export function h3ErrorName(code: number): string {
  return NAMES[code] ?? qpackErrorName(code) ?? `0x${code.toString(16)}`;
}

/**
 * A protocol violation with its RFC error code. `scope` says whether the
 * peer broke the whole connection or only one request stream.
 */
export class Http3Error extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly scope: 'connection' | 'stream' = 'connection',
  ) {
    super(`${h3ErrorName(code)}: ${message}`);
    this.name = 'Http3Error';
  }
}
