import { describe, expect, it } from 'vitest';
import { deriveInitialKeys, QUIC_V1, QUIC_V2 } from '../../../src/quic/initial/initial-keys.js';
import { PacketHeader, PacketType, parsePacketHeader, setLongHeaderLength, writeLongHeader, writeShortHeader } from '../../../src/quic/packet/packet-header.js';
import {
  derivePacketKeys,
  DirectionalKeys,
  HeaderProtection,
  nextTrafficSecret,
  OpenedPacket,
  PacketCipher,
} from '../../../src/quic/packet/packet-protection.js';
import { OneRttKeys } from '../../../src/quic/packet/one-rtt-keys.js';
import { buildRetryPacket, verifyRetryIntegrity } from '../../../src/quic/packet/retry-packet.js';
import { CHACHA20_SECRET, CHACHA20_SECRET_KU_V1, ORIGINAL_DCID, RETRY_V1, RETRY_V2, V1, V2 } from './rfc-vectors.js';

const header = new PacketHeader();

function initialKeys(version: number, side: 'client' | 'server'): DirectionalKeys {
  const k = deriveInitialKeys(ORIGINAL_DCID, version);
  return DirectionalKeys.fromSecret('TLS_AES_128_GCM_SHA256', side === 'client' ? k.clientSecret : k.serverSecret, version);
}

/** Builds a long-header Initial with our writer and seals it into a 1500-byte buffer. */
function sealInitial(version: number, side: 'client' | 'server', dcid: Buffer, scid: Buffer, pnLength: number, pn: number, payload: Buffer) {
  const buf = Buffer.alloc(1500);
  const pnOffset = writeLongHeader(buf, 0, PacketType.Initial, version, dcid, scid, Buffer.alloc(0), pnLength, pn);
  const payloadStart = pnOffset + pnLength;
  payload.copy(buf, payloadStart);
  const payloadEnd = payloadStart + payload.length;
  setLongHeaderLength(buf, pnOffset, payloadEnd + 16 - pnOffset);
  const plainHeader = Buffer.from(buf.subarray(0, payloadStart));
  const end = initialKeys(version, side).sealPacket(buf, 0, pnOffset, pnLength, payloadEnd, pn);
  return { plainHeader, packet: buf.subarray(0, end) };
}

