/**
 * QUIC Initial packet protection keys (RFC 9001 §5.2, RFC 9369 §3.3).
 * Initial keys are derived from the client's original Destination Connection
 * ID with a published salt, so anyone — including us before any TLS state
 * exists — can remove Initial protection. That is what lets us read the
 * ClientHello (SNI, ALPN) before picking a certificate or a backend.
 */
import { createHmac } from 'node:crypto';

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

interface VersionParameters {
  salt: Buffer;
  keyLabel: string;
  ivLabel: string;
  hpLabel: string;
  /** Key update label (RFC 9001 §6.1, RFC 9369 §3.3.2). */
  kuLabel: string;
  /** Long-header packet type bits (0..3) that mean "Initial" in this version. */
  initialType: number;
}

const VERSIONS = new Map<number, VersionParameters>([
  [
    QUIC_V1,
    {
      salt: Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'),
      keyLabel: 'quic key',
      ivLabel: 'quic iv',
      hpLabel: 'quic hp',
      kuLabel: 'quic ku',
      initialType: 0,
    },
  ],
  [
    QUIC_V2,
    {
      salt: Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex'),
      keyLabel: 'quicv2 key',
      ivLabel: 'quicv2 iv',
      hpLabel: 'quicv2 hp',
      kuLabel: 'quicv2 ku',
      initialType: 1,
    },
  ],
]);

/** Versions whose Initial packets we can decrypt. */
export function isSupportedVersion(version: number): boolean {
  return VERSIONS.has(version);
}

/** Long-header type bits for Initial in `version`, or -1 if unsupported. */
export function initialPacketType(version: number): number {
  return VERSIONS.get(version)?.initialType ?? -1;
}

/** HKDF labels that turn a traffic secret into packet protection keys in `version`. */
export interface PacketProtectionLabels {
  key: string;
  iv: string;
  hp: string;
  ku: string;
}

/** The labels of `version`, or undefined when we do not speak it. */
export function packetProtectionLabels(version: number): PacketProtectionLabels | undefined {
  const p = VERSIONS.get(version);
  return p && { key: p.keyLabel, iv: p.ivLabel, hp: p.hpLabel, ku: p.kuLabel };
}

export interface PacketProtectionKeys {
  /** AES-128-GCM key. */
  key: Buffer;
  /** 12-byte IV, XORed with the packet number to form the nonce. */
  iv: Buffer;
  /** AES-128 header-protection key. */
  hp: Buffer;
}

export interface InitialKeys {
  initialSecret: Buffer;
  clientSecret: Buffer;
  serverSecret: Buffer;
  client: PacketProtectionKeys;
  server: PacketProtectionKeys;
}

export function hkdfExtract(salt: Buffer, ikm: Buffer, hash: 'sha256' | 'sha384' = 'sha256'): Buffer {
  return createHmac(hash, salt).update(ikm).digest();
}

const EMPTY_CONTEXT = Buffer.alloc(0);

/**
 * HKDF-Expand-Label from TLS 1.3 (RFC 8446 §7.1). QUIC's Initial keys use it
 * with SHA-256 and an empty context; the TLS 1.3 key schedule (src/quic/tls13)
 * passes a transcript hash as context and the cipher suite's hash.
 */
export function hkdfExpandLabel(secret: Buffer, label: string, length: number, context: Buffer = EMPTY_CONTEXT, hash: 'sha256' | 'sha384' = 'sha256'): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.allocUnsafe(4 + fullLabel.length + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = fullLabel.length;
  fullLabel.copy(info, 3);
  info[3 + fullLabel.length] = context.length;
  context.copy(info, 4 + fullLabel.length);
  // HKDF-Expand: T(i) = HMAC(secret, T(i-1) | info | i)
  const out = Buffer.allocUnsafe(length);
  let previous = EMPTY_CONTEXT;
  for (let filled = 0, i = 1; filled < length; i++) {
    previous = createHmac(hash, secret).update(previous).update(info).update(Buffer.of(i)).digest();
    filled += previous.copy(out, filled);
  }
  return out;
}

function protectionKeys(secret: Buffer, p: VersionParameters): PacketProtectionKeys {
  return {
    key: hkdfExpandLabel(secret, p.keyLabel, 16),
    iv: hkdfExpandLabel(secret, p.ivLabel, 12),
    hp: hkdfExpandLabel(secret, p.hpLabel, 16),
  };
}

/**
 * Initial secrets and keys for both directions. Throws RangeError for an
 * unsupported version: check isSupportedVersion first.
 */
export function deriveInitialKeys(originalDcid: Buffer, version: number): InitialKeys {
  const p = VERSIONS.get(version);
  if (!p) throw new RangeError(`QUIC version 0x${version.toString(16)} has no known Initial salt`);
  const initialSecret = hkdfExtract(p.salt, originalDcid);
  const clientSecret = hkdfExpandLabel(initialSecret, 'client in', 32);
  const serverSecret = hkdfExpandLabel(initialSecret, 'server in', 32);
  return {
    initialSecret,
    clientSecret,
    serverSecret,
    client: protectionKeys(clientSecret, p),
    server: protectionKeys(serverSecret, p),
  };
}
