/** ClientHellos built field by field, to feed a server directly (valid ones and ones broken on purpose). */
import { randomBytes } from 'node:crypto';
import { generateKeyShare, NamedGroup } from '../../../src/quic/tls13/key-exchange.js';
import { buildClientHello, type ClientHello } from '../../../src/quic/tls13/messages.js';
import { SUPPORTED_SIGNATURE_SCHEMES } from '../../../src/quic/tls13/signature.js';

export function validClientHello(over: Partial<ClientHello> = {}): ClientHello {
  return {
    random: randomBytes(32),
    sessionId: Buffer.alloc(0),
    cipherSuites: [0x1301, 0x1302, 0x1303],
    serverName: 'localhost',
    alpn: ['h3'],
    supportedVersions: [0x0304],
    supportedGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
    keyShares: [{ group: NamedGroup.x25519, key: generateKeyShare(NamedGroup.x25519).publicKey }],
    signatureAlgorithms: SUPPORTED_SIGNATURE_SCHEMES,
    transportParameters: Buffer.from('client-tp'),
    pskModes: [1],
    earlyData: false,
    ...over,
  };
}

/** Chromium's shape: an X25519MLKEM768 share (1216 bytes) before the X25519 one: a ~1.7 KiB message. */
export function postQuantumClientHello(withClassicalShare: boolean): Buffer {
  const pq = { group: NamedGroup.x25519MlKem768, key: randomBytes(1216) };
  return buildClientHello(
    validClientHello({
      supportedGroups: [NamedGroup.x25519MlKem768, NamedGroup.x25519, NamedGroup.secp256r1],
      keyShares: withClassicalShare ? [pq, { group: NamedGroup.x25519, key: generateKeyShare(NamedGroup.x25519).publicKey }] : [pq],
    }),
  );
}