for (const [name, version, v] of [
  ['v1 (RFC 9001 Appendix A)', QUIC_V1, V1],
  ['v2 (RFC 9369 Appendix A)', QUIC_V2, V2],
] as const) {
  describe(`QUIC ${name} packet protection vectors`, () => {
    it('A.2: seals the client Initial to the exact protected bytes and opens it back', () => {
      const { plainHeader, packet } = sealInitial(version, 'client', ORIGINAL_DCID, Buffer.alloc(0), 4, 2, v.longClientPlainPayload);
      expect(plainHeader.toString('hex')).toBe(v.longClientPlainHeader.toString('hex'));
      expect(packet.toString('hex')).toBe(v.longClientEncryptedPacket.toString('hex'));

      const received = Buffer.from(v.longClientEncryptedPacket);
      parsePacketHeader(received, 0, 8, header);
      expect(header.type).toBe(PacketType.Initial);
      expect(header.version).toBe(version);
      expect(header.dcid.equals(ORIGINAL_DCID)).toBe(true);
      expect(header.end).toBe(1200);
      const opened = new OpenedPacket();
      expect(initialKeys(version, 'client').openPacket(received, 0, header.pnOffset, header.end, -1, opened)).toBe(true);
      expect(opened.packetNumber).toBe(2);
      expect(opened.payload.equals(v.longClientPlainPayload)).toBe(true);
    });

    it('A.3: seals the server Initial to the exact protected bytes and opens it back', () => {
      const scid = Buffer.from('f067a5502a4262b5', 'hex');
      const { plainHeader, packet } = sealInitial(version, 'server', Buffer.alloc(0), scid, 2, 1, v.longServerPlainPayload);
      expect(plainHeader.toString('hex')).toBe(v.longServerPlainHeader.toString('hex'));
      expect(packet.toString('hex')).toBe(v.longServerEncryptedPacket.toString('hex'));
      const received = Buffer.from(v.longServerEncryptedPacket);
      parsePacketHeader(received, 0, 0, header);
      const opened = new OpenedPacket();
      expect(initialKeys(version, 'server').openPacket(received, 0, header.pnOffset, header.end, 0, opened)).toBe(true);
      expect(opened.packetNumber).toBe(1);
      expect(opened.payload.equals(v.longServerPlainPayload)).toBe(true);
      // The client's keys do not open the server's packet.
      const again = Buffer.from(v.longServerEncryptedPacket);
      expect(initialKeys(version, 'client').openPacket(again, 0, header.pnOffset, header.end, 0, opened)).toBe(false);
    });

    it('A.5: seals the ChaCha20-Poly1305 short-header packet and opens it with the key-phase aware keys', () => {
      const suite = 'TLS_CHACHA20_POLY1305_SHA256';
      const keys = derivePacketKeys(suite, CHACHA20_SECRET, version);
      const buf = Buffer.alloc(64);
      const pnOffset = writeShortHeader(buf, 0, Buffer.alloc(0), 0, 0, 3, v.chacha20ClientPacketNumber);
      expect(buf.subarray(0, 4).toString('hex')).toBe(v.chacha20ClientPlainHeader.toString('hex'));
      v.chacha20ClientPlainPayload.copy(buf, 4);
      const end = new PacketCipher(suite, keys.key, keys.iv).seal(buf, 0, 4, 5, v.chacha20ClientPacketNumber);
      new HeaderProtection(suite, keys.hp).protect(buf, 0, pnOffset, 3);
      expect(buf.subarray(0, end).toString('hex')).toBe(v.chacha20ClientEncryptedPacket.toString('hex'));

      const received = Buffer.from(v.chacha20ClientEncryptedPacket);
      parsePacketHeader(received, 0, 0, header);
      expect(header.type).toBe(PacketType.OneRtt);
      const oneRtt = new OneRttKeys(suite, version, CHACHA20_SECRET, CHACHA20_SECRET);
      const opened = new OpenedPacket();
      expect(oneRtt.openPacket(received, 0, header.pnOffset, header.end, v.chacha20ClientPacketNumber - 1, 0, opened)).toBe(true);
      expect(opened.packetNumber).toBe(v.chacha20ClientPacketNumber);
      expect(opened.payload.toString('hex')).toBe('01');
    });

    it('A.4: builds the Retry packet with its integrity tag and verifies it', () => {
      const expected = version === QUIC_V1 ? RETRY_V1 : RETRY_V2;
      const retry = buildRetryPacket({
        version,
        dcid: Buffer.alloc(0),
        scid: Buffer.from('f067a5502a4262b5', 'hex'),
        token: Buffer.from('token'),
        originalDcid: ORIGINAL_DCID,
        unusedBits: 0xf,
      });
      expect(retry.toString('hex')).toBe(expected.toString('hex'));
      expect(verifyRetryIntegrity(expected, ORIGINAL_DCID, version)).toBe(true);
      expect(verifyRetryIntegrity(expected, Buffer.from('8394c8f03e515709', 'hex'), version)).toBe(false);
      parsePacketHeader(expected, 0, 0, header);
      expect(header.type).toBe(PacketType.Retry);
      expect(header.token.toString()).toBe('token');
      expect(header.scid.toString('hex')).toBe('f067a5502a4262b5');
    });
  });
}

describe('key derivation', () => {
  it('RFC 9001 A.5: "quic ku" gives the next ChaCha20 secret', () => {
    expect(nextTrafficSecret('TLS_CHACHA20_POLY1305_SHA256', CHACHA20_SECRET, QUIC_V1).toString('hex')).toBe(CHACHA20_SECRET_KU_V1.toString('hex'));
  });

  it('RFC 9369 A.5: v2 ChaCha20 key, iv and hp', () => {
    const k = derivePacketKeys('TLS_CHACHA20_POLY1305_SHA256', CHACHA20_SECRET, QUIC_V2);
    expect(k.key.toString('hex')).toBe('3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2');
    expect(k.iv.toString('hex')).toBe('a6b5bc6ab7dafce30ffff5dd');
    expect(k.hp.toString('hex')).toBe('d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2');
  });

  it('AES-256-GCM keys come from SHA-384 and seal/open round trip', () => {
    const secret = Buffer.alloc(48, 7);
    const k = derivePacketKeys('TLS_AES_256_GCM_SHA384', secret, QUIC_V1);
    expect(k.key.length).toBe(32);
    expect(k.hp.length).toBe(32);
    const keys = DirectionalKeys.fromSecret('TLS_AES_256_GCM_SHA384', secret, QUIC_V1);
    const buf = Buffer.alloc(200);
    const pnOffset = writeShortHeader(buf, 0, Buffer.from('01020304', 'hex'), 1, 0, 2, 300);
    buf.fill(0xab, pnOffset + 2, pnOffset + 2 + 40);
    const end = keys.sealPacket(buf, 0, pnOffset, 2, pnOffset + 42, 300);
    const opened = new OpenedPacket();
    expect(keys.openPacket(buf.subarray(0, end), 0, pnOffset, end, 299, opened)).toBe(true);
    expect(opened.packetNumber).toBe(300);
    expect(opened.payload.equals(Buffer.alloc(40, 0xab))).toBe(true);
  });
});

