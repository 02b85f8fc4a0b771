/**
 * Serialises frames into a packet buffer at an offset (RFC 9000 §19). The
 * hot frames (STREAM, CRYPTO, ACK) have header writers so the sender copies
 * data straight from its stream buffers; writeFrame handles any frame object,
 * and frameLength says how many bytes it would take.
 */
import { varintSize, writeVarint } from '../varint.js';
import { FrameType, STREAM_FRAME_FIN, STREAM_FRAME_LEN, STREAM_FRAME_OFF, type AckFrame, type Frame } from './frame.js';

/** Bytes of a STREAM frame header (type, ID, offset if non-zero, length if `withLength`). */
export function streamFrameHeaderLength(streamId: number, offset: number, length: number, withLength: boolean): number {
  return 1 + varintSize(streamId) + (offset > 0 ? varintSize(offset) : 0) + (withLength ? varintSize(length) : 0);
}

/**
 * Writes a STREAM frame header; the caller copies `length` bytes of data
 * right after. Without a Length field the data must end the packet.
 */
export function writeStreamFrameHeader(buf: Buffer, at: number, streamId: number, offset: number, length: number, fin: boolean, withLength: boolean): number {
  buf[at] = FrameType.STREAM | (offset > 0 ? STREAM_FRAME_OFF : 0) | (withLength ? STREAM_FRAME_LEN : 0) | (fin ? STREAM_FRAME_FIN : 0);
  let p = writeVarint(buf, at + 1, streamId);
  if (offset > 0) p = writeVarint(buf, p, offset);
  if (withLength) p = writeVarint(buf, p, length);
  return p;
}

export function cryptoFrameHeaderLength(offset: number, length: number): number {
  return 1 + varintSize(offset) + varintSize(length);
}

/** Writes a CRYPTO frame header; the caller copies `length` bytes of data after it. */
export function writeCryptoFrameHeader(buf: Buffer, at: number, offset: number, length: number): number {
  buf[at] = FrameType.CRYPTO;
  return writeVarint(buf, writeVarint(buf, at + 1, offset), length);
}

/** Bytes of an ACK frame for `ranges` (flattened, largest first, as AckFrame.ranges). */
export function ackFrameLength(ranges: readonly number[], ackDelay: number, ecn?: AckFrame['ecn']): number {
  const count = ranges.length / 2;
  let n = 1 + varintSize(ranges[0]!) + varintSize(ackDelay) + varintSize(count - 1) + varintSize(ranges[0]! - ranges[1]!);
  for (let i = 2; i < ranges.length; i += 2) {
    n += varintSize(ranges[i - 1]! - ranges[i]! - 2) + varintSize(ranges[i]! - ranges[i + 1]!);
  }
  if (ecn) n += varintSize(ecn.ect0) + varintSize(ecn.ect1) + varintSize(ecn.ce);
  return n;
}

/** Writes an ACK (or ACK_ECN) frame; `ranges` flattened, largest first, at least one range. */
export function writeAckFrame(buf: Buffer, at: number, ranges: readonly number[], ackDelay: number, ecn?: AckFrame['ecn']): number {
  buf[at] = ecn ? FrameType.ACK_ECN : FrameType.ACK;
  let p = writeVarint(buf, at + 1, ranges[0]!);
  p = writeVarint(buf, p, ackDelay);
  p = writeVarint(buf, p, ranges.length / 2 - 1);
  p = writeVarint(buf, p, ranges[0]! - ranges[1]!);
  for (let i = 2; i < ranges.length; i += 2) {
    p = writeVarint(buf, p, ranges[i - 1]! - ranges[i]! - 2);
    p = writeVarint(buf, p, ranges[i]! - ranges[i + 1]!);
  }
  if (ecn) {
    p = writeVarint(buf, p, ecn.ect0);
    p = writeVarint(buf, p, ecn.ect1);
    p = writeVarint(buf, p, ecn.ce);
  }
  return p;
}

