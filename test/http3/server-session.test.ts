import { describe, expect, it } from 'vitest';
import * as E from '../../src/http3/error-codes.js';
import { FrameReader } from '../../src/http3/frame-reader.js';
import { encodeSetCapacity, encodeInsertWithLiteralName, encodeInsertWithNameRef } from '../../src/http3/qpack/encoder.js';
import { Http3ServerSession, type Http3ServerOptions } from '../../src/http3/server-session.js';
import { parseSettings } from '../../src/http3/settings.js';
import { encodeVarint } from '../../src/quic/varint.js';
import { GET, InMemoryTransport, clientControlStream, dataFrame, encodeFrame, headersFrame, parseResponse, recordEvents } from './in-memory-peer.js';

function setup(options: Http3ServerOptions = {}) {
  const transport = new InMemoryTransport();
  const events = recordEvents();
  const session = new Http3ServerSession(transport, events, options);
  session.start();
  session.onStreamData(2, clientControlStream({ qpackMaxTableCapacity: 0 }), false);
  return { transport, events, session };
}

describe('Http3ServerSession setup', () => {
  it('opens a control stream with our SETTINGS and both QPACK streams', () => {
    const { transport } = setup({ maxFieldSectionSize: 8192 });
    const control = transport.bytes(3);
    expect(control[0]).toBe(0x00);
    const r = new FrameReader();
    r.push(control.subarray(1));
    const f = r.next()!;
    expect(f.type).toBe(0x04);
    expect(parseSettings(f.payload)).toEqual({
      qpackMaxTableCapacity: 4096,
      qpackBlockedStreams: 16,
      maxFieldSectionSize: 8192,
      // Not advertised: extended CONNECT has no tunnel over HTTP/3 (RFC 9220).
      enableConnectProtocol: false,
      h3Datagram: false,
    });
    expect(transport.bytes(7)).toEqual(Buffer.of(0x02));
    expect(transport.bytes(11)).toEqual(Buffer.of(0x03));
    expect(transport.closed).toBeUndefined();
  });
});