describe('key update (RFC 9001 §6)', () => {
  const suite = 'TLS_AES_128_GCM_SHA256';
  const c2s = Buffer.alloc(32, 1);
  const s2c = Buffer.alloc(32, 2);
  const dcid = Buffer.from('0a0b0c0d', 'hex');

  function send(from: OneRttKeys, pn: number, byte: number): Buffer {
    const buf = Buffer.alloc(100);
    const pnOffset = writeShortHeader(buf, 0, dcid, 0, from.keyPhase, 4, pn);
    buf.fill(byte, pnOffset + 4, pnOffset + 4 + 30);
    const end = from.sealPacket(buf, 0, pnOffset, 4, pnOffset + 34, pn);
    return buf.subarray(0, end);
  }
  function receive(to: OneRttKeys, packet: Buffer, largest: number, now = 0): OpenedPacket | undefined {
    const opened = new OpenedPacket();
    return to.openPacket(packet, 0, 5, packet.length, largest, now, opened) ? opened : undefined;
  }

  it('a client-initiated update rotates both sides, keeps the previous read keys for reordered packets, then drops them', () => {
    const client = new OneRttKeys(suite, QUIC_V1, s2c, c2s, 100);
    const server = new OneRttKeys(suite, QUIC_V1, c2s, s2c, 100);
    expect(client.initiateUpdate()).toBe(false); // nothing acknowledged yet
    const old = send(client, 0, 1);
    expect(receive(server, Buffer.from(old), -1)?.packetNumber).toBe(0);
    const reordered = send(client, 1, 2);
    client.onPacketAcknowledged(0);
    expect(client.initiateUpdate()).toBe(true);
    expect(client.keyPhase).toBe(1);
    expect(client.canInitiateUpdate).toBe(false);
    const updated = send(client, 2, 3);
    const got = receive(server, Buffer.from(updated), 0, 10);
    expect(got?.packetNumber).toBe(2);
    expect(server.keyPhase).toBe(1); // the server answered with new write keys
    expect(server.updates).toBe(1);
    // A packet of the old phase sent earlier still opens with the previous keys.
    expect(receive(server, Buffer.from(reordered), 2, 50)?.payload[0]).toBe(2);
    const answer = send(server, 0, 9);
    expect(receive(client, Buffer.from(answer), -1)?.payload[0]).toBe(9);
    expect(client.keyPhase).toBe(1);
    expect(client.updates).toBe(1);
    // After the retention period the previous keys are gone.
    expect(server.previousKeysDiscardAt).toBe(110);
    expect(receive(server, Buffer.from(reordered), 2, 200)).toBeUndefined();
    expect(server.hasPreviousReadKeys).toBe(false);
  });

  it('new keys on a packet numbered below an old-key packet are a KEY_UPDATE_ERROR', () => {
    const client = new OneRttKeys(suite, QUIC_V1, s2c, c2s);
    const server = new OneRttKeys(suite, QUIC_V1, c2s, s2c);
    const first = send(client, 0, 1);
    client.onPacketAcknowledged(0);
    expect(receive(server, Buffer.from(send(client, 5, 1)), -1)?.packetNumber).toBe(5);
    void first;
    client.initiateUpdate();
    expect(() => receive(server, Buffer.from(send(client, 3, 1)), 5)).toThrow(/KEY_UPDATE_ERROR/);
  });

  it('a tampered packet is dropped, not thrown', () => {
    const client = new OneRttKeys(suite, QUIC_V1, s2c, c2s);
    const server = new OneRttKeys(suite, QUIC_V1, c2s, s2c);
    const p = Buffer.from(send(client, 0, 1));
    p[p.length - 1]! ^= 1;
    expect(receive(server, p, -1)).toBeUndefined();
  });
});
