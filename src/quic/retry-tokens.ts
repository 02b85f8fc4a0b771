/**
 * Address-validation tokens for QUIC Retry (RFC 9000 §8.1.2). Stateless: the
 * token carries the client's original DCID and when it was issued, and a MAC
 * (per-process random key) binds both to the client's IP and to the
 * connection ID the Retry told the client to use. A forged, replayed-from-
 * elsewhere or stale token is refused.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const FORMAT = 1;
const MAC_LENGTH = 16;
/** A client answers a Retry within one RTT; anything older is a replay. */
const LIFETIME_MS = 10_000;

export class RetryTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  mint(clientIp: string, originalDcid: Buffer, retryScid: Buffer): Buffer {
    const head = Buffer.alloc(8 + originalDcid.length);
    head[0] = FORMAT;
    head.writeUIntBE(this.now(), 1, 6);
    head[7] = originalDcid.length;
    originalDcid.copy(head, 8);
    return Buffer.concat([head, this.mac(head, clientIp, retryScid)]);
  }

  /** The original DCID if the token is ours, fresh, and for this IP and connection ID; else undefined. */
  validate(token: Buffer, clientIp: string, retryScid: Buffer): Buffer | undefined {
    if (token.length < 8 + MAC_LENGTH || token[0] !== FORMAT) return undefined;
    const odcidLength = token[7]!;
    if (odcidLength > 20 || token.length !== 8 + odcidLength + MAC_LENGTH) return undefined;
    const head = token.subarray(0, 8 + odcidLength);
    if (!timingSafeEqual(this.mac(head, clientIp, retryScid), token.subarray(8 + odcidLength))) return undefined;
    const age = this.now() - token.readUIntBE(1, 6);
    if (age < 0 || age > LIFETIME_MS) return undefined;
    return Buffer.from(token.subarray(8, 8 + odcidLength));
  }

  private mac(head: Buffer, clientIp: string, retryScid: Buffer): Buffer {
    return createHmac('sha256', this.key).update(head).update(clientIp).update(retryScid).digest().subarray(0, MAC_LENGTH);
  }
}