describe('Http3ServerSession requests', () => {
  it('serves a GET and forgets the stream when both sides finish', () => {
    const { transport, events, session } = setup();
    session.onStreamData(0, headersFrame([...GET, ['accept', '*/*'], ['x-trace', 'abc']]), true);
    expect(events.requests.get(0)).toEqual({
      method: 'GET',
      scheme: 'https',
      authority: 'portico.example',
      path: '/hello',
      headers: [
        ['accept', '*/*'],
        ['x-trace', 'abc'],
      ],
    });
    expect(events.log).toEqual([
      ['request', 0],
      ['end', 0, undefined],
    ]);
    session.sendHeaders(0, 200, [
      ['content-type', 'text/plain'],
      ['connection', 'close'],
    ]);
    session.sendData(0, Buffer.from('hi'), true);
    const res = parseResponse(transport.bytes(0));
    expect(res.headers).toEqual([
      [
        [':status', '200'],
        ['content-type', 'text/plain'],
      ],
    ]);
    expect(res.body.toString()).toBe('hi');
    expect(transport.finished.has(0)).toBe(true);
    expect(session.activeRequestCount).toBe(0);
  });

  it('streams a POST body delivered byte by byte, checks content-length and passes trailers', () => {
    const { transport, events, session } = setup();
    const body = Buffer.alloc(5000, 0x62);
    const wire = Buffer.concat([
      headersFrame([
        [':method', 'POST'],
        [':scheme', 'https'],
        [':authority', 'a.example'],
        [':path', '/up'],
        ['content-length', '5000'],
        ['te', 'trailers'],
      ]),
      dataFrame(body.subarray(0, 1000)),
      encodeFrame(0x21, Buffer.alloc(3)), // grease frame between DATA frames
      dataFrame(body.subarray(1000)),
      headersFrame([['x-checksum', 'ok']]),
    ]);
    for (let i = 0; i < wire.length; i += 7) session.onStreamData(4, wire.subarray(i, i + 7), false);
    session.onStreamData(4, Buffer.alloc(0), true);
    expect(events.bodies.get(4)).toEqual(body);
    expect(events.log.at(-1)).toEqual(['end', 4, [['x-checksum', 'ok']]]);
    session.sendHeaders(4, 201, []);
    session.sendData(4, Buffer.alloc(3000, 1));
    session.sendTrailers(4, [['grpc-status', '0']]);
    const res = parseResponse(transport.bytes(4));
    expect(res.headers).toEqual([[[':status', '201']], [['grpc-status', '0']]]);
    expect(res.body.length).toBe(3000);
    expect(transport.closed).toBeUndefined();
  });

  it('refuses extended CONNECT unless it is enabled', () => {
    const { transport, session } = setup();
    session.onStreamData(
      0,
      headersFrame([
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'ws.example'],
        [':path', '/chat'],
      ]),
      false,
    );
    expect(transport.resets).toEqual([[0, E.H3_MESSAGE_ERROR]]);
  });

  it('accepts classic and extended CONNECT', () => {
    const { events, session } = setup({ enableConnectProtocol: true });
    session.onStreamData(
      0,
      headersFrame([
        [':method', 'CONNECT'],
        [':authority', 'db.internal:5432'],
      ]),
      false,
    );
    expect(events.requests.get(0)).toEqual({ method: 'CONNECT', authority: 'db.internal:5432', headers: [] });
    session.onStreamData(0, dataFrame('tunnel bytes'), false);
    expect(events.bodies.get(0)!.toString()).toBe('tunnel bytes');
    session.onStreamData(
      4,
      headersFrame([
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'ws.example'],
        [':path', '/chat'],
        ['sec-websocket-version', '13'],
      ]),
      false,
    );
    expect(events.requests.get(4)).toMatchObject({ method: 'CONNECT', protocol: 'websocket', path: '/chat', authority: 'ws.example' });
  });

  const malformed: [string, [string, string][]][] = [
    ['upper-case name', [...GET, ['X-Bad', '1']]],
    ['connection header', [...GET, ['connection', 'keep-alive']]],
    ['transfer-encoding', [...GET, ['transfer-encoding', 'chunked']]],
    ['upgrade', [...GET, ['upgrade', 'h2c']]],
    ['te other than trailers', [...GET, ['te', 'gzip']]],
    [
      'pseudo after regular',
      [
        [':method', 'GET'],
        ['accept', '*/*'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
      ],
    ],
    [
      'missing :path',
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
      ],
    ],
    [
      'missing :method',
      [
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
      ],
    ],
    ['duplicate :path', [...GET, [':path', '/again']]],
    ['unknown pseudo', [...GET, [':foo', 'x']]],
    [':status in request', [...GET, [':status', '200']]],
    [
      'CONNECT with :path',
      [
        [':method', 'CONNECT'],
        [':authority', 'a:1'],
        [':path', '/'],
      ],
    ],
    [':protocol without CONNECT', [...GET, [':protocol', 'websocket']]],
    [
      'no authority or host',
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/'],
      ],
    ],
    ['value with CR', [...GET, ['x', 'a\rb']]],
    ['bad content-length', [...GET, ['content-length', '12a']]],
  ];
  it.each(malformed)('resets a request with %s using H3_MESSAGE_ERROR', (_name, fields) => {
    const { transport, events, session } = setup();
    session.onStreamData(0, headersFrame(fields), true);
    expect(events.log).toEqual([]);
    expect(transport.resets).toEqual([[0, E.H3_MESSAGE_ERROR]]);
    expect(transport.closed).toBeUndefined();
    expect(session.errorCounts).toEqual({ H3_MESSAGE_ERROR: 1 });
    expect(session.activeRequestCount).toBe(0);
  });

  it('aborts on content-length mismatch, after the request was announced', () => {
    const { transport, events, session } = setup();
    session.onStreamData(0, Buffer.concat([headersFrame([...GET, ['content-length', '10']]), dataFrame('short')]), true);
    expect(events.log).toEqual([
      ['request', 0],
      ['data', 0, 5],
      ['aborted', 0, E.H3_MESSAGE_ERROR],
    ]);
    expect(transport.resets).toEqual([[0, E.H3_MESSAGE_ERROR]]);
    // Too much body is caught as soon as it arrives.
    session.onStreamData(4, Buffer.concat([headersFrame([...GET, ['content-length', '2']]), dataFrame('toolong')]), false);
    expect(transport.resets.at(-1)).toEqual([4, E.H3_MESSAGE_ERROR]);
    expect(transport.stops.at(-1)).toEqual([4, E.H3_MESSAGE_ERROR]);
    session.onStreamData(4, dataFrame('late data is ignored'), true);
    expect(events.log.filter((e) => e[1] === 4)).toEqual([
      ['request', 4],
      ['aborted', 4, E.H3_MESSAGE_ERROR],
    ]);
  });

  it('refuses oversized header sections with H3_EXCESSIVE_LOAD and incomplete requests with H3_REQUEST_INCOMPLETE', () => {
    const { transport, session } = setup({ maxFieldSectionSize: 200 });
    session.onStreamData(0, headersFrame([...GET, ['x-big', 'v'.repeat(150)]]), true);
    expect(transport.resets).toEqual([[0, E.H3_EXCESSIVE_LOAD]]);
    session.onStreamData(4, Buffer.alloc(0), true);
    expect(transport.resets.at(-1)).toEqual([4, E.H3_REQUEST_INCOMPLETE]);
    expect(transport.closed).toBeUndefined();
  });

  it('closes the connection for frame-sequence violations', () => {
    const cases: [string, Buffer, number][] = [
      ['DATA before HEADERS', dataFrame('x'), E.H3_FRAME_UNEXPECTED],
      ['SETTINGS on a request stream', encodeFrame(0x04, Buffer.alloc(0)), E.H3_FRAME_UNEXPECTED],
      ['HTTP/2 PRIORITY frame', encodeFrame(0x02, Buffer.alloc(1)), E.H3_FRAME_UNEXPECTED],
      ['frame cut by FIN', headersFrame(GET).subarray(0, 5), E.H3_FRAME_ERROR],
      ['HEADERS after trailers', Buffer.concat([headersFrame(GET), headersFrame([['a', 'b']]), headersFrame([['c', 'd']])]), E.H3_FRAME_UNEXPECTED],
    ];
    for (const [name, bytes, code] of cases) {
      const { transport, session } = setup();
      session.onStreamData(0, bytes, true);
      expect(transport.closed?.code, name).toBe(code);
    }
  });

  it('reports peer resets and STOP_SENDING as aborted', () => {
    const { transport, events, session } = setup();
    session.onStreamData(0, headersFrame(GET), false);
    session.onStreamReset(0, E.H3_REQUEST_CANCELLED);
    session.onStreamData(4, headersFrame(GET), true);
    session.sendHeaders(4, 200, []);
    session.onStreamStopSending(4, E.H3_REQUEST_CANCELLED);
    expect(events.log).toEqual([
      ['request', 0],
      ['aborted', 0, E.H3_REQUEST_CANCELLED],
      ['request', 4],
      ['end', 4, undefined],
      ['aborted', 4, E.H3_REQUEST_CANCELLED],
    ]);
    expect(transport.resets).toEqual([[4, E.H3_REQUEST_CANCELLED]]);
    expect(session.activeRequestCount).toBe(0);
    session.sendData(4, Buffer.from('ignored'), true); // no longer writable: silently dropped
    expect(transport.finished.has(4)).toBe(false);
  });
});

