import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/quic/frames/frame.js';
import { isAckEliciting } from '../../../src/quic/frames/frame.js';
import { frameAllowedIn } from '../../../src/quic/frames/frame-permissions.js';
import { FrameReader } from '../../../src/quic/frames/frame-reader.js';
import { frameLength, writeFrame, writeStreamFrameHeader } from '../../../src/quic/frames/frame-writer.js';
import { PacketType } from '../../../src/quic/packet/packet-header.js';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { fuzz } from '../fuzz.js';

const b = (hex: string) => Buffer.from(hex, 'hex');

const EVERY_FRAME: Frame[] = [
  { type: 'padding', length: 3 },
  { type: 'ping' },
  { type: 'ack', ranges: [100, 90, 80, 80, 10, 0], ackDelay: 25 },
  { type: 'ack', ranges: [2 ** 40, 2 ** 40 - 5], ackDelay: 0, ecn: { ect0: 5, ect1: 0, ce: 70000 } },
  { type: 'reset_stream', streamId: 4, errorCode: 0x10c, finalSize: 123456 },
  { type: 'stop_sending', streamId: 8, errorCode: 0 },
  { type: 'crypto', offset: 1000, data: b('0102030405') },
  { type: 'new_token', token: b('aabbcc') },
  { type: 'stream', streamId: 0, offset: 0, data: b('68656c6c6f'), fin: false },
  { type: 'stream', streamId: 2 ** 40, offset: 2 ** 33, data: b(''), fin: true },
  { type: 'max_data', maximum: 2 ** 50 },
  { type: 'max_stream_data', streamId: 3, maximum: 65536 },
  { type: 'max_streams', bidirectional: true, maximum: 100 },
  { type: 'max_streams', bidirectional: false, maximum: 2 ** 50 },
  { type: 'data_blocked', limit: 1 },
  { type: 'stream_data_blocked', streamId: 7, limit: 99 },
  { type: 'streams_blocked', bidirectional: true, limit: 3 },
  { type: 'streams_blocked', bidirectional: false, limit: 4 },
  { type: 'new_connection_id', sequenceNumber: 5, retirePriorTo: 2, connectionId: b('0102030405060708'), statelessResetToken: Buffer.alloc(16, 9) },
  { type: 'retire_connection_id', sequenceNumber: 4 },
  { type: 'path_challenge', data: b('0011223344556677') },
  { type: 'path_response', data: b('8899aabbccddeeff') },
  { type: 'connection_close', application: false, errorCode: 0x0a, frameType: 0x08, reason: Buffer.from('bad') },
  { type: 'connection_close', application: true, errorCode: 0x100, frameType: 0, reason: Buffer.alloc(0) },
  { type: 'handshake_done' },
  { type: 'datagram', data: b('deadbeef') },
];

function serialize(frames: Frame[]): Buffer {
  const buf = Buffer.alloc(4096);
  let p = 0;
  for (const f of frames) {
    const end = writeFrame(buf, p, f);
    expect(end - p).toBe(frameLength(f));
    p = end;
  }
  return buf.subarray(0, p);
}

function readAll(payload: Buffer, type: PacketType, reader = new FrameReader()): Frame[] {
  reader.reset(payload, type);
  const out: Frame[] = [];
  for (let f = reader.next(); f; f = reader.next()) out.push(f);
  return out;
}

function expectError(fn: () => unknown, code: number): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(code);
    return;
  }
  throw new Error('expected a QuicError');
}

