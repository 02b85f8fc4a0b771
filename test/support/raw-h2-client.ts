/**
 * A raw HTTP/2 client for hostile tests: it writes frames exactly as told
 * (HEADERS then RST_STREAM in one write, SETTINGS that never open a window),
 * which a well-behaved client library will not do. HEADERS carry HPACK
 * literal fields without indexing (RFC 7541 §6.2.2), so no dynamic table
 * state is needed; frames from the server are counted, not decoded.
 */
import tls, { type TLSSocket } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
export const ErrorCode = { NO_ERROR: 0, CANCEL: 8 } as const;
export const Setting = { MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByteFlags = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByteFlags | value]);
  const out = [firstByteFlags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function literalWithoutIndexing(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return Buffer.concat([Buffer.from([0x00]), hpackInt(n.length, 7), n, hpackInt(v.length, 7), v]);
}

/** A HEADERS frame with END_HEADERS (and END_STREAM: a request without body). */
export function headersFrame(streamId: number, fields: Array<[string, string]>, endStream = true): Buffer {
  const block = Buffer.concat(fields.map(([k, v]) => literalWithoutIndexing(k, v)));
  return frame(FrameType.HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, block);
}

export function rstStreamFrame(streamId: number, code: number = ErrorCode.CANCEL): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export function settingsFrame(settings: Array<[number, number]>): Buffer {
  const p = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

export function getRequest(streamId: number, authority: string, path: string): Buffer {
  return headersFrame(streamId, [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':authority', authority],
    [':path', path],
  ]);
}

export interface RawH2Connection {
  socket: TLSSocket;
  /** Frames received so far, by type. */
  received: Map<number, number>;
  write(bytes: Buffer): void;
  close(): void;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/**
 * Open a TLS connection negotiating h2 and send the preface and our SETTINGS.
 * The server's SETTINGS are acknowledged (a peer that never acks may be cut
 * off); nothing else is answered.
 */
export async function connectRawH2(port: number, settings: Array<[number, number]> = []): Promise<RawH2Connection> {
  const socket = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  if (socket.alpnProtocol !== 'h2') throw new Error(`server negotiated ${String(socket.alpnProtocol)}, not h2`);
  const received = new Map<number, number>();
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const type = buf[3]!;
      const flags = buf[4]!;
      received.set(type, (received.get(type) ?? 0) + 1);
      if (type === FrameType.SETTINGS && !(flags & ACK) && !socket.destroyed) socket.write(frame(FrameType.SETTINGS, ACK, 0));
      buf = buf.subarray(9 + len);
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(Buffer.concat([PREFACE, settingsFrame(settings)]));
  return {
    socket,
    received,
    write: (bytes) => void socket.write(bytes),
    close: () => socket.destroy(),
    closed,
  };
}
