import { describe, expect, it } from 'vitest';
import { QUIC_V1, QUIC_V2 } from '../../../src/quic/initial/initial-keys.js';
import {
  keyPhaseOf,
  PacketHeader,
  PacketType,
  parsePacketHeader,
  readDestinationCid,
  reservedBitsSet,
  setLongHeaderLength,
  spinBitOf,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/packet/packet-header.js';
import { decodePacketNumber, packetNumberLength, readTruncatedPacketNumber, writeTruncatedPacketNumber } from '../../../src/quic/packet/packet-number.js';
import { buildVersionNegotiation, readNegotiatedVersions } from '../../../src/quic/packet/version-negotiation.js';
import { QuicError } from '../../../src/quic/quic-error.js';

const dcid = Buffer.from('0102030405060708', 'hex');
const scid = Buffer.from('a1a2a3a4', 'hex');

describe('packet numbers (RFC 9000 §17.1, Appendix A)', () => {
  it('decodes the Appendix A.3 example', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 2)).toBe(0xa82f9b32);
  });

  it('chooses lengths as Appendix A.2 does', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
    expect(packetNumberLength(0, -1)).toBe(1);
    expect(packetNumberLength(2 ** 40, 0)).toBe(4);
  });

  it('round-trips truncation across window edges, above 2^32 too', () => {
    for (const largest of [-1, 0, 200, 255, 65535, 2 ** 31, 2 ** 32 + 17, 2 ** 45]) {
      for (const delta of [1, 2, 50, 127]) {
        const pn = largest + delta;
        const len = packetNumberLength(pn, largest);
        const b = Buffer.alloc(4);
        writeTruncatedPacketNumber(b, 0, pn, len);
        expect(decodePacketNumber(largest, readTruncatedPacketNumber(b, 0, len), len)).toBe(pn);
      }
    }
  });
});

describe('packet headers', () => {
  const h = new PacketHeader();

  it('writes and parses Initial (with token), 0-RTT and Handshake headers in v1 and v2, coalesced in one datagram', () => {
    for (const version of [QUIC_V1, QUIC_V2]) {
      const buf = Buffer.alloc(600);
      let off = 0;
      const types = [PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake] as const;
      for (const type of types) {
        const pnOffset = writeLongHeader(buf, off, type, version, dcid, scid, Buffer.from('tok'), 2, 7);
        setLongHeaderLength(buf, pnOffset, 100);
        off = pnOffset + 100;
      }
      const datagram = buf.subarray(0, off);
      let p = 0;
      for (const type of types) {
        parsePacketHeader(datagram, p, 8, h);
        expect(h.type).toBe(type);
        expect(h.version).toBe(version);
        expect(h.dcid.equals(dcid)).toBe(true);
        expect(h.scid.equals(scid)).toBe(true);
        expect(h.token.toString()).toBe(type === PacketType.Initial ? 'tok' : '');
        expect(readTruncatedPacketNumber(datagram, h.pnOffset, 2)).toBe(7);
        expect(h.end - h.pnOffset).toBe(100);
        p = h.end;
      }
      expect(p).toBe(datagram.length);
      expect(readDestinationCid(datagram, 8)!.equals(dcid)).toBe(true);
    }
  });

  it('writes and parses a short header with spin and key phase bits', () => {
    const buf = Buffer.alloc(60);
    const pnOffset = writeShortHeader(buf, 0, dcid, 1, 1, 3, 0x123456);
    expect(pnOffset).toBe(9);
    parsePacketHeader(buf, 0, 8, h);
    expect(h.type).toBe(PacketType.OneRtt);
    expect(h.dcid.equals(dcid)).toBe(true);
    expect(h.end).toBe(60);
    expect(spinBitOf(buf[0]!)).toBe(1);
    expect(keyPhaseOf(buf[0]!)).toBe(1);
    expect(reservedBitsSet(buf[0]!)).toBe(false);
    expect(reservedBitsSet(buf[0]! | 0x08)).toBe(true);
    expect(readDestinationCid(buf, 8)!.equals(dcid)).toBe(true);
  });

  it('builds and reads Version Negotiation, and flags unsupported versions', () => {
    const vn = buildVersionNegotiation(dcid, scid, [QUIC_V1, QUIC_V2, 0x1a2a3a4a], 0x55);
    parsePacketHeader(vn, 0, 0, h);
    expect(h.type).toBe(PacketType.VersionNegotiation);
    expect(h.dcid.equals(scid)).toBe(true);
    expect(h.scid.equals(dcid)).toBe(true);
    expect(readNegotiatedVersions(h)).toEqual([QUIC_V1, QUIC_V2, 0x1a2a3a4a]);
    const unknown = Buffer.concat([Buffer.of(0xc0, 0xfa, 0xce, 0xb0, 0x0c, 30), Buffer.alloc(30, 1), Buffer.of(0), Buffer.alloc(1200)]);
    parsePacketHeader(unknown, 0, 0, h);
    expect(h.type).toBe(PacketType.UnsupportedVersion);
    expect(h.dcidLength).toBe(30);
    const bad = Buffer.from(vn.subarray(0, vn.length - 1));
    parsePacketHeader(bad, 0, 0, h);
    expect(() => readNegotiatedVersions(h)).toThrow(QuicError);
  });

  it('refuses malformed headers with QuicError only', () => {
    const cases = [
      Buffer.alloc(0),
      Buffer.of(0x00, 1, 2, 3),
      Buffer.of(0xc0, 0, 0, 0, 1, 21, ...Buffer.alloc(30)),
      Buffer.of(0xc0, 0, 0, 0, 1, 0, 0, 0, 0x44, 0x00),
      Buffer.of(0x80, 0, 0, 0, 1, 0, 0, 0, 0x1),
    ];
    for (const c of cases) expect(() => parsePacketHeader(c, 0, 8, h)).toThrow(QuicError);
  });
});

describe('fuzz: header parsing and unprotection of hostile datagrams', () => {
  it('only QuicError escapes parsePacketHeader, and openPacket never throws', async () => {
    const { fuzz } = await import('../fuzz.js');
    const { deriveInitialKeys } = await import('../../../src/quic/initial/initial-keys.js');
    const { DirectionalKeys, OpenedPacket } = await import('../../../src/quic/packet/packet-protection.js');
    const { V1, V2, RETRY_V1 } = await import('./rfc-vectors.js');
    const keys = DirectionalKeys.fromSecret('TLS_AES_128_GCM_SHA256', deriveInitialKeys(Buffer.from('8394c8f03e515708', 'hex'), QUIC_V1).clientSecret, QUIC_V1);
    const h = new PacketHeader();
    const opened = new OpenedPacket();
    let openedCount = 0;
    const seeds = [V1.longClientEncryptedPacket, V2.longServerEncryptedPacket, V1.chacha20ClientEncryptedPacket, RETRY_V1, buildVersionNegotiation(dcid, scid)];
    fuzz(
      seeds,
      5000,
      (input) => {
        let p = 0;
        while (p < input.length) {
          parsePacketHeader(input, p, 8, h);
          if (h.type === PacketType.Initial && keys.openPacket(input, p, h.pnOffset, h.end, -1, opened)) openedCount++;
          if (h.type === PacketType.VersionNegotiation) readNegotiatedVersions(h);
          p = h.end;
        }
      },
      11,
    );
    expect(openedCount).toBeLessThan(5000);
  });
});
