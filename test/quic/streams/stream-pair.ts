/**
 * Two ConnectionStreams (client and server) joined by a simulated network of
 * frames: each "packet" is a list of frames the receiver gets (or loses, or
 * gets late) and the sender later learns the fate of, as a QUIC connection
 * would from ACKs and loss detection. Seeded, so every run is the same.
 */
import { expect } from 'vitest';
import { ConnectionStreams, type ConnectionStreamsOptions, type StreamTransportParameters } from '../../../src/quic/streams/connection-streams.js';
import { frameLength } from '../../../src/quic/frames/frame-writer.js';
import type { StreamControlFrame, StreamEvent } from '../../../src/quic/streams/stream-frames.js';

export type SentFrame = { kind: 'control'; frame: StreamControlFrame } | { kind: 'stream'; streamId: number; offset: number; data: Buffer; fin: boolean };

export const DEFAULT_PARAMETERS: StreamTransportParameters = {
  initialMaxData: 64 * 1024,
  initialMaxStreamDataBidiLocal: 16 * 1024,
  initialMaxStreamDataBidiRemote: 16 * 1024,
  initialMaxStreamDataUni: 16 * 1024,
  initialMaxStreamsBidi: 8,
  initialMaxStreamsUni: 4,
};

export function makePair(
  client: Partial<ConnectionStreamsOptions> = {},
  server: Partial<ConnectionStreamsOptions> = {},
): { client: ConnectionStreams; server: ConnectionStreams } {
  const c = new ConnectionStreams({ role: 'client', local: DEFAULT_PARAMETERS, ...client });
  const s = new ConnectionStreams({ role: 'server', local: DEFAULT_PARAMETERS, ...server });
  c.setPeerParameters(server.local ?? DEFAULT_PARAMETERS);
  s.setPeerParameters(client.local ?? DEFAULT_PARAMETERS);
  return { client: c, server: s };
}

/** Builds one packet's worth of frames: control frames first, then stream data within `budget` bytes. */
export function buildPacket(from: ConnectionStreams, budget = 1200): SentFrame[] {
  const frames: SentFrame[] = [];
  for (let frame = from.pollControlFrame(); frame !== undefined; frame = from.pollControlFrame()) {
    frames.push({ kind: 'control', frame });
  }
  let left = budget;
  while (left > 0) {
    const frame = from.nextStreamFrame(left);
    if (frame === undefined) break;
    const size = frameLength(frame);
    expect(size).toBeLessThanOrEqual(left);
    // Copy, as encoding into a packet would: the sender keeps its own buffers.
    frames.push({ kind: 'stream', streamId: frame.streamId, offset: frame.offset, data: Buffer.from(frame.data), fin: frame.fin });
    left -= size;
  }
  return frames;
}

export function deliver(to: ConnectionStreams, frames: SentFrame[]): void {
  for (const f of frames) {
    if (f.kind === 'stream') to.onStreamFrame(f.streamId, f.offset, f.data, f.fin);
    else expect(to.onFrame(f.frame)).toBe(true);
  }
}

export function reportFate(from: ConnectionStreams, frames: SentFrame[], acked: boolean): void {
  for (const f of frames) {
    if (f.kind === 'stream') {
      if (acked) from.onStreamFrameAcked(f.streamId, f.offset, f.data.length, f.fin);
      else from.onStreamFrameLost(f.streamId, f.offset, f.data.length, f.fin);
    } else if (acked) from.onControlFrameAcked(f.frame);
    else from.onControlFrameLost(f.frame);
  }
}

export function drainEvents(streams: ConnectionStreams): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (let e = streams.pollEvent(); e !== undefined; e = streams.pollEvent()) out.push(e);
  return out;
}

/** Runs `fn`, expecting a QuicError with `code`; returns it. */
export function expectQuicError(fn: () => void, code: number): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a QuicError').toBeDefined();
  expect((caught as Error).name).toBe('QuicError');
  expect((caught as { code: number }).code).toBe(code);
  return caught as Error;
}
