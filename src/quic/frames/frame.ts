/**
 * QUIC frames (RFC 9000 §19, DATAGRAM from RFC 9221) as plain objects. Data
 * fields (STREAM, CRYPTO, DATAGRAM, tokens, connection IDs) are views into
 * the decrypted packet payload, never copies: whoever keeps one past the
 * packet copies it.
 */

export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** 0x08–0x0f: the low three bits are OFF, LEN and FIN. */
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  DATAGRAM: 0x30,
  DATAGRAM_LEN: 0x31,
} as const;

export const STREAM_FRAME_FIN = 0x01;
export const STREAM_FRAME_LEN = 0x02;
export const STREAM_FRAME_OFF = 0x04;

/** A run of PADDING bytes (parsed as one frame). */
export interface PaddingFrame {
  type: 'padding';
  length: number;
}
export interface PingFrame {
  type: 'ping';
}
export interface AckFrame {
  type: 'ack';
  /**
   * Acknowledged ranges, largest first, flattened: [largest0, smallest0,
   * largest1, smallest1, …] (inclusive bounds, strictly descending).
   */
  ranges: number[];
  /** The encoded ACK Delay, not yet scaled by the peer's ack_delay_exponent. */
  ackDelay: number;
  /** ECN counts (ACK_ECN, type 0x03). */
  ecn?: { ect0: number; ect1: number; ce: number };
}
export interface ResetStreamFrame {
  type: 'reset_stream';
  streamId: number;
  errorCode: number;
  finalSize: number;
}
export interface StopSendingFrame {
  type: 'stop_sending';
  streamId: number;
  errorCode: number;
}
export interface CryptoFrame {
  type: 'crypto';
  offset: number;
  data: Buffer;
}
export interface NewTokenFrame {
  type: 'new_token';
  token: Buffer;
}
export interface StreamFrame {
  type: 'stream';
  streamId: number;
  offset: number;
  data: Buffer;
  fin: boolean;
}
export interface MaxDataFrame {
  type: 'max_data';
  maximum: number;
}
export interface MaxStreamDataFrame {
  type: 'max_stream_data';
  streamId: number;
  maximum: number;
}
export interface MaxStreamsFrame {
  type: 'max_streams';
  bidirectional: boolean;
  maximum: number;
}
export interface DataBlockedFrame {
  type: 'data_blocked';
  limit: number;
}
export interface StreamDataBlockedFrame {
  type: 'stream_data_blocked';
  streamId: number;
  limit: number;
}
export interface StreamsBlockedFrame {
  type: 'streams_blocked';
  bidirectional: boolean;
  limit: number;
}
export interface NewConnectionIdFrame {
  type: 'new_connection_id';
  sequenceNumber: number;
  retirePriorTo: number;
  connectionId: Buffer;
  statelessResetToken: Buffer;
}
export interface RetireConnectionIdFrame {
  type: 'retire_connection_id';
  sequenceNumber: number;
}
export interface PathChallengeFrame {
  type: 'path_challenge';
  data: Buffer;
}
export interface PathResponseFrame {
  type: 'path_response';
  data: Buffer;
}
export interface ConnectionCloseFrame {
  type: 'connection_close';
  /** true: 0x1d, closed by the application (errorCode is an application code). */
  application: boolean;
  errorCode: number;
  /** Frame type that caused a transport close (0x1c only; 0 when unknown). */
  frameType: number;
  reason: Buffer;
}
export interface HandshakeDoneFrame {
  type: 'handshake_done';
}
export interface DatagramFrame {
  type: 'datagram';
  data: Buffer;
}

export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame
  | DatagramFrame;

/** Frames that do not make the receiver send an ACK (RFC 9000 §13.2.1). */
export function isAckEliciting(frame: Frame): boolean {
  return frame.type !== 'ack' && frame.type !== 'padding' && frame.type !== 'connection_close';
}
