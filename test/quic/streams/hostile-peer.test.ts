/**
 * A hostile peer: random and mutated frames against ConnectionStreams. The
 * only thing that may come out is QuicError, and whatever gets through never
 * makes us hold more than the windows we advertised, or more fragments than
 * the caps.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/quic/frames/frame.js';
import { FrameReader } from '../../../src/quic/frames/frame-reader.js';
import { frameLength, writeFrame } from '../../../src/quic/frames/frame-writer.js';
import { PacketType } from '../../../src/quic/packet/packet-header.js';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { ConnectionStreams } from '../../../src/quic/streams/connection-streams.js';
import { randomInt, seededRandom } from '../seeded-random.js';
import { DEFAULT_PARAMETERS, expectQuicError } from './stream-pair.js';

function fresh(options: Partial<ConstructorParameters<typeof ConnectionStreams>[0]> = {}): ConnectionStreams {
  const s = new ConnectionStreams({ role: 'server', local: DEFAULT_PARAMETERS, ...options });
  s.setPeerParameters(DEFAULT_PARAMETERS);
  return s;
}

/** Asserts the memory bounds: per stream within its window, over all within the connection's. */
function assertBounded(s: ConnectionStreams): void {
  const fc = s.flowControl;
  let total = 0;
  for (let id = 0; id < 64; id++) {
    const recv = s.stream(id)?.recv;
    if (recv === undefined) continue;
    expect(recv.bufferedBytes).toBeLessThanOrEqual(recv.flow.limit - recv.readOffset);
    expect(recv.fragmentCount).toBeLessThanOrEqual(1024);
    total += recv.bufferedBytes;
  }
  expect(total).toBe(s.receiveBufferedBytes);
  expect(total).toBeLessThanOrEqual(fc.receiveLimit - fc.consumed);
  expect(fc.received).toBeLessThanOrEqual(fc.receiveLimit);
}

