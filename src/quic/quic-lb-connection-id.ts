/**
 * QUIC-LB plaintext connection IDs (draft-ietf-quic-load-balancers, "Plaintext
 * CID Algorithm"): every server connection ID carries this replica's server ID
 * right after the first octet, so a CID-aware load balancer (AWS NLB with QUIC
 * listeners, for one) keeps routing a connection's packets to the replica that
 * holds its state — also after the client's address changes.
 *
 *   First Octet { Config Rotation (3), Length of the rest (5) } | Server ID | Nonce
 *
 * The plaintext algorithm hides nothing: an observer can link connection IDs of
 * one replica. That is the algorithm AWS NLB uses; the encrypted variants are
 * not needed for it.
 */
import { randomFillSync } from 'node:crypto';
import type { ConnectionIdGenerator } from './connection-id.js';

/** Config rotation 0b111 means "not routable by CID; use the 5-tuple" (draft §2.2). */
export const QUIC_LB_UNROUTABLE_ROTATION = 0b111;
/** The variable the AWS Load Balancer Controller injects into QUIC-enabled containers. */
export const AWS_LBC_QUIC_SERVER_ID_ENV = 'AWS_LBC_QUIC_SERVER_ID';

export interface QuicLbOptions {
  /** This replica's server ID (1..15 bytes). */
  serverId: Uint8Array;
  /** Config rotation codepoint, 0..6 (default 0). */
  configRotation?: number;
  /** Nonce length in bytes, 4..18 (default 7: with an 8-byte server ID, a 16-byte CID). */
  nonceLength?: number;
}

export class QuicLbConnectionIdGenerator implements ConnectionIdGenerator {
  readonly length: number;
  readonly serverId: Buffer;
  readonly configRotation: number;
  readonly nonceLength: number;
  private readonly firstOctet: number;

  constructor(options: QuicLbOptions) {
    const serverId = Buffer.from(options.serverId);
    const configRotation = options.configRotation ?? 0;
    const nonceLength = options.nonceLength ?? 7;
    if (serverId.length < 1 || serverId.length > 15)
      throw new RangeError(`QUIC-LB server ID must be 1..15 bytes, got ${serverId.length}; check the server ID your load balancer assigned`);
    if (!Number.isInteger(configRotation) || configRotation < 0 || configRotation > 6)
      throw new RangeError(`QUIC-LB configRotation must be an integer 0..6 (7 is reserved for unroutable IDs), got ${configRotation}`);
    if (!Number.isInteger(nonceLength) || nonceLength < 4 || nonceLength > 18)
      throw new RangeError(`QUIC-LB nonceLength must be an integer 4..18, got ${nonceLength}`);
    if (serverId.length + nonceLength > 19)
      throw new RangeError(
        `QUIC-LB server ID (${serverId.length} bytes) plus nonce (${nonceLength} bytes) must be at most 19 bytes so the connection ID fits QUIC's 20; lower nonceLength`,
      );
    this.serverId = serverId;
    this.configRotation = configRotation;
    this.nonceLength = nonceLength;
    this.length = 1 + serverId.length + nonceLength;
    // The low five bits self-describe the length of what follows the first octet.
    this.firstOctet = (configRotation << 5) | (this.length - 1);
  }

  generate(): Buffer {
    const cid = Buffer.allocUnsafe(this.length);
    cid[0] = this.firstOctet;
    this.serverId.copy(cid, 1);
    // A random nonce of >= 4 bytes: repeats are negligible over a replica's lifetime
    // (the draft requires each nonce to be used at most once per server ID).
    randomFillSync(cid, 1 + this.serverId.length, this.nonceLength);
    return cid;
  }
}

export interface DecodedQuicLbConnectionId {
  configRotation: number;
  /** The low five bits of the first octet: the length of the rest of the ID when the server self-describes it. */
  selfDescribedLength: number;
  /** Whether those bits equal the actual length after the first octet (always true for IDs this module issues). */
  lengthMatches: boolean;
  serverId: Buffer;
  nonce: Buffer;
}

