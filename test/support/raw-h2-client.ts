/**
 * A raw HTTP/2 client for hostile tests: it writes frames exactly as told
 * (HEADERS then RST_STREAM in one write, SETTINGS that never open a window),
 * which a well-behaved client library will not do. HEADERS carry HPACK
 * literal fields without indexing (RFC 7541 §6.2.2), so no dynamic table
 * state is needed; frames from the server are counted, not decoded.
 */
import tls, { type TLSSocket } from 'node:tls';
import { CLIENT_PREFACE, Flag, FrameType, frame, headerBlock, headersFrame, settingsFrame } from './h2-frames.js';

export { FrameType, ErrorCode, frame, rstStreamFrame, settingsFrame } from './h2-frames.js';
export const Setting = { MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4 } as const;

const PREFACE = Buffer.from(CLIENT_PREFACE);

/** A request HEADERS frame (END_HEADERS and END_STREAM: no body). */
export function getRequest(streamId: number, authority: string, path: string): Buffer {
  return headersFrame(
    streamId,
    headerBlock([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', authority],
      [':path', path],
    ]),
  );
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
      if (type === FrameType.SETTINGS && !(flags & Flag.ACK) && !socket.destroyed) socket.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
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
