/**
 * Builds protected client Initial packets for tests (the inverse of
 * unprotectInitialPacket), so tests can split, reorder and corrupt
 * ClientHellos the way real clients and attackers do.
 */
import { createCipheriv } from 'node:crypto';
import { encodeVarint } from '../../../src/quic/varint.js';
import { deriveInitialKeys, QUIC_V1, QUIC_V2 } from '../../../src/quic/initial/initial-keys.js';

export interface InitialPacketSpec {
  dcid: Buffer;
  scid?: Buffer;
  version?: number;
  packetNumber: number;
  /** Plaintext frames; padded with PADDING to `padTo` bytes of packet if given. */
  frames: Buffer;
  padTo?: number;
}

export function cryptoFrame(offset: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0x06), encodeVarint(offset), encodeVarint(data.length), data]);
}

export function buildInitialPacket(spec: InitialPacketSpec): Buffer {
  const version = spec.version ?? QUIC_V1;
  const scid = spec.scid ?? Buffer.from('c0ffee00', 'hex');
  const typeBits = version === QUIC_V2 ? 1 : 0;
  const pnLength = 4;
  const keys = deriveInitialKeys(spec.dcid, version).client;
  const prefix = Buffer.concat([
    Buffer.of(0xc0 | (typeBits << 4) | (pnLength - 1)),
    Buffer.from([version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff]),
    Buffer.of(spec.dcid.length),
    spec.dcid,
    Buffer.of(scid.length),
    scid,
    Buffer.of(0), // token length
  ]);
  let frames = spec.frames;
  const overhead = prefix.length + 2 + pnLength + 16;
  if (spec.padTo && overhead + frames.length < spec.padTo) {
    frames = Buffer.concat([frames, Buffer.alloc(spec.padTo - overhead - frames.length)]);
  }
  const length = pnLength + frames.length + 16;
  const pn = Buffer.alloc(4);
  pn.writeUInt32BE(spec.packetNumber);
  const header = Buffer.concat([prefix, Buffer.of(0x40 | (length >> 8), length & 0xff), pn]);
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4; i++) nonce[8 + i] = nonce[8 + i]! ^ pn[i]!;
  const gcm = createCipheriv('aes-128-gcm', keys.key, nonce);
  gcm.setAAD(header);
  const packet = Buffer.concat([header, gcm.update(frames), gcm.final(), gcm.getAuthTag()]);
  const pnOffset = header.length - pnLength;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(packet.subarray(pnOffset + 4, pnOffset + 20));
  packet[0] = packet[0]! ^ (mask[0]! & 0x0f);
  for (let i = 0; i < pnLength; i++) packet[pnOffset + i] = packet[pnOffset + i]! ^ mask[1 + i]!;
  return packet;
}

/** A minimal TLS 1.3 ClientHello handshake message with SNI and ALPN, padded by a filler extension. */
export function buildClientHello(opts: { serverName?: string; alpn?: string[]; fillerBytes?: number }): Buffer {
  const exts: Buffer[] = [];
  if (opts.serverName !== undefined) {
    const name = Buffer.from(opts.serverName, 'latin1');
    const entry = Buffer.concat([Buffer.of(0, name.length >> 8, name.length & 0xff), name]);
    exts.push(ext(0, Buffer.concat([u16(entry.length), entry])));
  }
  if (opts.alpn) {
    const list = Buffer.concat(opts.alpn.map((p) => Buffer.concat([Buffer.of(p.length), Buffer.from(p, 'latin1')])));
    exts.push(ext(16, Buffer.concat([u16(list.length), list])));
  }
  if (opts.fillerBytes) exts.push(ext(0xfafa, Buffer.alloc(opts.fillerBytes, 0x5a)));
  const extBlock = Buffer.concat(exts);
  const body = Buffer.concat([
    Buffer.of(3, 3),
    Buffer.alloc(32, 7),
    Buffer.of(0),
    u16(2),
    Buffer.of(0x13, 0x01),
    Buffer.of(1, 0),
    u16(extBlock.length),
    extBlock,
  ]);
  return Buffer.concat([Buffer.of(1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
}

function u16(n: number): Buffer {
  return Buffer.of(n >> 8, n & 0xff);
}
function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}