/** Bytes `frame` takes when written by writeFrame (STREAM and DATAGRAM with a Length field). */
export function frameLength(frame: Frame): number {
  switch (frame.type) {
    case 'padding':
      return frame.length;
    case 'ping':
    case 'handshake_done':
      return 1;
    case 'ack':
      return ackFrameLength(frame.ranges, frame.ackDelay, frame.ecn);
    case 'reset_stream':
      return 1 + varintSize(frame.streamId) + varintSize(frame.errorCode) + varintSize(frame.finalSize);
    case 'stop_sending':
      return 1 + varintSize(frame.streamId) + varintSize(frame.errorCode);
    case 'crypto':
      return cryptoFrameHeaderLength(frame.offset, frame.data.length) + frame.data.length;
    case 'new_token':
      return 1 + varintSize(frame.token.length) + frame.token.length;
    case 'stream':
      return streamFrameHeaderLength(frame.streamId, frame.offset, frame.data.length, true) + frame.data.length;
    case 'max_data':
      return 1 + varintSize(frame.maximum);
    case 'max_stream_data':
      return 1 + varintSize(frame.streamId) + varintSize(frame.maximum);
    case 'max_streams':
      return 1 + varintSize(frame.maximum);
    case 'data_blocked':
    case 'streams_blocked':
      return 1 + varintSize(frame.limit);
    case 'stream_data_blocked':
      return 1 + varintSize(frame.streamId) + varintSize(frame.limit);
    case 'new_connection_id':
      return 1 + varintSize(frame.sequenceNumber) + varintSize(frame.retirePriorTo) + 1 + frame.connectionId.length + 16;
    case 'retire_connection_id':
      return 1 + varintSize(frame.sequenceNumber);
    case 'path_challenge':
    case 'path_response':
      return 9;
    case 'connection_close':
      return 1 + varintSize(frame.errorCode) + (frame.application ? 0 : varintSize(frame.frameType)) + varintSize(frame.reason.length) + frame.reason.length;
    case 'datagram':
      return 1 + varintSize(frame.data.length) + frame.data.length;
  }
}

/** Writes `frame` at `at`; returns the offset after it. The caller checked the room with frameLength. */
export function writeFrame(buf: Buffer, at: number, frame: Frame): number {
  let p = at + 1;
  switch (frame.type) {
    case 'padding':
      buf.fill(0, at, at + frame.length);
      return at + frame.length;
    case 'ping':
      buf[at] = FrameType.PING;
      return p;
    case 'handshake_done':
      buf[at] = FrameType.HANDSHAKE_DONE;
      return p;
    case 'ack':
      return writeAckFrame(buf, at, frame.ranges, frame.ackDelay, frame.ecn);
    case 'reset_stream':
      buf[at] = FrameType.RESET_STREAM;
      p = writeVarint(buf, p, frame.streamId);
      p = writeVarint(buf, p, frame.errorCode);
      return writeVarint(buf, p, frame.finalSize);
    case 'stop_sending':
      buf[at] = FrameType.STOP_SENDING;
      p = writeVarint(buf, p, frame.streamId);
      return writeVarint(buf, p, frame.errorCode);
    case 'crypto':
      p = writeCryptoFrameHeader(buf, at, frame.offset, frame.data.length);
      return p + frame.data.copy(buf, p);
    case 'new_token':
      buf[at] = FrameType.NEW_TOKEN;
      p = writeVarint(buf, p, frame.token.length);
      return p + frame.token.copy(buf, p);
    case 'stream':
      p = writeStreamFrameHeader(buf, at, frame.streamId, frame.offset, frame.data.length, frame.fin, true);
      return p + frame.data.copy(buf, p);
    case 'max_data':
      buf[at] = FrameType.MAX_DATA;
      return writeVarint(buf, p, frame.maximum);
    case 'max_stream_data':
      buf[at] = FrameType.MAX_STREAM_DATA;
      return writeVarint(buf, writeVarint(buf, p, frame.streamId), frame.maximum);
    case 'max_streams':
      buf[at] = frame.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
      return writeVarint(buf, p, frame.maximum);
    case 'data_blocked':
      buf[at] = FrameType.DATA_BLOCKED;
      return writeVarint(buf, p, frame.limit);
    case 'stream_data_blocked':
      buf[at] = FrameType.STREAM_DATA_BLOCKED;
      return writeVarint(buf, writeVarint(buf, p, frame.streamId), frame.limit);
    case 'streams_blocked':
      buf[at] = frame.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
      return writeVarint(buf, p, frame.limit);
    case 'new_connection_id':
      buf[at] = FrameType.NEW_CONNECTION_ID;
      p = writeVarint(buf, p, frame.sequenceNumber);
      p = writeVarint(buf, p, frame.retirePriorTo);
      buf[p++] = frame.connectionId.length;
      p += frame.connectionId.copy(buf, p);
      return p + frame.statelessResetToken.copy(buf, p, 0, 16);
    case 'retire_connection_id':
      buf[at] = FrameType.RETIRE_CONNECTION_ID;
      return writeVarint(buf, p, frame.sequenceNumber);
    case 'path_challenge':
    case 'path_response':
      buf[at] = frame.type === 'path_challenge' ? FrameType.PATH_CHALLENGE : FrameType.PATH_RESPONSE;
      return p + frame.data.copy(buf, p, 0, 8);
    case 'connection_close':
      buf[at] = frame.application ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE;
      p = writeVarint(buf, p, frame.errorCode);
      if (!frame.application) p = writeVarint(buf, p, frame.frameType);
      p = writeVarint(buf, p, frame.reason.length);
      return p + frame.reason.copy(buf, p);
    case 'datagram':
      buf[at] = FrameType.DATAGRAM_LEN;
      p = writeVarint(buf, p, frame.data.length);
      return p + frame.data.copy(buf, p);
  }
}