describe('ConnectionStreams against a hostile peer', () => {
  it('random frames raise only QuicError and never break the memory bounds (seeded, 200 connections × 300 frames)', () => {
    const codes = new Map<number, number>();
    for (let round = 0; round < 200; round++) {
      const random = seededRandom(round + 42);
      const s = fresh();
      s.openStream('bidi');
      s.openStream('uni');
      const pick = (values: number[]) => values[randomInt(random, values.length)]!;
      try {
        for (let i = 0; i < 300; i++) {
          const r = random();
          // Mostly the peer's own streams (where final-size and flow-control rules bite), sometimes any or absurd IDs.
          const id = r < 0.85 ? 4 * randomInt(random, 6) + (random() < 0.5 ? 0 : 2) : r < 0.97 ? randomInt(random, 48) : pick([2 ** 62 - 1, 2 ** 53, 4 * 1000]);
          const offset = random() < 0.8 ? randomInt(random, 6000) : pick([2 ** 62 - 1, 2 ** 53, 16 * 1024, 64 * 1024]);
          const length = random() < 0.9 ? randomInt(random, 1500) : randomInt(random, 20_000);
          switch (randomInt(random, 9)) {
            case 0:
            case 1:
            case 2:
              s.onStreamFrame(id, offset, Buffer.alloc(length, i), random() < 0.3);
              break;
            case 3:
              s.onResetStream(id, randomInt(random, 100), offset);
              break;
            case 4:
              s.onStopSending(id, randomInt(random, 100));
              break;
            case 5:
              s.onMaxStreamData(id, offset);
              break;
            case 6:
              s.onMaxStreams(random() < 0.5, random() < 0.9 ? randomInt(random, 100) : 2 ** 62);
              break;
            case 7:
              s.onStreamsBlocked(random() < 0.5, random() < 0.9 ? randomInt(random, 100) : 2 ** 61);
              break;
            default:
              // The application reads a little, sometimes gives up.
              if (random() < 0.1) {
                const target = randomInt(random, 48);
                if (s.stream(target)?.recv && !s.stream(target)!.recv!.readingStopped) s.stopReading(target, 1);
              } else s.read(randomInt(random, 48), i, randomInt(random, 3000));
          }
          for (let f = s.pollControlFrame(); f !== undefined; f = s.pollControlFrame());
          assertBounded(s);
        }
      } catch (error) {
        expect(error).toBeInstanceOf(QuicError);
        const code = (error as QuicError).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        assertBounded(s);
      }
    }
    // The fuzzing reached the interesting errors, not just one of them.
    for (const code of [QuicErrorCode.FLOW_CONTROL_ERROR, QuicErrorCode.STREAM_LIMIT_ERROR, QuicErrorCode.STREAM_STATE_ERROR, QuicErrorCode.FINAL_SIZE_ERROR]) {
      expect(codes.get(code) ?? 0, `code 0x${code.toString(16)}`).toBeGreaterThan(0);
    }
  });

  it('one-byte frames at every other offset on many streams stop at the per-connection fragment cap', () => {
    const s = fresh({ maxFragmentsPerConnection: 2000, maxFragmentsPerStream: 1024 });
    let error: QuicError | undefined;
    let frames = 0;
    outer: for (let id = 0; id < 32; id += 4) {
      for (let i = 0; i < 900; i++) {
        try {
          s.onStreamFrame(id, 1 + 2 * i, Buffer.from([1]), false);
          frames++;
        } catch (e) {
          error = e as QuicError;
          break outer;
        }
      }
    }
    expect(error).toBeInstanceOf(QuicError);
    expect(error!.code).toBe(QuicErrorCode.INTERNAL_ERROR);
    expect(frames).toBe(2000);
  });

  it('one-byte frames at every other offset on one stream stop at the per-stream fragment cap', () => {
    const s = fresh({ maxFragmentsPerStream: 100 });
    for (let i = 0; i < 100; i++) s.onStreamFrame(0, 1 + 2 * i, Buffer.from([1]), false);
    expectQuicError(() => s.onStreamFrame(0, 1000, Buffer.from([1]), true), QuicErrorCode.INTERNAL_ERROR);
    // The refused frame left no trace: neither its offset nor its FIN.
    expect(s.stream(0)!.recv!.highestReceived).toBe(200);
    expect(s.stream(0)!.recv!.finalSize).toBeUndefined();
    // Filling the gaps is always fine: it merges rather than adds fragments.
    const t = fresh({ maxFragmentsPerStream: 100 });
    for (let i = 0; i < 100; i++) t.onStreamFrame(0, 1 + 2 * i, Buffer.from([1]), false);
    for (let i = 0; i < 100; i++) t.onStreamFrame(0, 2 * i, Buffer.from([2]), false);
    expect(t.stream(0)!.recv!.readableBytes).toBe(200);
  });

  it('a window-sized flood of tiny in-order frames while the application does not read is held compactly', () => {
    const s = fresh();
    for (let i = 0; i < 16 * 1024; i++) s.onStreamFrame(0, i, Buffer.from([i & 0xff]), false);
    const recv = s.stream(0)!.recv!;
    expect(recv.bufferedBytes).toBe(16 * 1024);
    expect(recv.fragmentCount).toBeLessThanOrEqual(2);
    expectQuicError(() => s.onStreamFrame(0, 16 * 1024, Buffer.from([0]), false), QuicErrorCode.FLOW_CONTROL_ERROR);
  });

  it('mutated encodings of stream frames, parsed by FrameReader and fed to onFrame, raise only QuicError (seeded, 300 packets)', () => {
    const random = seededRandom(9000);
    const reader = new FrameReader();
    let errors = 0;
    let handled = 0;
    for (let round = 0; round < 300; round++) {
      const s = fresh();
      s.openStream('bidi');
      const frames: Frame[] = [];
      for (let i = 0; i < 12; i++) {
        const streamId = 4 * randomInt(random, 4) + randomInt(random, 4);
        const n = randomInt(random, 3000);
        const choices: Frame[] = [
          { type: 'stream', streamId, offset: randomInt(random, 20_000), data: Buffer.alloc(randomInt(random, 400), i), fin: random() < 0.2 },
          { type: 'reset_stream', streamId, errorCode: randomInt(random, 300), finalSize: n },
          { type: 'stop_sending', streamId, errorCode: 7 },
          { type: 'max_stream_data', streamId, maximum: n },
          { type: 'max_data', maximum: n },
          { type: 'max_streams', bidirectional: random() < 0.5, maximum: randomInt(random, 50) },
          { type: 'streams_blocked', bidirectional: random() < 0.5, limit: randomInt(random, 50) },
          { type: 'stream_data_blocked', streamId, limit: n },
          { type: 'data_blocked', limit: n },
        ];
        frames.push(choices[randomInt(random, choices.length)]!);
      }
      const payload = Buffer.alloc(frames.reduce((sum, f) => sum + frameLength(f), 0));
      let at = 0;
      for (const f of frames) at = writeFrame(payload, at, f);
      // Mutate a few bytes (or none: the valid packet must also be handled).
      for (let m = randomInt(random, 4); m > 0; m--) payload[randomInt(random, payload.length)] = randomInt(random, 256);
      try {
        reader.reset(payload, PacketType.OneRtt);
        for (let f = reader.next(); f !== undefined; f = reader.next()) if (s.onFrame(f)) handled++;
      } catch (error) {
        expect(error).toBeInstanceOf(QuicError);
        errors++;
      }
      for (let f = s.pollControlFrame(); f !== undefined; f = s.pollControlFrame());
      assertBounded(s);
    }
    expect(handled).toBeGreaterThan(300);
    expect(errors).toBeGreaterThan(10);
  });
});
