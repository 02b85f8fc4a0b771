import { describe, expect, it } from 'vitest';
import { QuicErrorCode } from '../../../src/quic/quic-error.js';
import { ConnectionStreams } from '../../../src/quic/streams/connection-streams.js';
import { defaultTransportParameters } from '../../../src/quic/transport-parameters.js';
import { DEFAULT_PARAMETERS, buildPacket, deliver, drainEvents, expectQuicError, makePair, reportFate } from './stream-pair.js';

const E = QuicErrorCode;

function server(local = DEFAULT_PARAMETERS): ConnectionStreams {
  const s = new ConnectionStreams({ role: 'server', local });
  s.setPeerParameters(DEFAULT_PARAMETERS);
  return s;
}

function readAll(streams: ConnectionStreams, id: number, now = 0): Buffer {
  const parts: Buffer[] = [];
  for (let d = streams.read(id, now); d !== undefined; d = streams.read(id, now)) parts.push(d);
  return Buffer.concat(parts);
}

describe('ConnectionStreams: stream limits and IDs', () => {
  it('opens lower-numbered peer streams implicitly, in order', () => {
    const s = server();
    s.onStreamFrame(8, 0, Buffer.from('x'), false);
    expect(drainEvents(s).filter((e) => e.type === 'opened')).toEqual([
      { type: 'opened', streamId: 0 },
      { type: 'opened', streamId: 4 },
      { type: 'opened', streamId: 8 },
    ]);
    expect(s.streamCount).toBe(3);
  });

  it('refuses a peer stream above the advertised limit with STREAM_LIMIT_ERROR (bidi and uni)', () => {
    const s = server();
    s.onStreamFrame(4 * 7, 0, Buffer.from('x'), false); // the 8th bidi stream: allowed
    expectQuicError(() => s.onStreamFrame(4 * 8, 0, Buffer.from('x'), false), E.STREAM_LIMIT_ERROR);
    s.onStreamFrame(4 * 3 + 2, 0, Buffer.from('x'), false); // the 4th uni stream
    expectQuicError(() => s.onStreamFrame(4 * 4 + 2, 0, Buffer.from('x'), false), E.STREAM_LIMIT_ERROR);
    // A stream ID near 2^62 (rounded by varint decoding) is simply over the limit.
    expectQuicError(() => s.onResetStream(2 ** 62 - 4, 0, 0), E.STREAM_LIMIT_ERROR);
  });

  it('answers frames for streams of the wrong direction or never opened with STREAM_STATE_ERROR', () => {
    const s = server();
    const ours = s.openStream('uni')!; // 3: server uni, send-only for us
    expect(ours).toBe(3);
    expectQuicError(() => s.onStreamFrame(ours, 0, Buffer.from('x'), false), E.STREAM_STATE_ERROR);
    expectQuicError(() => s.onResetStream(ours, 0, 0), E.STREAM_STATE_ERROR);
    expectQuicError(() => s.onStreamDataBlocked(ours, 0), E.STREAM_STATE_ERROR);
    // Client uni streams are receive-only for us.
    expectQuicError(() => s.onStopSending(2, 0), E.STREAM_STATE_ERROR);
    expectQuicError(() => s.onMaxStreamData(2, 100), E.STREAM_STATE_ERROR);
    // Our bidi stream 5 was never opened (only 1 could have been).
    expectQuicError(() => s.onStreamFrame(5, 0, Buffer.from('x'), false), E.STREAM_STATE_ERROR);
    expectQuicError(() => s.onMaxStreamData(5, 100), E.STREAM_STATE_ERROR);
  });

  it('creates a peer bidi stream on STOP_SENDING or MAX_STREAM_DATA (RFC 9000 §3.2)', () => {
    const s = server();
    s.onMaxStreamData(4, 100_000);
    expect(s.hasStream(0) && s.hasStream(4)).toBe(true);
  });

  it('grants more streams (MAX_STREAMS) as peer streams close, in batches of half the limit', () => {
    const { client, server: s } = makePair();
    for (let i = 0; i < 8; i++) {
      const id = client.openStream('bidi')!;
      client.write(id, Buffer.from('req'));
      client.end(id);
    }
    expect(client.openStream('bidi')).toBeUndefined();
    const blocked = buildPacket(client);
    expect(blocked.some((f) => f.kind === 'control' && f.frame.type === 'streams_blocked' && f.frame.bidirectional && f.frame.limit === 8)).toBe(true);
    deliver(s, blocked);
    // Streams close on the server when it read them and finished its side; only then is a MAX_STREAMS due.
    for (let i = 0; i < 4; i++) {
      const id = i * 4;
      expect(readAll(s, id).toString()).toBe('req');
      s.end(id);
    }
    const answer = buildPacket(s);
    reportFate(s, answer, true);
    expect(s.streamCount).toBe(4);
    const next = buildPacket(s);
    const maxStreams = [...answer, ...next].find((f) => f.kind === 'control' && f.frame.type === 'max_streams');
    expect(maxStreams).toMatchObject({ frame: { type: 'max_streams', bidirectional: true, maximum: 12 } });
    deliver(client, [...answer, ...next]);
    expect(drainEvents(client)).toContainEqual({ type: 'streams-available', direction: 'bidi' });
    expect(client.openStream('bidi')).toBe(32);
  });

  it('a STREAMS_BLOCKED makes the peer grant what closed streams allow at once', () => {
    const s = server({ ...DEFAULT_PARAMETERS, initialMaxStreamsBidi: 10 });
    s.onStreamFrame(0, 0, Buffer.from('x'), true);
    readAll(s, 0);
    s.end(0);
    reportFate(s, buildPacket(s), true);
    expect(s.hasStream(0)).toBe(false);
    expect(s.pollControlFrame()).toBeUndefined(); // 1 closed: below the batch of 5
    s.onStreamsBlocked(true, 10);
    expect(s.pollControlFrame()).toEqual({ type: 'max_streams', bidirectional: true, maximum: 11 });
  });

  it('refuses stream counts above 2^60 (FRAME_ENCODING_ERROR in frames)', () => {
    const s = server();
    expectQuicError(() => s.onMaxStreams(true, 2 ** 60 + 4096), E.FRAME_ENCODING_ERROR);
    expectQuicError(() => s.onStreamsBlocked(false, 2 ** 61), E.FRAME_ENCODING_ERROR);
  });

  it('ignores late frames for a stream that is closed', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.from('abc'), true);
    readAll(s, 0);
    s.end(0);
    reportFate(s, buildPacket(s), true);
    expect(s.hasStream(0)).toBe(false);
    s.onStreamFrame(0, 0, Buffer.from('abc'), true);
    s.onResetStream(0, 1, 3);
    s.onStopSending(0, 1);
    expect(s.hasStream(0)).toBe(false);
  });
});