describe('QUIC frames (RFC 9000 §19, RFC 9221)', () => {
  it('round-trips every frame type through writer and reader', () => {
    const payload = serialize(EVERY_FRAME);
    const frames = readAll(payload, PacketType.OneRtt);
    expect(frames).toEqual(EVERY_FRAME);
  });

  it('returns STREAM and CRYPTO data as views into the payload (no copies)', () => {
    const payload = serialize([{ type: 'stream', streamId: 1, offset: 5, data: b('abcdef'), fin: false }]);
    const [frame] = readAll(payload, PacketType.OneRtt);
    expect(frame!.type).toBe('stream');
    const data = (frame as { data: Buffer }).data;
    expect(data.buffer).toBe(payload.buffer);
    payload[payload.length - 1] = 0x00;
    expect(data[data.length - 1]).toBe(0);
  });

  it('reads a STREAM frame without Length to the end of the packet, and all 8 STREAM types', () => {
    for (let type = 0x08; type <= 0x0f; type++) {
      const buf = Buffer.alloc(64);
      const off = type & 0x04 ? 9 : 0;
      const p = writeStreamFrameHeader(buf, 0, 4, off, 3, (type & 1) === 1, (type & 2) === 2);
      expect(buf[0]).toBe(type);
      buf.write('xyz', p);
      const [f] = readAll(buf.subarray(0, p + 3), PacketType.ZeroRtt);
      expect(f).toEqual({ type: 'stream', streamId: 4, offset: off, data: Buffer.from('xyz'), fin: (type & 1) === 1 });
    }
  });

  it('tells ack-eliciting and in-flight packets apart', () => {
    const r = new FrameReader();
    readAll(
      serialize([
        { type: 'ack', ranges: [3, 0], ackDelay: 0 },
        { type: 'padding', length: 10 },
      ]),
      PacketType.Initial,
      r,
    );
    expect(r.ackEliciting).toBe(false);
    expect(r.inFlight).toBe(true);
    readAll(serialize([{ type: 'ack', ranges: [3, 0], ackDelay: 0 }]), PacketType.Initial, r);
    expect(r.inFlight).toBe(false);
    readAll(serialize([{ type: 'ping' }]), PacketType.Handshake, r);
    expect(r.ackEliciting).toBe(true);
    expect(EVERY_FRAME.filter((f) => !isAckEliciting(f)).map((f) => f.type)).toEqual(['padding', 'ack', 'ack', 'connection_close', 'connection_close']);
  });

  it('enforces the §12.4 table: forbidden frame for the packet type is PROTOCOL_VIOLATION', () => {
    const forbidden: [Frame, PacketType][] = [
      [{ type: 'stream', streamId: 0, offset: 0, data: b('00'), fin: false }, PacketType.Initial],
      [{ type: 'stream', streamId: 0, offset: 0, data: b('00'), fin: false }, PacketType.Handshake],
      [{ type: 'ack', ranges: [1, 0], ackDelay: 0 }, PacketType.ZeroRtt],
      [{ type: 'crypto', offset: 0, data: b('00') }, PacketType.ZeroRtt],
      [{ type: 'handshake_done' }, PacketType.Handshake],
      [{ type: 'new_token', token: b('01') }, PacketType.ZeroRtt],
      [{ type: 'path_response', data: Buffer.alloc(8) }, PacketType.ZeroRtt],
      [{ type: 'connection_close', application: true, errorCode: 0, frameType: 0, reason: Buffer.alloc(0) }, PacketType.Initial],
      [{ type: 'datagram', data: b('00') }, PacketType.Handshake],
      [{ type: 'max_data', maximum: 1 }, PacketType.Initial],
    ];
    for (const [frame, packetType] of forbidden) {
      expectError(() => readAll(serialize([frame]), packetType), QuicErrorCode.PROTOCOL_VIOLATION);
    }
    expect(frameAllowedIn(0x1c, PacketType.Initial)).toBe(true);
    expect(frameAllowedIn(0x02, PacketType.Handshake)).toBe(true);
    expectError(() => readAll(Buffer.alloc(0), PacketType.OneRtt), QuicErrorCode.PROTOCOL_VIOLATION);
  });

  it('refuses malformed frames with FRAME_ENCODING_ERROR and the frame type', () => {
    const cases: [string, number][] = [
      ['1f', 0x1f], // unknown type
      ['4020', 0x20], // unknown type, 2-byte
      ['0200000005', 0x02], // ACK first range below 0
      ['020a0001050a', 0x02], // ACK second range below 0
      ['0206000100', 0x02], // truncated range
      ['06ff', 0x06], // truncated CRYPTO offset
      ['060005aabb', 0x06], // CRYPTO length past packet
      ['0700', 0x07], // empty NEW_TOKEN
      ['12e000000000000000', 0x12], // MAX_STREAMS 2^61
      ['18010200', 0x18], // retire prior to > seq
      ['180100150102', 0x18], // cid length 21
      ['1a0102', 0x1a], // short PATH_CHALLENGE
      ['0c00ffffffffffffffffaa', 0x0c], // STREAM data past 2^62 - 1
    ];
    for (const [hex, type] of cases) {
      try {
        readAll(b(hex), PacketType.OneRtt);
        throw new Error(`accepted ${hex}`);
      } catch (error) {
        expect(error, hex).toBeInstanceOf(QuicError);
        expect((error as QuicError).frameType, hex).toBe(type);
        expect([QuicErrorCode.FRAME_ENCODING_ERROR, QuicErrorCode.PROTOCOL_VIOLATION]).toContain((error as QuicError).code);
      }
    }
    // A frame type in a longer encoding than needed is a PROTOCOL_VIOLATION.
    expectError(() => readAll(b('4001'), PacketType.OneRtt), QuicErrorCode.PROTOCOL_VIOLATION);
  });

  it('bounds ACK frames: an absurd Range Count is an error, ranges past the cap are validated and dropped', () => {
    // Range Count 2^30 with two bytes left.
    expectError(() => readAll(b('020500bfffffff00'), PacketType.OneRtt), QuicErrorCode.FRAME_ENCODING_ERROR);
    const ranges: number[] = [];
    for (let i = 0; i < 1000; i++) ranges.push(100000 - i * 10, 100000 - i * 10 - 1);
    const reader = new FrameReader(64);
    const [ack] = readAll(serialize([{ type: 'ack', ranges, ackDelay: 1 }]), PacketType.OneRtt, reader);
    expect((ack as { ranges: number[] }).ranges).toEqual(ranges.slice(0, 128));
  });

  it('fuzz: random and mutated payloads only ever raise QuicError', () => {
    const seeds = [serialize(EVERY_FRAME), ...EVERY_FRAME.map((f) => serialize([f]))];
    const reader = new FrameReader();
    const types = [PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake, PacketType.OneRtt] as const;
    let i = 0;
    const refused = fuzz(seeds, 20000, (input) => readAll(input, types[i++ % 4]!, reader), 7);
    expect(refused).toBeGreaterThan(1000);
  });
});
