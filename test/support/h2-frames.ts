/**
 * HTTP/2 frames as bytes (RFC 9113 §4, §6) for hostile-client tests, and a
 * reader for the frames a server sends back. Header blocks use HPACK literals
 * without indexing and without Huffman (RFC 7541 §6.2.2), which every decoder
 * must accept, so a test controls exactly what goes on the wire.
 */
import http2 from 'node:http2';

export const CLIENT_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
export const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, CANCEL: 8, REFUSED_STREAM: 7 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId & 0x7fffffff, 5);
  b.set(payload, 9);
  return b;
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the pattern bits above the prefix. */
function hpackInteger(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** A header block of literal fields (no indexing, no Huffman), in the order given. */
export function headerBlock(fields: Array<[string, string]>): Buffer {
  const parts: number[] = [];
  for (const [name, value] of fields) {
    parts.push(0x00);
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(...hpackInteger(n.length, 7, 0), ...n);
    parts.push(...hpackInteger(v.length, 7, 0), ...v);
  }
  return Buffer.from(parts);
}

export function requestFields(path: string, authority = 'app.test', method = 'GET'): Array<[string, string]> {
  return [
    [':method', method],
    [':scheme', 'http'],
    [':authority', authority],
    [':path', path],
  ];
}

export function settingsFrame(settings: Array<[number, number]> = []): Buffer {
  const p = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

export const settingsAck = () => frame(FrameType.SETTINGS, Flag.ACK, 0);

export function headersFrame(streamId: number, block: Uint8Array, flags = Flag.END_HEADERS | Flag.END_STREAM): Buffer {
  return frame(FrameType.HEADERS, flags, streamId, block);
}

export function continuationFrame(streamId: number, block: Uint8Array, endHeaders = false): Buffer {
  return frame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, block);
}

export function rstStreamFrame(streamId: number, code: number = ErrorCode.CANCEL): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, p);
}

/** The client's opening: preface, SETTINGS (optionally with initial window size 0: a reader that never reads). */
export function clientOpening(settings: Array<[number, number]> = []): Buffer {
  return Buffer.concat([Buffer.from(CLIENT_PREFACE, 'latin1'), settingsFrame(settings)]);
}

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** Split what the server sent into frames (a trailing partial frame is left out). */
export function parseFrames(bytes: Buffer): ReceivedFrame[] {
  const frames: ReceivedFrame[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({
      type: bytes[at + 3]!,
      flags: bytes[at + 4]!,
      streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return frames;
}

/** The error code of the first GOAWAY the server sent, if any. */
export function goawayCode(bytes: Buffer): number | undefined {
  const g = parseFrames(bytes).find((f) => f.type === FrameType.GOAWAY);
  return g ? g.payload.readUInt32BE(4) : undefined;
}

/** What a well-behaved HTTP/2 client gets: one GET on a fresh TLS connection, bounded by `timeoutMs`; failures are results. */
export function normalH2Get(port: number, path = '/', authority = 'app.test', timeoutMs = 3000): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { servername: authority, rejectUnauthorized: false });
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    let finished = false;
    const finish = (r: { status: number } | { error: string }) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    session.on('error', (err) => finish({ error: err.message }));
    const req = session.request({ ':path': path, ':authority': authority });
    req.on('response', (h) => {
      req.resume();
      req.on('end', () => finish({ status: Number(h[':status']) }));
    });
    req.on('error', (err) => finish({ error: err.message }));
    // A reset without an error code ends the stream with no 'error'; after a complete response 'end' has answered already.
    req.on('close', () => finish({ error: `stream closed (code ${req.rstCode})` }));
    req.end();
  });
}