describe('ConnectionStreams: transport parameters', () => {
  it("takes whole TransportParameters objects, ours and the peer's", () => {
    const ours = { ...defaultTransportParameters(), initialMaxData: 1000, initialMaxStreamDataBidiRemote: 600, initialMaxStreamsBidi: 1 };
    const theirs = { ...defaultTransportParameters(), initialMaxData: 500, initialMaxStreamDataBidiLocal: 300 };
    const s = new ConnectionStreams({ role: 'server', local: ours });
    // Before the peer's parameters: no credit to send, no streams to open.
    expect(s.openStream('bidi')).toBeUndefined();
    s.setPeerParameters(theirs);
    s.onStreamFrame(0, 0, Buffer.alloc(600), false);
    expectQuicError(() => s.onStreamFrame(0, 600, Buffer.alloc(1), false), E.FLOW_CONTROL_ERROR);
    s.write(0, Buffer.alloc(1000));
    let sent = 0;
    for (let f = s.nextStreamFrame(1200); f; f = s.nextStreamFrame(1200)) sent += f.data.length;
    expect(sent).toBe(300);
  });
});

describe('ConnectionStreams: flow control', () => {
  it('refuses stream data past the stream window (FLOW_CONTROL_ERROR)', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.alloc(16 * 1024), false);
    expectQuicError(() => s.onStreamFrame(0, 16 * 1024, Buffer.alloc(1), false), E.FLOW_CONTROL_ERROR);
  });

  it('refuses data past the connection window summed over streams (FLOW_CONTROL_ERROR)', () => {
    const s = server({ ...DEFAULT_PARAMETERS, initialMaxData: 40 * 1024 });
    s.onStreamFrame(0, 0, Buffer.alloc(16 * 1024), false);
    s.onStreamFrame(4, 0, Buffer.alloc(16 * 1024), false);
    // Repeats and lower offsets do not count twice.
    s.onStreamFrame(0, 100, Buffer.alloc(1000), false);
    s.onStreamFrame(8, 0, Buffer.alloc(8 * 1024), false);
    expectQuicError(() => s.onStreamFrame(12, 0, Buffer.alloc(1), false), E.FLOW_CONTROL_ERROR);
  });

  it('a RESET_STREAM final size counts against the limits too', () => {
    const s = server();
    expectQuicError(() => s.onResetStream(0, 0, 16 * 1024 + 1), E.FLOW_CONTROL_ERROR);
  });

  it('sends MAX_STREAM_DATA and MAX_DATA once the reader consumed half the window, not before', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.alloc(8 * 1024 - 1), false);
    readAll(s, 0);
    expect(s.pollControlFrame()).toBeUndefined();
    s.onStreamFrame(0, 8 * 1024 - 1, Buffer.alloc(1), false);
    readAll(s, 0);
    expect(s.pollControlFrame()).toEqual({ type: 'max_stream_data', streamId: 0, maximum: 8 * 1024 + 16 * 1024 });
    expect(s.pollControlFrame()).toBeUndefined();
    // The connection window (64 KiB) needs 32 KiB consumed.
    for (const id of [4, 8, 12]) {
      s.onStreamFrame(id, 0, Buffer.alloc(8 * 1024), false);
      readAll(s, id);
    }
    const frames = [];
    for (let f = s.pollControlFrame(); f; f = s.pollControlFrame()) frames.push(f);
    expect(frames[0]).toEqual({ type: 'max_data', maximum: 32 * 1024 + 64 * 1024 });
    expect(frames.filter((f) => f.type === 'max_stream_data').length).toBe(3);
  });

  it('resends a lost MAX_DATA only if no later one superseded it', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.alloc(16 * 1024), false);
    s.onStreamFrame(4, 0, Buffer.alloc(16 * 1024), false);
    readAll(s, 0);
    readAll(s, 4);
    const frames = [];
    for (let f = s.pollControlFrame(); f; f = s.pollControlFrame()) frames.push(f);
    const maxData = frames.find((f) => f.type === 'max_data')!;
    s.onControlFrameLost(maxData);
    expect(s.pollControlFrame()).toEqual(maxData);
    s.onStreamFrame(8, 0, Buffer.alloc(16 * 1024), false);
    s.onStreamFrame(12, 0, Buffer.alloc(16 * 1024), false);
    readAll(s, 8);
    readAll(s, 12);
    const newer = [];
    for (let f = s.pollControlFrame(); f; f = s.pollControlFrame()) newer.push(f);
    expect(newer.some((f) => f.type === 'max_data')).toBe(true);
    s.onControlFrameLost(maxData);
    expect(s.pollControlFrame()).toBeUndefined();
  });

  it('sends STREAM_DATA_BLOCKED and DATA_BLOCKED once per limit when credit runs out, and resumes on MAX_*', () => {
    const s = new ConnectionStreams({ role: 'server', local: DEFAULT_PARAMETERS });
    s.setPeerParameters({ ...DEFAULT_PARAMETERS, initialMaxData: 20_000, initialMaxStreamDataBidiLocal: 10_000 });
    s.onStreamFrame(0, 0, Buffer.from('get'), true);
    s.onStreamFrame(4, 0, Buffer.from('get'), true);
    s.onStreamFrame(8, 0, Buffer.from('get'), true);
    s.write(0, Buffer.alloc(30_000, 1));
    let sent = 0;
    for (let c = s.nextStreamFrame(1200); c; c = s.nextStreamFrame(1200)) sent += c.data.length;
    expect(sent).toBe(10_000);
    expect(s.pollControlFrame()).toEqual({ type: 'stream_data_blocked', streamId: 0, limit: 10_000 });
    expect(s.pollControlFrame()).toBeUndefined();
    s.write(4, Buffer.alloc(30_000, 2));
    s.write(8, Buffer.alloc(30_000, 3));
    for (let c = s.nextStreamFrame(1200); c; c = s.nextStreamFrame(1200)) sent += c.data.length;
    expect(sent).toBe(20_000);
    const blocked = [];
    for (let f = s.pollControlFrame(); f; f = s.pollControlFrame()) blocked.push(f);
    expect(blocked).toContainEqual({ type: 'data_blocked', limit: 20_000 });
    // Stream 0 is still blocked at 10 000, already said: not repeated.
    expect(blocked.filter((f) => f.type === 'stream_data_blocked')).toEqual([]);
    expect(s.flowControl.sent).toBe(20_000);
    // Lost while still blocked: resent.
    s.onControlFrameLost({ type: 'data_blocked', limit: 20_000 });
    expect(s.pollControlFrame()).toEqual({ type: 'data_blocked', limit: 20_000 });
    s.onMaxData(50_000);
    s.onControlFrameLost({ type: 'data_blocked', limit: 20_000 });
    expect(s.pollControlFrame()).toBeUndefined();
    expect(s.hasStreamData).toBe(true);
    s.onMaxStreamData(0, 12_000);
    for (let c = s.nextStreamFrame(1200); c; c = s.nextStreamFrame(1200)) sent += c.data.length;
    // Each stream is now held by its own 10 000 (stream 0: 12 000) limit, well under the connection's.
    expect(sent).toBe(32_000);
    expect(s.flowControl.sent).toBe(32_000);
    const nowBlocked = [];
    for (let f = s.pollControlFrame(); f; f = s.pollControlFrame()) nowBlocked.push(f);
    expect(nowBlocked).toHaveLength(3);
    expect(nowBlocked).toEqual(
      expect.arrayContaining([
        { type: 'stream_data_blocked', streamId: 4, limit: 10_000 },
        { type: 'stream_data_blocked', streamId: 8, limit: 10_000 },
        { type: 'stream_data_blocked', streamId: 0, limit: 12_000 },
      ]),
    );
  });

  it('auto-tunes: a window consumed within two RTTs doubles, up to the maximum; a slow reader keeps it', () => {
    const fast = new ConnectionStreams({ role: 'server', local: DEFAULT_PARAMETERS, maxStreamWindow: 64 * 1024, maxConnectionWindow: 1 << 20 });
    fast.setPeerParameters(DEFAULT_PARAMETERS);
    fast.updateRtt(50);
    const slow = new ConnectionStreams({ role: 'server', local: DEFAULT_PARAMETERS, maxStreamWindow: 64 * 1024, maxConnectionWindow: 1 << 20 });
    slow.setPeerParameters(DEFAULT_PARAMETERS);
    slow.updateRtt(50);
    const windows: number[] = [];
    for (const [streams, stepMs] of [
      [fast, 1],
      [slow, 200],
    ] as const) {
      let now = 1000;
      let offset = 0;
      for (let round = 0; round < 40; round++) {
        const limit = streams.stream(0)?.recv?.flow.limit ?? 16 * 1024;
        const size = Math.min(4096, limit - offset);
        streams.onStreamFrame(0, offset, Buffer.alloc(size), false);
        offset += size;
        now += stepMs;
        readAll(streams, 0, now);
        for (let f = streams.pollControlFrame(); f; f = streams.pollControlFrame());
        expect(streams.receiveBufferedBytes).toBeLessThanOrEqual(streams.stream(0)!.recv!.flow.window);
      }
      windows.push(streams.stream(0)!.recv!.flow.window);
    }
    expect(windows[0]).toBe(64 * 1024);
    expect(windows[1]).toBe(16 * 1024);
    expect(fast.counters.windowGrowths).toBeGreaterThanOrEqual(2);
    expect(slow.counters.windowGrowths).toBe(0);
    // The connection window follows a grown stream window (1.5×).
    expect(fast.flowControl.receiveWindow).toBeGreaterThanOrEqual(96 * 1024);
    expect(slow.flowControl.receiveWindow).toBe(64 * 1024);
  });
});

