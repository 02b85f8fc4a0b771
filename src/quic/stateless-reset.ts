/**
 * Stateless reset (RFC 9000 §10.3). Every connection ID we issue comes with
 * a token derived from it with an HMAC under a static key, so a server that
 * lost a connection's state (a restart, another replica behind the same load
 * balancer) can still tell the client to stop: it answers a short-header
 * packet for an unknown connection ID with a packet that looks like any other
 * short-header packet and ends in that ID's token.
 *
 * The key is random per process unless configured (replicas that share
 * connection-ID routing, QUIC-LB say, must share it too). Resets are only
 * ever smaller than the packet that triggered them (never an amplifier, and a
 * reset answered with a reset shrinks until it is too small to answer), never
 * shorter than 21 bytes, and rate-limited.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';

export const RESET_TOKEN_LENGTH = 16;
/** A reset must look like a short-header packet: 1 header byte, at least 4 more unpredictable bytes, the token (§10.3). */
export const MIN_RESET_LENGTH = 1 + 4 + RESET_TOKEN_LENGTH;
/** Up to this size a reset is one byte shorter than its trigger (§10.3 SHOULD); above, a random length in [43, trigger). */
const SHORT_TRIGGER = 43;
/** Resets are small, so a big trigger does not need a big answer. */
const MAX_RESET_LENGTH = 1200;
/** Shortest key accepted: an HMAC key of fewer than 32 bytes would be the weakest link. */
export const MIN_KEY_LENGTH = 32;
const LABEL = 'portico quic stateless reset v1';

let processKey: Buffer | undefined;
/** The key used when none is configured: random, shared by every listener of this process. */
export function processResetKey(): Buffer {
  processKey ??= randomBytes(32);
  return processKey;
}

export interface StatelessResetOptions {
  key?: Buffer;
  /** Resets sent per second at most, in bursts of as many (default 100). */
  ratePerSecond?: number;
  now?: () => number;
}

export class StatelessResets {
  private readonly key: Buffer;
  private readonly rate: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(opts: StatelessResetOptions = {}) {
    this.key = opts.key ?? processResetKey();
    if (this.key.length < MIN_KEY_LENGTH) throw new RangeError(`stateless reset key must be at least ${MIN_KEY_LENGTH} bytes, got ${this.key.length}`);
    this.rate = opts.ratePerSecond ?? 100;
    this.now = opts.now ?? Date.now;
    this.tokens = this.rate;
    this.last = this.now();
  }

  /** The reset token for a connection ID we issue (the same on every server holding this key). */
  token(cid: Buffer): Buffer {
    return createHmac('sha256', this.key).update(LABEL).update(cid).digest().subarray(0, RESET_TOKEN_LENGTH);
  }

  /** The token as the quiche binding takes it: a u128 whose big-endian bytes are the token. */
  tokenBigInt(cid: Buffer): bigint {
    return BigInt('0x' + this.token(cid).toString('hex'));
  }

  /**
   * The reset to send in answer to a short-header datagram of `triggerLength`
   * bytes addressed to the unknown `dcid`, or why none is sent: `too-small`
   * (a reset could not be both shorter than the trigger and 21 bytes or
   * more, or the datagram cannot be a real packet for a `dcid` this long) or
   * `rate-limited`.
   */
  reset(dcid: Buffer, triggerLength: number): { packet: Buffer } | { refused: 'too-small' | 'rate-limited' } {
    // 1 header byte, the DCID, at least 1 byte of packet number and a 16-byte AEAD tag.
    if (triggerLength <= MIN_RESET_LENGTH || triggerLength < 1 + dcid.length + 1 + 16) return { refused: 'too-small' };
    if (!this.take()) return { refused: 'rate-limited' };
    const longest = Math.min(triggerLength - 1, MAX_RESET_LENGTH);
    const length = triggerLength <= SHORT_TRIGGER ? longest : randomInt(SHORT_TRIGGER, longest + 1);
    const packet = randomBytes(length);
    // Short header form (0), fixed bit (1), the other six bits unpredictable.
    packet[0] = 0x40 | (packet[0]! & 0x3f);
    this.token(dcid).copy(packet, length - RESET_TOKEN_LENGTH);
    return { packet };
  }

  private take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** True if `datagram` ends in the reset token of one of these connection IDs (what a client checks, §10.3.1). */
export function isStatelessReset(datagram: Buffer, tokens: Buffer[]): boolean {
  if (datagram.length < MIN_RESET_LENGTH || (datagram[0]! & 0xc0) !== 0x40) return false;
  const tail = datagram.subarray(datagram.length - RESET_TOKEN_LENGTH);
  return tokens.some((t) => t.equals(tail));
}
