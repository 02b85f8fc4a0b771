/**
 * What ConnectionStreams hands the connection: control frames and STREAM
 * frames as the frame objects of `src/quic/frames` (ready for writeFrame /
 * writeStreamFrameHeader), and events for the application (HTTP/3).
 */
import type { Frame } from '../frames/frame.js';
import type { StreamDirection } from './stream-id.js';

/** A stream or flow-control frame to send; the connection reports its loss or acknowledgement back with the same object. */
export type StreamControlFrame = Extract<
  Frame,
  {
    type: 'max_data' | 'max_stream_data' | 'max_streams' | 'data_blocked' | 'stream_data_blocked' | 'streams_blocked' | 'reset_stream' | 'stop_sending';
  }
>;

export type StreamEvent =
  /** The peer opened the stream (also each lower-numbered one it opened implicitly). */
  | { type: 'opened'; streamId: number }
  /** In-order data, or the end of the stream, is ready: `read` until it returns undefined. */
  | { type: 'readable'; streamId: number }
  /** The peer abandoned its sending half (RESET_STREAM); unread data is gone. */
  | { type: 'reset'; streamId: number; errorCode: number }
  /** The peer asked us to stop sending (STOP_SENDING); our sending half was reset with its code. */
  | { type: 'stop-sending'; streamId: number; errorCode: number }
  /** The send buffer drained below the high-water mark after a write returned false. */
  | { type: 'writable'; streamId: number }
  /** Both halves are finished and the stream's state is gone. */
  | { type: 'closed'; streamId: number }
  /** The peer raised our stream limit after `openStream` returned undefined. */
  | { type: 'streams-available'; direction: StreamDirection };