describe('ConnectionStreams: final size (RFC 9000 §4.5)', () => {
  it('data past a known final size is FINAL_SIZE_ERROR', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.from('abc'), true);
    s.onStreamFrame(0, 0, Buffer.from('abc'), true); // a repeat is fine
    expectQuicError(() => s.onStreamFrame(0, 3, Buffer.from('d'), false), E.FINAL_SIZE_ERROR);
  });

  it('a FIN that moves the final size is FINAL_SIZE_ERROR', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.from('abcdef'), true);
    expectQuicError(() => s.onStreamFrame(0, 0, Buffer.from('abc'), true), E.FINAL_SIZE_ERROR);
  });

  it('a final size below data already received is FINAL_SIZE_ERROR', () => {
    const s = server();
    s.onStreamFrame(0, 10, Buffer.from('abc'), false);
    expectQuicError(() => s.onStreamFrame(0, 0, Buffer.from('abc'), true), E.FINAL_SIZE_ERROR);
    const t = server();
    t.onStreamFrame(0, 10, Buffer.from('abc'), false);
    expectQuicError(() => t.onResetStream(0, 7, 12), E.FINAL_SIZE_ERROR);
  });

  it('a RESET_STREAM with another final size than the FIN is FINAL_SIZE_ERROR', () => {
    const s = server();
    s.onStreamFrame(0, 5, Buffer.from('abc'), true);
    expectQuicError(() => s.onResetStream(0, 7, 9), E.FINAL_SIZE_ERROR);
  });
});