describe('Http3ServerSession control and QPACK streams', () => {
  function fresh() {
    const transport = new InMemoryTransport();
    const session = new Http3ServerSession(transport, recordEvents());
    session.start();
    return { transport, session };
  }

  const cases: [string, [number, Buffer, boolean][], number][] = [
    ['first control frame is not SETTINGS', [[2, Buffer.concat([Buffer.of(0), encodeFrame(0x07, Buffer.of(0))]), false]], E.H3_MISSING_SETTINGS],
    ['second SETTINGS', [[2, Buffer.concat([clientControlStream(), clientControlStream().subarray(1)]), false]], E.H3_FRAME_UNEXPECTED],
    ['DATA on control', [[2, Buffer.concat([clientControlStream(), dataFrame('x')]), false]], E.H3_FRAME_UNEXPECTED],
    [
      'second control stream',
      [
        [2, clientControlStream(), false],
        [6, clientControlStream(), false],
      ],
      E.H3_STREAM_CREATION_ERROR,
    ],
    ['control stream closed', [[2, clientControlStream(), true]], E.H3_CLOSED_CRITICAL_STREAM],
    ['push stream from a client', [[2, Buffer.of(0x01, 0x00), false]], E.H3_STREAM_CREATION_ERROR],
    [
      'second encoder stream',
      [
        [2, Buffer.of(0x02), false],
        [6, Buffer.of(0x02), false],
      ],
      E.H3_STREAM_CREATION_ERROR,
    ],
    ['encoder stream closed', [[2, Buffer.of(0x02), true]], E.H3_CLOSED_CRITICAL_STREAM],
    ['bad SETTINGS', [[2, Buffer.concat([Buffer.of(0), encodeFrame(0x04, Buffer.of(0x02, 0x01))]), false]], E.H3_SETTINGS_ERROR],
    ['GOAWAY id grows', [[2, Buffer.concat([clientControlStream(), encodeFrame(0x07, Buffer.of(4)), encodeFrame(0x07, Buffer.of(8))]), false]], E.H3_ID_ERROR],
    ['section ack on our unused table', [[2, Buffer.of(0x03, 0x84), false]], E.QPACK_DECODER_STREAM_ERROR],
    ['encoder stream capacity above ours', [[2, Buffer.concat([Buffer.of(0x02), encodeSetCapacity(100000)]), false]], E.QPACK_ENCODER_STREAM_ERROR],
  ];
  it.each(cases)('closes the connection when %s', (_name, steps, code) => {
    const { transport, session } = fresh();
    for (const [id, bytes, fin] of steps) session.onStreamData(id, bytes, fin);
    expect(transport.closed?.code).toBe(code);
    expect(session.errorCounts[E.h3ErrorName(code)]).toBe(1);
  });

  it('ignores unknown stream types with STOP_SENDING and accepts GOAWAY, MAX_PUSH_ID and stream cancellations', () => {
    const { transport, session } = fresh();
    const events = recordEvents();
    const s2 = new Http3ServerSession(transport, events);
    s2.onStreamData(2, Buffer.concat([clientControlStream(), encodeFrame(0x0d, Buffer.of(8)), encodeFrame(0x07, Buffer.of(4))]), false);
    s2.onStreamData(6, Buffer.concat([encodeVarint(0x21 + 0x1f), Buffer.from('grease')]), false);
    s2.onStreamData(10, Buffer.of(0x03, 0x40 | 8, 0x7f, 0x81, 0x01), false); // two Stream Cancellations
    expect(transport.stops).toEqual([[6, E.H3_STREAM_CREATION_ERROR]]);
    expect(transport.closed).toBeUndefined();
    expect(events.log).toEqual([['goaway', 4]]);
    expect(session.isClosed).toBe(false);
  });

  it('decodes a request that references the dynamic table, blocking until the inserts arrive', () => {
    const { transport, events, session } = setup();
    // Client encoder stream: capacity 200, insert :authority=dyn.example, insert x-user=alice.
    const inserts = Buffer.concat([encodeSetCapacity(200), encodeInsertWithNameRef(true, 0, 'dyn.example'), encodeInsertWithLiteralName('x-user', 'alice')]);
    // Field section: Required Insert Count 2 (encoded 3), Base 2; static GET/https, dynamic rel 1, literal :path, dynamic rel 0.
    const section = Buffer.concat([Buffer.of(0x03, 0x00, 0xc0 | 17, 0xc0 | 23, 0x81), Buffer.of(0x51, 0x02), Buffer.from('/d'), Buffer.of(0x80)]);
    session.onStreamData(0, Buffer.concat([encodeFrame(0x01, section), dataFrame('payload')]), true);
    expect(events.log).toEqual([]); // blocked
    session.onStreamData(6, Buffer.of(0x02), false); // encoder stream type
    session.onStreamData(6, inserts.subarray(0, 10), false);
    expect(events.log).toEqual([]);
    session.onStreamData(6, inserts.subarray(10), false);
    expect(events.requests.get(0)).toEqual({ method: 'GET', scheme: 'https', authority: 'dyn.example', path: '/d', headers: [['x-user', 'alice']] });
    expect(events.log).toEqual([
      ['request', 0],
      ['data', 0, 7],
      ['end', 0, undefined],
    ]);
    // Our decoder stream (id 11): type byte, then Section Acknowledgment for stream 0.
    expect(transport.bytes(11)).toEqual(Buffer.of(0x03, 0x80));
    expect(transport.closed).toBeUndefined();
  });

  it('refuses to block more streams than SETTINGS_QPACK_BLOCKED_STREAMS', () => {
    const { transport, session } = setup({ qpackBlockedStreams: 1 });
    session.onStreamData(0, encodeFrame(0x01, Buffer.of(0x02, 0x00, 0x80)), false);
    session.onStreamData(4, encodeFrame(0x01, Buffer.of(0x02, 0x00, 0x80)), false);
    expect(transport.closed?.code).toBe(E.QPACK_DECOMPRESSION_FAILED);
  });
});

describe('Http3ServerSession graceful shutdown', () => {
  it('sends GOAWAY, rejects later streams, and reports drained when in-flight requests finish', () => {
    const { transport, events, session } = setup();
    session.onStreamData(0, headersFrame(GET), true);
    session.onStreamData(4, headersFrame(GET), false);
    session.goaway();
    const control = transport.bytes(3);
    expect(control.subarray(-3)).toEqual(Buffer.of(0x07, 0x01, 0x08)); // GOAWAY(8)
    session.onStreamData(8, headersFrame(GET), true);
    expect(transport.resets).toEqual([[8, E.H3_REQUEST_REJECTED]]);
    expect(events.requests.has(8)).toBe(false);
    session.sendHeaders(0, 204, [], true);
    expect(events.log.some((e) => e[0] === 'drained')).toBe(false);
    session.onStreamData(4, Buffer.alloc(0), true);
    session.sendHeaders(4, 200, [], true);
    expect(events.log.at(-1)).toEqual(['drained']);
    session.goaway(); // idempotent
    expect(transport.bytes(3)).toEqual(control);
  });

  it('reports drained at once when idle', () => {
    const { events, session } = setup();
    session.goaway();
    expect(events.log).toEqual([['drained']]);
  });
});
