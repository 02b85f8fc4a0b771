/**
 * One packet-number space of a connection (RFC 9000 §12.3): its keys (none
 * for 1-RTT, which OneRttKeys holds), the packets received from the peer
 * (ACK generation), the next packet number to send, and its CRYPTO stream in
 * both directions. CRYPTO data we send is kept until the space is discarded
 * so lost ranges can be sent again; it is bounded by what TLS produces.
 */
import { CryptoStreamBuffer } from '../initial/crypto-stream-buffer.js';
import type { DirectionalKeys } from '../packet/packet-protection.js';
import { ReceivedPackets } from './received-packets.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';

/** RFC 9000 §7.5 lets us bound buffered CRYPTO data; 64 KiB holds any real handshake flight. */
export const MAX_CRYPTO_BUFFER = 64 * 1024;
const CRYPTO_FRAME_TYPE = 0x06;

export class PacketSpace {
  read: DirectionalKeys | undefined;
  write: DirectionalKeys | undefined;
  readonly received: ReceivedPackets;
  nextPacketNumber = 0;
  discarded = false;

  private readonly cryptoIn = new CryptoStreamBuffer(MAX_CRYPTO_BUFFER);
  private cryptoDelivered = 0;
  private cryptoOut: Buffer = Buffer.alloc(0);
  /** Next CRYPTO offset never sent. */
  private cryptoSent = 0;
  /** Lost CRYPTO ranges to send again, flattened [offset, length, …]. */
  private readonly cryptoLost: number[] = [];
  /** Ack-eliciting probes (PINGs unless data goes) this space owes after a PTO. */
  probes = 0;

  constructor(acknowledgeImmediately: boolean) {
    this.received = new ReceivedPackets(acknowledgeImmediately);
  }

  /** CRYPTO frame data from the peer; returns the newly contiguous bytes for TLS (or undefined). */
  receiveCrypto(offset: number, data: Buffer): Buffer | undefined {
    const problem = this.cryptoIn.insert(offset, data);
    if (problem) throw new QuicError(QuicErrorCode.CRYPTO_BUFFER_EXCEEDED, problem, CRYPTO_FRAME_TYPE);
    const contiguous = this.cryptoIn.contiguousLength;
    if (contiguous <= this.cryptoDelivered) return undefined;
    const all = this.cryptoIn.read(contiguous);
    const fresh = all.subarray(this.cryptoDelivered);
    this.cryptoDelivered = contiguous;
    return fresh;
  }

  /** TLS handed us handshake bytes to send at this level. */
  queueCrypto(data: Buffer): void {
    this.cryptoOut = this.cryptoOut.length === 0 ? Buffer.from(data) : Buffer.concat([this.cryptoOut, data]);
  }

  get hasCryptoToSend(): boolean {
    return this.cryptoLost.length > 0 || this.cryptoSent < this.cryptoOut.length;
  }

  /**
   * The next CRYPTO range to send, at most `maxLength` bytes: lost data first.
   * Returns [offset, length] or undefined; the caller records it in its packet.
   */
  nextCryptoRange(maxLength: number): [number, number] | undefined {
    if (maxLength <= 0) return undefined;
    if (this.cryptoLost.length > 0) {
      const offset = this.cryptoLost[0]!;
      const length = this.cryptoLost[1]!;
      if (length <= maxLength) {
        this.cryptoLost.splice(0, 2);
        return [offset, length];
      }
      this.cryptoLost[0] = offset + maxLength;
      this.cryptoLost[1] = length - maxLength;
      return [offset, maxLength];
    }
    if (this.cryptoSent >= this.cryptoOut.length) return undefined;
    const offset = this.cryptoSent;
    const length = Math.min(maxLength, this.cryptoOut.length - offset);
    this.cryptoSent += length;
    return [offset, length];
  }

  cryptoData(offset: number, length: number): Buffer {
    return this.cryptoOut.subarray(offset, offset + length);
  }

  /** A packet carrying CRYPTO [offset, offset + length) was lost. */
  onCryptoLost(offset: number, length: number): void {
    if (this.discarded) return;
    this.cryptoLost.push(offset, length);
  }

  /** Everything sent so far goes again (the client after a Retry). */
  resendAllCrypto(): void {
    this.cryptoLost.length = 0;
    this.cryptoSent = 0;
  }

  /** Keys and buffers go (RFC 9001 §4.9); the space never sends or receives again. */
  discard(): void {
    this.discarded = true;
    this.read = undefined;
    this.write = undefined;
    this.cryptoOut = Buffer.alloc(0);
    this.cryptoLost.length = 0;
    this.cryptoSent = 0;
    this.probes = 0;
  }
}