describe('ConnectionStreams: receive states, reset and STOP_SENDING', () => {
  it('walks Recv → Size Known → Data Recvd → Data Read', () => {
    const s = server();
    s.onStreamFrame(0, 3, Buffer.from('def'), true);
    const recv = s.stream(0)!.recv!;
    expect(recv.state).toBe('size-known');
    expect(drainEvents(s).some((e) => e.type === 'readable')).toBe(false);
    s.onStreamFrame(0, 0, Buffer.from('abc'), false);
    expect(recv.state).toBe('data-recvd');
    expect(drainEvents(s)).toContainEqual({ type: 'readable', streamId: 0 });
    expect(readAll(s, 0).toString()).toBe('abcdef');
    expect(recv.state).toBe('data-read');
    expect(s.readEnded(0)).toBe(true);
  });

  it('a RESET_STREAM drops unread data, returns its connection credit and tells the application', () => {
    const s = server({ ...DEFAULT_PARAMETERS, initialMaxData: 24 * 1024 });
    s.onStreamFrame(0, 0, Buffer.alloc(10_000), false);
    s.onStreamFrame(0, 12_000, Buffer.alloc(1000), false);
    s.read(0, 0, 4000);
    const recv = s.stream(0)!.recv!;
    s.onResetStream(0, 0x10c, 16_000);
    expect(recv.state).toBe('reset-read');
    expect(recv.bufferedBytes).toBe(0);
    expect(drainEvents(s)).toContainEqual({ type: 'reset', streamId: 0, errorCode: 0x10c });
    expect(s.read(0, 0)).toBeUndefined();
    // All 16 000 bytes count as consumed: the connection window moved to 16 000 + 24 KiB.
    expect(s.flowControl.consumed).toBe(16_000);
    expect(s.pollControlFrame()).toEqual({ type: 'max_data', maximum: 16_000 + 24 * 1024 });
    // Its receive half is done; the stream closes once our sending half is too.
    s.resetStream(0, 0x10c);
    const frames = buildPacket(s);
    expect(frames).toContainEqual({ kind: 'control', frame: { type: 'reset_stream', streamId: 0, errorCode: 0x10c, finalSize: 0 } });
    reportFate(s, frames, true);
    expect(s.hasStream(0)).toBe(false);
  });

  it('a RESET_STREAM after all data arrived changes nothing for the reader', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.from('all'), true);
    s.onResetStream(0, 1, 3);
    expect(readAll(s, 0).toString()).toBe('all');
    expect(s.readEnded(0)).toBe(true);
  });

  it('stopReading sends STOP_SENDING, drops data and keeps accounting what still arrives', () => {
    const s = server({ ...DEFAULT_PARAMETERS, initialMaxData: 32 * 1024 });
    s.onStreamFrame(0, 0, Buffer.alloc(5000), false);
    s.stopReading(0, 0x10b);
    expect(s.pollControlFrame()).toEqual({ type: 'stop_sending', streamId: 0, errorCode: 0x10b });
    expect(s.stream(0)!.recv!.bufferedBytes).toBe(0);
    expect(s.flowControl.consumed).toBe(5000);
    s.onStreamFrame(0, 5000, Buffer.alloc(3000), false);
    expect(s.stream(0)!.recv!.bufferedBytes).toBe(0);
    expect(s.flowControl.consumed).toBe(8000);
    // Lost while the peer may still send: resent.
    s.onControlFrameLost({ type: 'stop_sending', streamId: 0, errorCode: 0x10b });
    expect(s.pollControlFrame()).toEqual({ type: 'stop_sending', streamId: 0, errorCode: 0x10b });
    // The peer's answer: RESET_STREAM. No 'reset' event: the application gave up already.
    s.onResetStream(0, 0x10b, 9000);
    expect(drainEvents(s).some((e) => e.type === 'reset')).toBe(false);
    expect(s.flowControl.consumed).toBe(9000);
  });
});