/**
 * Split a plaintext QUIC-LB connection ID into its parts, as a load balancer
 * would. Returns undefined for IDs a load balancer could not route by CID:
 * config rotation 0b111, or too short to hold the server ID. The length bits
 * are reported, not enforced: a load balancer ignores them (draft §2.3).
 */
export function decodeQuicLbConnectionId(cid: Uint8Array, serverIdLength: number): DecodedQuicLbConnectionId | undefined {
  if (!Number.isInteger(serverIdLength) || serverIdLength < 1 || serverIdLength > 15)
    throw new RangeError(`serverIdLength must be an integer 1..15, got ${serverIdLength}`);
  const bytes = Buffer.from(cid.buffer, cid.byteOffset, cid.byteLength);
  if (bytes.length < 1 + serverIdLength || bytes.length > 20) return undefined;
  const configRotation = bytes[0]! >> 5;
  const selfDescribedLength = bytes[0]! & 0x1f;
  if (configRotation === QUIC_LB_UNROUTABLE_ROTATION) return undefined;
  return {
    configRotation,
    selfDescribedLength,
    lengthMatches: selfDescribedLength === bytes.length - 1,
    serverId: Buffer.from(bytes.subarray(1, 1 + serverIdLength)),
    nonce: Buffer.from(bytes.subarray(1 + serverIdLength)),
  };
}

/** The `entryPoints.<name>.http3.connectionIds` block of the static configuration, for `type: quic-lb`. */
export interface QuicLbFromEnvOptions {
  /** Variable holding the base64 server ID (default AWS_LBC_QUIC_SERVER_ID). */
  serverIdEnv?: string;
  /** A base64 server ID given directly; wins over the variable. */
  serverId?: string;
  configRotation?: number;
  nonceLength?: number;
  /** When set, the decoded server ID must have exactly this many bytes. */
  serverIdLength?: number;
}

/**
 * Build the generator from configuration and the environment. Throws with what
 * is missing and how to fix it, so a pod fails at start instead of issuing
 * IDs the load balancer cannot route.
 */
export function quicLbGeneratorFromEnv(options: QuicLbFromEnvOptions = {}, env: Record<string, string | undefined> = process.env): QuicLbConnectionIdGenerator {
  const variable = options.serverIdEnv ?? AWS_LBC_QUIC_SERVER_ID_ENV;
  const source = options.serverId !== undefined ? 'http3.connectionIds.serverId' : `environment variable ${variable}`;
  const encoded = options.serverId ?? env[variable];
  if (encoded === undefined || encoded.trim() === '') {
    throw new Error(
      `QUIC-LB connection IDs need a server ID, but ${source} is not set. ` +
        (variable === AWS_LBC_QUIC_SERVER_ID_ENV
          ? `On EKS, label the namespace elbv2.k8s.aws/quic-server-id-inject=enabled and annotate the pod with service.beta.kubernetes.io/aws-load-balancer-quic-enabled-containers=<container> so the AWS Load Balancer Controller injects it; `
          : '') +
        `or set http3.connectionIds.type to random.`,
    );
  }
  const text = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new Error(`QUIC-LB server ID from ${source} is not base64: ${JSON.stringify(text.slice(0, 40))}`);
  const serverId = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (options.serverIdLength !== undefined && serverId.length !== options.serverIdLength)
    throw new Error(`QUIC-LB server ID from ${source} decodes to ${serverId.length} bytes; the load balancer expects ${options.serverIdLength}`);
  try {
    return new QuicLbConnectionIdGenerator({ serverId, configRotation: options.configRotation, nonceLength: options.nonceLength });
  } catch (err) {
    throw new Error(`QUIC-LB server ID from ${source}: ${(err as Error).message}`, { cause: err });
  }
}
