/**
 * Parses the frames of a decrypted packet payload (RFC 9000 §12.4, §19).
 * Hostile bytes only ever produce a QuicError: FRAME_ENCODING_ERROR for a
 * frame that is truncated, unknown or out of range, PROTOCOL_VIOLATION for a
 * frame the packet type forbids or a packet with no frames. ACK frames are
 * bounded: a Range Count that cannot fit in the bytes left is an encoding
 * error, and only the first `maxAckRanges` ranges are kept (the rest are
 * validated and skipped — less acknowledged is always safe).
 *
 * DATAGRAM frames are returned whatever was negotiated: the connection checks
 * them against its max_datagram_frame_size (RFC 9221 §3).
 */
import { PacketType } from '../packet/packet-header.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { varintLengthFromFirstByte } from '../varint.js';
import { FrameType, STREAM_FRAME_FIN, STREAM_FRAME_LEN, STREAM_FRAME_OFF, type AckFrame, type Frame } from './frame.js';
import { frameAllowedIn } from './frame-permissions.js';

/** Largest value of a stream offset or final size: 2^62 - 1 (§19.8); as a double, 2^62. */
const MAX_OFFSET = 2 ** 62;
/** Largest MAX_STREAMS / STREAMS_BLOCKED value (§19.11, §19.14). */
const MAX_STREAM_COUNT = 2 ** 60;
/** ACK ranges kept per frame by default. */
export const DEFAULT_MAX_ACK_RANGES = 256;
const MAX_CID_LENGTH = 20;
const RESET_TOKEN_LENGTH = 16;

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private packetType: PacketType = PacketType.OneRtt;
  private frameType = 0;
  /** Some frame so far in this packet is ack-eliciting (not ACK, PADDING or CONNECTION_CLOSE). */
  ackEliciting = false;
  /** Some frame so far is not ACK/CONNECTION_CLOSE: the packet counts in flight (RFC 9002 §2). */
  inFlight = false;

  constructor(private readonly maxAckRanges = DEFAULT_MAX_ACK_RANGES) {}

  /** Starts on the payload of a packet of `packetType`. Throws PROTOCOL_VIOLATION for an empty payload (§12.4). */
  reset(payload: Buffer, packetType: PacketType): void {
    if (payload.length === 0) throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'packet with no frames');
    this.buf = payload;
    this.pos = 0;
    this.end = payload.length;
    this.packetType = packetType;
    this.ackEliciting = false;
    this.inFlight = false;
  }

  /** The next frame, or undefined at the end of the payload. */
  next(): Frame | undefined {
    if (this.pos >= this.end) return undefined;
    const start = this.pos;
    this.frameType = 0;
    const type = this.varint();
    if (this.pos - start > varintSizeOfNumber(type)) {
      throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `frame type 0x${type.toString(16)} not in its shortest encoding`, type);
    }
    this.frameType = type;
    if (!frameAllowedIn(type, this.packetType)) {
      if (type > FrameType.DATAGRAM_LEN || (type > FrameType.HANDSHAKE_DONE && type < FrameType.DATAGRAM)) {
        throw this.encodingError(`unknown frame type 0x${type.toString(16)}`);
      }
      throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `frame type 0x${type.toString(16)} is not allowed in this packet type`, type);
    }
    if (type !== FrameType.ACK && type !== FrameType.ACK_ECN && type !== FrameType.CONNECTION_CLOSE && type !== FrameType.CONNECTION_CLOSE_APP) {
      this.inFlight = true;
      if (type !== FrameType.PADDING) this.ackEliciting = true;
    }
    if (type >= FrameType.STREAM && type <= 0x0f) return this.stream(type);
    switch (type) {
      case FrameType.PADDING: {
        let p = this.pos;
        while (p < this.end && this.buf[p] === 0) p++;
        const length = p - start;
        this.pos = p;
        return { type: 'padding', length };
      }
      case FrameType.PING:
        return { type: 'ping' };
      case FrameType.ACK:
      case FrameType.ACK_ECN:
        return this.ack(type === FrameType.ACK_ECN);
      case FrameType.RESET_STREAM:
        return { type: 'reset_stream', streamId: this.varint(), errorCode: this.varint(), finalSize: this.varint() };
      case FrameType.STOP_SENDING:
        return { type: 'stop_sending', streamId: this.varint(), errorCode: this.varint() };
      case FrameType.CRYPTO: {
        const offset = this.varint();
        const data = this.bytes(this.varint());
        if (offset + data.length >= MAX_OFFSET) throw this.encodingError('CRYPTO data beyond 2^62');
        return { type: 'crypto', offset, data };
      }
      case FrameType.NEW_TOKEN: {
        const token = this.bytes(this.varint());
        if (token.length === 0) throw this.encodingError('empty NEW_TOKEN');
        return { type: 'new_token', token };
      }
      case FrameType.MAX_DATA:
        return { type: 'max_data', maximum: this.varint() };
      case FrameType.MAX_STREAM_DATA:
        return { type: 'max_stream_data', streamId: this.varint(), maximum: this.varint() };
      case FrameType.MAX_STREAMS_BIDI:
      case FrameType.MAX_STREAMS_UNI:
        return { type: 'max_streams', bidirectional: type === FrameType.MAX_STREAMS_BIDI, maximum: this.streamCount() };
      case FrameType.DATA_BLOCKED:
        return { type: 'data_blocked', limit: this.varint() };
      case FrameType.STREAM_DATA_BLOCKED:
        return { type: 'stream_data_blocked', streamId: this.varint(), limit: this.varint() };
      case FrameType.STREAMS_BLOCKED_BIDI:
      case FrameType.STREAMS_BLOCKED_UNI:
        return { type: 'streams_blocked', bidirectional: type === FrameType.STREAMS_BLOCKED_BIDI, limit: this.streamCount() };
      case FrameType.NEW_CONNECTION_ID: {
        const sequenceNumber = this.varint();
        const retirePriorTo = this.varint();
        if (retirePriorTo > sequenceNumber) throw this.encodingError('Retire Prior To above the Sequence Number');
        const length = this.byte();
        if (length < 1 || length > MAX_CID_LENGTH) throw this.encodingError(`connection ID length ${length}`);
        const connectionId = this.bytes(length);
        const statelessResetToken = this.bytes(RESET_TOKEN_LENGTH);
        return { type: 'new_connection_id', sequenceNumber, retirePriorTo, connectionId, statelessResetToken };
      }
      case FrameType.RETIRE_CONNECTION_ID:
        return { type: 'retire_connection_id', sequenceNumber: this.varint() };
      case FrameType.PATH_CHALLENGE:
        return { type: 'path_challenge', data: this.bytes(8) };
      case FrameType.PATH_RESPONSE:
        return { type: 'path_response', data: this.bytes(8) };
      case FrameType.CONNECTION_CLOSE:
      case FrameType.CONNECTION_CLOSE_APP: {
        const application = type === FrameType.CONNECTION_CLOSE_APP;
        const errorCode = this.varint();
        const frameType = application ? 0 : this.varint();
        const reason = this.bytes(this.varint());
        return { type: 'connection_close', application, errorCode, frameType, reason };
      }
      case FrameType.HANDSHAKE_DONE:
        return { type: 'handshake_done' };
      case FrameType.DATAGRAM:
        return { type: 'datagram', data: this.rest() };
      case FrameType.DATAGRAM_LEN:
        return { type: 'datagram', data: this.bytes(this.varint()) };
      default:
        throw this.encodingError(`unknown frame type 0x${type.toString(16)}`);
    }
  }

  private stream(type: number): Frame {
    const streamId = this.varint();
    const offset = (type & STREAM_FRAME_OFF) !== 0 ? this.varint() : 0;
    const data = (type & STREAM_FRAME_LEN) !== 0 ? this.bytes(this.varint()) : this.rest();
    if (offset + data.length >= MAX_OFFSET) throw this.encodingError('STREAM data beyond 2^62 - 1');
    return { type: 'stream', streamId, offset, data, fin: (type & STREAM_FRAME_FIN) !== 0 };
  }

  private ack(withEcn: boolean): AckFrame {
    const largest = this.varint();
    const ackDelay = this.varint();
    const rangeCount = this.varint();
    // Each further range takes at least two bytes (Gap, ACK Range Length).
    if (rangeCount > (this.end - this.pos) / 2) throw this.encodingError(`ACK Range Count ${rangeCount} exceeds the frame`);
    const firstRange = this.varint();
    let smallest = largest - firstRange;
    if (smallest < 0) throw this.encodingError('ACK First ACK Range below packet 0');
    const ranges = [largest, smallest];
    for (let i = 0; i < rangeCount; i++) {
      const gap = this.varint();
      const length = this.varint();
      const rangeLargest = smallest - gap - 2;
      const rangeSmallest = rangeLargest - length;
      if (rangeSmallest < 0) throw this.encodingError('ACK range below packet 0');
      if (ranges.length < this.maxAckRanges * 2) ranges.push(rangeLargest, rangeSmallest);
      smallest = rangeSmallest;
    }
    const frame: AckFrame = { type: 'ack', ranges, ackDelay };
    if (withEcn) frame.ecn = { ect0: this.varint(), ect1: this.varint(), ce: this.varint() };
    return frame;
  }

  private streamCount(): number {
    const n = this.varint();
    if (n > MAX_STREAM_COUNT) throw this.encodingError(`stream count ${n} above 2^60`);
    return n;
  }

  private varint(): number {
    const p = this.pos;
    if (p >= this.end) throw this.encodingError('truncated');
    const len = varintLengthFromFirstByte(this.buf[p]!);
    if (p + len > this.end) throw this.encodingError('truncated');
    this.pos = p + len;
    const b = this.buf;
    switch (len) {
      case 1:
        return b[p]!;
      case 2:
        return ((b[p]! & 0x3f) << 8) | b[p + 1]!;
      case 4:
        return (b[p]! & 0x3f) * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      default:
        return (
          ((b[p]! & 0x3f) * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!)) * 0x100000000 +
          b[p + 4]! * 0x1000000 +
          ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!)
        );
    }
  }

  private byte(): number {
    if (this.pos >= this.end) throw this.encodingError('truncated');
    return this.buf[this.pos++]!;
  }

  private bytes(length: number): Buffer {
    if (length > this.end - this.pos) throw this.encodingError(`length ${length} runs past the packet`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private rest(): Buffer {
    return this.bytes(this.end - this.pos);
  }

  private encodingError(reason: string): QuicError {
    return new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `frame 0x${this.frameType.toString(16)}: ${reason}`, this.frameType);
  }
}

function varintSizeOfNumber(v: number): number {
  return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8;
}