describe('ConnectionStreams: send states, STOP_SENDING and back-pressure', () => {
  it('walks Ready → Send → Data Sent → Data Recvd and closes a uni stream', () => {
    const { client } = makePair();
    const id = client.openStream('uni')!;
    expect(id).toBe(2);
    const send = client.stream(id)!.send!;
    expect(send.state).toBe('ready');
    client.write(id, Buffer.alloc(3000, 7));
    const first = buildPacket(client);
    expect(send.state).toBe('send');
    client.end(id);
    const second = buildPacket(client);
    const third = buildPacket(client);
    expect(send.state).toBe('data-sent');
    reportFate(client, first, true);
    reportFate(client, second, true);
    reportFate(client, third, true);
    expect(send.state).toBe('data-recvd');
    expect(client.hasStream(id)).toBe(false);
    expect(drainEvents(client)).toContainEqual({ type: 'closed', streamId: id });
  });

  it('answers STOP_SENDING with RESET_STREAM carrying its code and the sent offset; resends it if lost', () => {
    const s = server();
    s.onStreamFrame(0, 0, Buffer.from('req'), true);
    readAll(s, 0);
    s.write(0, Buffer.alloc(5000, 1));
    s.nextStreamFrame(1200);
    const second = s.nextStreamFrame(1200)!;
    s.onStopSending(0, 0x10c);
    expect(drainEvents(s)).toContainEqual({ type: 'stop-sending', streamId: 0, errorCode: 0x10c });
    const sentOffset = second.offset + second.data.length;
    expect(sentOffset).toBeGreaterThan(2300);
    const reset = { type: 'reset_stream', streamId: 0, errorCode: 0x10c, finalSize: sentOffset } as const;
    expect(s.pollControlFrame()).toEqual(reset);
    expect(s.nextStreamFrame(1200)).toBeUndefined();
    expect(s.write(0, Buffer.from('more'))).toBe(false);
    expect(s.stream(0)!.send!.state).toBe('reset-sent');
    s.onControlFrameLost(reset);
    expect(s.pollControlFrame()).toEqual(reset);
    s.onControlFrameAcked(reset);
    expect(s.hasStream(0)).toBe(false);
    expect(s.counters).toMatchObject({ stopSendingReceived: 1, resetsSent: 2, streamsClosed: 1, peerStreamsOpened: 1 });
  });

  it('write returns false at the high-water mark and "writable" follows when acknowledgements drain it', () => {
    const { client } = makePair({ sendHighWaterMark: 8000 });
    const id = client.openStream('bidi')!;
    expect(client.write(id, Buffer.alloc(5000))).toBe(true);
    expect(client.write(id, Buffer.alloc(5000))).toBe(false);
    expect(client.bufferedAmount(id)).toBe(10_000);
    const sent = [buildPacket(client), buildPacket(client), buildPacket(client)];
    expect(drainEvents(client).some((e) => e.type === 'writable')).toBe(false);
    reportFate(client, sent[0]!, true);
    reportFate(client, sent[1]!, true);
    expect(client.bufferedAmount(id)).toBeLessThan(8000);
    expect(drainEvents(client)).toContainEqual({ type: 'writable', streamId: id });
  });
});

