/**
 * Address-validation tokens (RFC 9000 §8.1), stateless, of two kinds:
 *
 * - Retry tokens (§8.1.2) carry the client's original DCID and when they
 *   were issued; the MAC binds both to the client's IP and to the connection
 *   ID the Retry told the client to use. They live 10 s: a client answers a
 *   Retry within one round trip.
 * - NEW_TOKEN tokens (§8.1.3) carry only when they were issued; the MAC binds
 *   them to the client's IP. A client presents one in the Initial of a later
 *   connection, which then needs no Retry and no anti-amplification limit.
 *   They live 24 h.
 *
 * The format byte keeps the kinds apart (§8.1.3: a server must tell them
 * apart, and a NEW_TOKEN token has no original DCID to give). The key is
 * random per process unless given: workers and replicas that should accept
 * each other's tokens share it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const RETRY_FORMAT = 1;
const NEW_TOKEN_FORMAT = 2;
const MAC_LENGTH = 16;
/** A client answers a Retry within one RTT; anything older is a replay. */
const RETRY_LIFETIME_MS = 10_000;
/** A NEW_TOKEN token is for the client's next visits (§8.1.3 leaves the lifetime to the server). */
const NEW_TOKEN_LIFETIME_MS = 24 * 3600_000;
/** `retry: 'auto'`: Retry every new client while at least this many handshakes are in progress (a flood, spoofed or not). */
export const AUTO_RETRY_HANDSHAKES = 128;

/** Whether a new client without a valid token gets a Retry: `true` always, `'auto'` while handshakes pile up. */
export function retryRequired(policy: boolean | 'auto' | undefined, handshakesInProgress: number): boolean {
  return policy === true || (policy === 'auto' && handshakesInProgress >= AUTO_RETRY_HANDSHAKES);
}

const NEW_TOKEN_HEAD = 8; // format, issue time (6 bytes), one reserved byte
const NEW_TOKEN_LENGTH = NEW_TOKEN_HEAD + MAC_LENGTH;

export interface RetryTokensOptions {
  /** HMAC key (any length ≥ 32; default random per process). */
  key?: Buffer;
  now?: () => number;
}

export class RetryTokens {
  private readonly key: Buffer;
  private readonly now: () => number;

  constructor(options: RetryTokensOptions | (() => number) = {}) {
    const o = typeof options === 'function' ? { now: options } : options;
    this.key = o.key ?? randomBytes(32);
    this.now = o.now ?? Date.now;
  }

  mint(clientIp: string, originalDcid: Buffer, retryScid: Buffer): Buffer {
    const head = Buffer.alloc(8 + originalDcid.length);
    head[0] = RETRY_FORMAT;
    head.writeUIntBE(this.now(), 1, 6);
    head[7] = originalDcid.length;
    originalDcid.copy(head, 8);
    return Buffer.concat([head, this.mac(head, clientIp, retryScid)]);
  }

  /** The original DCID if the token is our Retry token, fresh, and for this IP and connection ID; else undefined. */
  validate(token: Buffer, clientIp: string, retryScid: Buffer): Buffer | undefined {
    if (token.length < 8 + MAC_LENGTH || token[0] !== RETRY_FORMAT) return undefined;
    const odcidLength = token[7]!;
    if (odcidLength > 20 || token.length !== 8 + odcidLength + MAC_LENGTH) return undefined;
    const head = token.subarray(0, 8 + odcidLength);
    if (!timingSafeEqual(this.mac(head, clientIp, retryScid), token.subarray(8 + odcidLength))) return undefined;
    const age = this.now() - token.readUIntBE(1, 6);
    if (age < 0 || age > RETRY_LIFETIME_MS) return undefined;
    return Buffer.from(token.subarray(8, 8 + odcidLength));
  }

  /** The token has the form of our Retry tokens (an invalid one then means a forged or stale answer to a Retry, §8.1.2). */
  isRetryToken(token: Buffer): boolean {
    return token[0] === RETRY_FORMAT;
  }

  /** A token for NEW_TOKEN: proves a later connection's client IP (§8.1.3). */
  mintNewToken(clientIp: string): Buffer {
    const token = Buffer.alloc(NEW_TOKEN_LENGTH);
    token[0] = NEW_TOKEN_FORMAT;
    token.writeUIntBE(this.now(), 1, 6);
    this.mac(token.subarray(0, NEW_TOKEN_HEAD), clientIp, undefined).copy(token, NEW_TOKEN_HEAD);
    return token;
  }

  /** True if the token is a NEW_TOKEN token of ours, not expired, for this IP. */
  validateNewToken(token: Buffer, clientIp: string): boolean {
    if (token.length !== NEW_TOKEN_LENGTH || token[0] !== NEW_TOKEN_FORMAT) return false;
    if (!timingSafeEqual(this.mac(token.subarray(0, NEW_TOKEN_HEAD), clientIp, undefined), token.subarray(NEW_TOKEN_HEAD))) return false;
    const age = this.now() - token.readUIntBE(1, 6);
    return age >= 0 && age <= NEW_TOKEN_LIFETIME_MS;
  }

  private mac(head: Buffer, clientIp: string, retryScid: Buffer | undefined): Buffer {
    const h = createHmac('sha256', this.key).update(head).update(clientIp);
    if (retryScid) h.update(retryScid);
    return h.digest().subarray(0, MAC_LENGTH);
  }
}
