/**
 * Reads the TLS ClientHello out of a client's QUIC Initial packets without a
 * TLS stack, so the proxy can choose a certificate, a router or a backend
 * (SNI, ALPN) before it commits any connection state.
 *
 * One sniffer per connection attempt (per original DCID). Feed it every
 * datagram that carries that DCID until it answers 'done' or 'invalid'.
 * 'invalid' refers to the datagram just fed: it should be dropped; the
 * sniffer keeps whatever earlier datagrams contributed, so an injected
 * garbage datagram cannot destroy a genuine handshake in progress.
 * Chromium and others split a post-quantum ClientHello across two or more
 * Initial packets (sometimes two datagrams, in any order): CRYPTO data is
 * reassembled by offset, up to MAX_CLIENT_HELLO_BYTES.
 */
import { readVarint, varintLengthFromFirstByte } from '../varint.js';
import { parseClientHello } from './client-hello.js';
import { CryptoStreamBuffer } from './crypto-stream-buffer.js';
import { deriveInitialKeys, type PacketProtectionKeys } from './initial-keys.js';
import { parseLongHeader, unprotectInitialPacket } from './initial-packet.js';

export { readLongHeaderDcid } from './initial-packet.js';

export type SniffResult =
  { status: 'need-more' } | { status: 'done'; serverName?: string; alpn: string[]; version: number } | { status: 'invalid'; reason: string };

/** Largest ClientHello we reassemble; real ones with PQ key shares are ~1.8 KiB. */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;
/** Initial packets a sniffer accepts before giving up on the ClientHello. */
export const MAX_INITIAL_PACKETS = 32;
/** RFC 9000 §14.1: servers drop client Initials in datagrams smaller than this. */
export const MIN_INITIAL_DATAGRAM = 1200;

const NEED_MORE: SniffResult = Object.freeze({ status: 'need-more' });

export class ClientHelloSniffer {
  private readonly crypto = new CryptoStreamBuffer(MAX_CLIENT_HELLO_BYTES);
  private keys?: { dcid: Buffer; version: number; client: PacketProtectionKeys };
  private packets = 0;
  private result?: SniffResult;
  private version = 0;

  /** Processes one UDP datagram payload. Never throws. */
  feed(datagram: Buffer): SniffResult {
    if (this.result) return this.result;
    try {
      return this.feedDatagram(datagram);
    } catch (err) {
      // Defensive: every parser here is bounds-checked, but a sniffer must never take the server down.
      return invalid(`unexpected error while sniffing: ${(err as Error).message}`);
    }
  }

  private feedDatagram(datagram: Buffer): SniffResult {
    if (datagram.length < MIN_INITIAL_DATAGRAM) {
      return invalid(`datagram of ${datagram.length} bytes is below the ${MIN_INITIAL_DATAGRAM}-byte Initial minimum`);
    }
    let offset = 0;
    let initials = 0;
    while (offset < datagram.length) {
      // A short-header packet (or padding a client put after its long packets) ends the coalesced run.
      if ((datagram[offset]! & 0x80) === 0) break;
      const parsed = parseLongHeader(datagram, offset);
      if (!parsed.ok) {
        if (initials > 0) break; // trailing junk after a good Initial: ignore it like a QUIC stack would
        return invalid(parsed.reason);
      }
      const h = parsed.header;
      if (!h.isInitial) {
        offset = h.end;
        continue;
      }
      if (++this.packets > MAX_INITIAL_PACKETS) return invalid(`no complete ClientHello after ${MAX_INITIAL_PACKETS} Initial packets`);
      const keys = this.keysFor(h.dcid, h.version);
      const plain = unprotectInitialPacket(datagram, h, keys, offset);
      if (!plain.ok) {
        if (initials > 0) break;
        return invalid(plain.reason);
      }
      const err = this.readFrames(plain.payload);
      if (err) return invalid(err);
      this.version = h.version;
      initials++;
      offset = h.end;
    }
    if (initials === 0) return invalid('datagram holds no client Initial packet');
    return this.tryParse();
  }

  private keysFor(dcid: Buffer, version: number): PacketProtectionKeys {
    const k = this.keys;
    if (k && k.version === version && k.dcid.equals(dcid)) return k.client;
    const client = deriveInitialKeys(dcid, version).client;
    this.keys = { dcid: Buffer.from(dcid), version, client };
    return client;
  }

  /** Walks the frames of a decrypted Initial payload; returns a reason on protocol violations. */
  private readFrames(payload: Buffer): string | undefined {
    const n = payload.length;
    let p = 0;
    while (p < n) {
      const type = payload[p]!;
      if (type === 0x00 || type === 0x01) {
        p++; // PADDING, PING
        continue;
      }
      p++;
      if (type === 0x02 || type === 0x03) {
        // ACK: largest, delay, range count, first range, then count × (gap, length), then ECN counts for 0x03.
        for (let i = 0; i < 2; i++) {
          if (readVarint(payload, p) < 0) return 'ACK frame truncated';
          p += varintLengthFromFirstByte(payload[p]!);
        }
        const rangeCount = readVarint(payload, p);
        if (rangeCount < 0 || rangeCount > n) return 'ACK frame has a bad range count';
        p += varintLengthFromFirstByte(payload[p]!);
        const more = rangeCount * 2 + (type === 0x03 ? 3 : 0) + 1;
        for (let i = 0; i < more; i++) {
          if (readVarint(payload, p) < 0) return 'ACK frame truncated';
          p += varintLengthFromFirstByte(payload[p]!);
        }
        continue;
      }
      if (type === 0x06) {
        const off = readVarint(payload, p);
        if (off < 0) return 'CRYPTO frame truncated';
        p += varintLengthFromFirstByte(payload[p]!);
        const len = readVarint(payload, p);
        if (len < 0) return 'CRYPTO frame truncated';
        p += varintLengthFromFirstByte(payload[p]!);
        if (p + len > n) return 'CRYPTO frame data overruns the packet';
        const err = this.crypto.insert(off, payload.subarray(p, p + len));
        if (err) return err;
        p += len;
        continue;
      }
      if (type === 0x1c) return 'client sent CONNECTION_CLOSE in its Initial';
      return `frame type 0x${type.toString(16)} is not allowed in an Initial packet`;
    }
    return undefined;
  }

  private tryParse(): SniffResult {
    const have = this.crypto.contiguousLength;
    if (have < 4) return NEED_MORE;
    const head = this.crypto.read(4);
    if (head[0] !== 1) return this.finish(invalid(`first TLS handshake message has type ${head[0]}, not ClientHello`));
    const total = 4 + head.readUIntBE(1, 3);
    if (total > MAX_CLIENT_HELLO_BYTES) return this.finish(invalid(`ClientHello of ${total} bytes exceeds ${MAX_CLIENT_HELLO_BYTES}`));
    if (have < total) return NEED_MORE;
    const hello = parseClientHello(this.crypto.read(total));
    if (!hello.ok) return this.finish(invalid(hello.reason));
    const done: SniffResult =
      hello.serverName === undefined
        ? { status: 'done', alpn: hello.alpn, version: this.version }
        : { status: 'done', serverName: hello.serverName, alpn: hello.alpn, version: this.version };
    return this.finish(done);
  }

  /** A verdict on the whole ClientHello is final: later datagrams get the same answer. */
  private finish(r: SniffResult): SniffResult {
    this.result = r;
    return r;
  }
}

function invalid(reason: string): SniffResult {
  return { status: 'invalid', reason };
}