describe('ConnectionStreams: a stream without credit', () => {
  it('sends STREAM_DATA_BLOCKED at once when the peer gave no credit, moving Ready to Send', () => {
    const c = new ConnectionStreams({ role: 'client', local: DEFAULT_PARAMETERS });
    c.setPeerParameters({ ...DEFAULT_PARAMETERS, initialMaxStreamDataBidiRemote: 0 });
    const id = c.openStream('bidi')!;
    c.write(id, Buffer.from('hello'));
    expect(c.nextStreamFrame(1200)).toBeUndefined();
    expect(c.stream(id)!.send!.state).toBe('ready');
    expect(c.pollControlFrame()).toEqual({ type: 'stream_data_blocked', streamId: id, limit: 0 });
    expect(c.stream(id)!.send!.state).toBe('send');
    c.onMaxStreamData(id, 5);
    expect(c.nextStreamFrame(1200)).toMatchObject({ streamId: id, offset: 0, fin: false });
  });
});

describe('ConnectionStreams: scheduling', () => {
  it('serves streams round robin, one frame each', () => {
    const { client } = makePair();
    const ids = [client.openStream('bidi')!, client.openStream('bidi')!, client.openStream('uni')!];
    for (const id of ids) client.write(id, Buffer.alloc(3000));
    const order: number[] = [];
    for (let i = 0; i < 9; i++) order.push(client.nextStreamFrame(1000)!.streamId);
    expect(order).toEqual([...ids, ...ids, ...ids]);
  });

  it('sends lost data again before new data of the same stream', () => {
    const { client } = makePair();
    const id = client.openStream('bidi')!;
    client.write(id, Buffer.alloc(5000));
    const a = client.nextStreamFrame(1000)!;
    const b = client.nextStreamFrame(1000)!;
    client.onStreamFrameLost(id, a.offset, a.data.length, a.fin);
    const again = client.nextStreamFrame(1000)!;
    expect([again.offset, again.data.length]).toEqual([0, a.data.length]);
    expect(client.nextStreamFrame(1000)!.offset).toBe(b.offset + b.data.length);
  });
});
