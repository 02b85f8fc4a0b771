import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NamedGroup, generateKeyShare } from '../../../src/quic/tls13/key-exchange.js';

describe('key shares', () => {
  it('X25519: our raw public key and shared secret agree with an independent node:crypto key pair', () => {
    const ours = generateKeyShare(NamedGroup.x25519);
    expect(ours.publicKey).toHaveLength(32);
    const peer = generateKeyPairSync('x25519');
    const peerRaw = Buffer.from(peer.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const oursAsKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: ours.publicKey.toString('base64url') }, format: 'jwk' });
    expect(ours.sharedSecret(peerRaw)).toEqual(diffieHellman({ privateKey: peer.privateKey, publicKey: oursAsKey }));
    expect(generateKeyShare(NamedGroup.x25519).publicKey.equals(ours.publicKey)).toBe(false);
  });

  it('P-256: uncompressed points, shared secret as createECDH computes it', () => {
    const ours = generateKeyShare(NamedGroup.secp256r1);
    expect(ours.publicKey).toHaveLength(65);
    const peer = createECDH('prime256v1');
    const peerPublic = peer.generateKeys();
    expect(ours.sharedSecret(peerPublic)).toEqual(peer.computeSecret(ours.publicKey));
    expect(() => ours.sharedSecret(peer.getPublicKey(null, 'compressed'))).toThrow(expect.objectContaining({ alert: 47 }));
  });

  for (const [name, group, curve, length] of [
    ['P-384', NamedGroup.secp384r1, 'secp384r1', 97],
    ['P-521', NamedGroup.secp521r1, 'secp521r1', 133],
  ] as const) {
    it(`${name}: uncompressed points, shared secret as createECDH computes it, a point of the wrong size refused`, () => {
      const ours = generateKeyShare(group);
      expect(ours.publicKey).toHaveLength(length);
      const peer = createECDH(curve);
      const peerPublic = peer.generateKeys();
      expect(ours.sharedSecret(peerPublic)).toEqual(peer.computeSecret(ours.publicKey));
      expect(() => ours.sharedSecret(peerPublic.subarray(0, 65))).toThrow(expect.objectContaining({ alert: 47 }));
    });
  }
});
