/**
 * gRPC-Web's wire differences from gRPC (the gRPC-Web protocol spec): the
 * trailers travel at the end of the body as a frame flagged 0x80, and the
 * `-text` variants carry the whole body base64-encoded.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A trailer frame: flag 0x80, 4-byte big-endian length, `name:value\r\n` lines (lower-case names). */
export function trailerFrame(trailers: Record<string, string | string[] | undefined>): Buffer {
  let text = '';
  for (const [name, value] of Object.entries(trailers)) {
    if (value === undefined) continue;
    for (const v of [value].flat()) text += `${name.toLowerCase()}:${v}\r\n`;
  }
  const payload = Buffer.from(text);
  const head = Buffer.alloc(5);
  head[0] = 0x80;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Decodes a base64 stream whose chunks split anywhere (even inside a 4-character group). */
export class Base64Decoder extends Transform {
  private pending = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // Padded groups may follow one another (a client encoding each message): decode group by group.
    const text = this.pending + chunk.toString('latin1').replace(/\s+/g, '');
    const whole = text.length - (text.length % 4);
    this.pending = text.slice(whole);
    if (!/^[A-Za-z0-9+/=]*$/.test(text)) return done(new Error('grpc-web-text body is not base64'));
    done(null, decodeGroups(text.slice(0, whole)));
  }

  override _flush(done: TransformCallback): void {
    if (this.pending) return done(new Error('grpc-web-text body ends inside a base64 group'));
    done();
  }
}

/** Base64 text made of whole 4-character groups, padding allowed between them. */
function decodeGroups(text: string): Buffer {
  if (!text.includes('=')) return Buffer.from(text, 'base64');
  const parts: Buffer[] = [];
  for (const piece of text.split(/(?<==)(?=[^=])/)) parts.push(Buffer.from(piece, 'base64'));
  return Buffer.concat(parts);
}
