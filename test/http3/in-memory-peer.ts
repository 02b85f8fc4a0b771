/**
 * Test harness: an in-memory QUIC transport for Http3ServerSession and the
 * client half of HTTP/3 written with our own frame and QPACK encoders, so
 * sessions can be driven entirely with byte arrays.
 */
import { FrameReader } from '../../src/http3/frame-reader.js';
import { encodeDataFrame, encodeFrame, encodeHeadersFrame } from '../../src/http3/frames.js';
import { QpackDecoder, type FieldLine } from '../../src/http3/qpack/decoder.js';
import { encodeFieldSection } from '../../src/http3/qpack/encoder.js';
import type { Http3Request, Http3ServerEvents, Http3Transport } from '../../src/http3/server-session.js';
import { encodeSettingsFrame, type Http3Settings } from '../../src/http3/settings.js';

export class InMemoryTransport implements Http3Transport {
  readonly written = new Map<number, Buffer[]>();
  readonly finished = new Set<number>();
  readonly resets: [number, number][] = [];
  readonly stops: [number, number][] = [];
  closed?: { code: number; reason: string };
  private nextUni = 3;

  writeStream(id: number, data: Buffer, fin: boolean): void {
    if (this.finished.has(id)) throw new Error(`write after FIN on stream ${id}`);
    const list = this.written.get(id) ?? [];
    list.push(Buffer.from(data));
    this.written.set(id, list);
    if (fin) this.finished.add(id);
  }
  resetStream(id: number, code: number): void {
    this.resets.push([id, code]);
  }
  stopSending(id: number, code: number): void {
    this.stops.push([id, code]);
  }
  openUniStream(): number {
    const id = this.nextUni;
    this.nextUni += 4;
    return id;
  }
  closeConnection(code: number, reason: string): void {
    if (this.closed) throw new Error('closeConnection called twice');
    this.closed = { code, reason };
  }
  bytes(id: number): Buffer {
    return Buffer.concat(this.written.get(id) ?? []);
  }
}

export interface RecordedEvents extends Required<Http3ServerEvents> {
  log: unknown[][];
  requests: Map<number, Http3Request>;
  bodies: Map<number, Buffer>;
}

export function recordEvents(): RecordedEvents {
  const log: unknown[][] = [];
  const requests = new Map<number, Http3Request>();
  const bodies = new Map<number, Buffer>();
  return {
    log,
    requests,
    bodies,
    request: (id, r) => (log.push(['request', id]), requests.set(id, r)),
    data: (id, c) => (log.push(['data', id, c.length]), bodies.set(id, Buffer.concat([bodies.get(id) ?? Buffer.alloc(0), c]))),
    end: (id, t) => void log.push(['end', id, t]),
    aborted: (id, code) => void log.push(['aborted', id, code]),
    goaway: (id) => void log.push(['goaway', id]),
    drained: () => void log.push(['drained']),
  };
}

/** Client control stream opening bytes: stream type 0x00 + SETTINGS. */
export function clientControlStream(settings: Partial<Http3Settings> = {}): Buffer {
  return Buffer.concat([Buffer.of(0x00), encodeSettingsFrame(settings)]);
}

export function headersFrame(fields: [string, string][]): Buffer {
  return encodeHeadersFrame(encodeFieldSection(fields));
}

export function dataFrame(body: string | Buffer): Buffer {
  return encodeDataFrame(typeof body === 'string' ? Buffer.from(body) : body);
}

export { encodeFrame };

export const GET: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'portico.example'],
  [':path', '/hello'],
];

export interface ParsedResponse {
  headers: FieldLine[][];
  body: Buffer;
}

/** Decodes what the server wrote on a request stream. */
export function parseResponse(bytes: Buffer): ParsedResponse {
  const reader = new FrameReader();
  const decoder = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 1 << 20 });
  reader.push(bytes);
  const headers: FieldLine[][] = [];
  const body: Buffer[] = [];
  for (let f = reader.next(); f; f = reader.next()) {
    if (f.type === 1) {
      const d = decoder.decode(0, f.payload);
      if (d === 'blocked') throw new Error('server response must never block');
      headers.push(d.headers);
    } else if (f.type === 0) body.push(Buffer.from(f.payload));
  }
  reader.finish();
  return { headers, body: Buffer.concat(body) };
}
