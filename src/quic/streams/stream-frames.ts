/**
 * What ConnectionStreams hands the connection: control frames to send (as
 * plain data, for the frame encoder), the content of STREAM frames, and
 * events for the application (HTTP/3).
 */
import type { StreamDirection } from './stream-id.js';

/** A stream or flow-control frame to send; the connection encodes it and reports its loss or acknowledgement back. */
export type StreamControlFrame =
  | { type: 'max_data'; maximum: number }
  | { type: 'max_stream_data'; streamId: number; maximum: number }
  | { type: 'max_streams'; direction: StreamDirection; maximum: number }
  | { type: 'data_blocked'; limit: number }
  | { type: 'stream_data_blocked'; streamId: number; limit: number }
  | { type: 'streams_blocked'; direction: StreamDirection; limit: number }
  | { type: 'reset_stream'; streamId: number; errorCode: number; finalSize: number }
  | { type: 'stop_sending'; streamId: number; errorCode: number };

/** The content of one STREAM frame. */
export interface StreamFrameContent {
  streamId: number;
  offset: number;
  /** A view of the data the application wrote: encode it, never modify it. */
  data: Buffer;
  fin: boolean;
}

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
