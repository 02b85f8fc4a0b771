/**
 * One packet-number space of a connection (RFC 9000 §12.3): its keys (none
 * for 1-RTT, which OneRttKeys holds), the packets received from the peer
 * (ACK generation), the next packet number to send, and its CRYPTO stream in
 * both directions. CRYPTO data we send is kept until the space is discarded
 * so lost ranges can be sent again; it is bounded by what TLS produces.
 */
import type { DirectionalKeys } from '../packet/packet-protection.js';
import { CryptoStream } from '../streams/crypto-stream.js';
import type { SendChunk } from '../streams/send-buffer.js';
import { ReceivedPackets } from './received-packets.js';

/** RFC 9000 §7.5 lets us bound buffered CRYPTO data; 64 KiB holds any real handshake flight. */
export const MAX_CRYPTO_BUFFER = 64 * 1024;

export class PacketSpace {
  read: DirectionalKeys | undefined;
  write: DirectionalKeys | undefined;
  readonly received: ReceivedPackets;
  nextPacketNumber = 0;
  discarded = false;

  /**
   * The CRYPTO stream both ways (streams/crypto-stream.ts): reassembly bounded to 64 KiB past what TLS
   * consumed and 256 fragments (CRYPTO_BUFFER_EXCEEDED beyond, CVE-2024-1765), sent data kept until acknowledged.
   */
  private crypto = new CryptoStream({ bufferLimit: MAX_CRYPTO_BUFFER });
  /** Ack-eliciting probes (PINGs unless data goes) this space owes after a PTO. */
  probes = 0;

  constructor(acknowledgeImmediately: boolean) {
    this.received = new ReceivedPackets(acknowledgeImmediately);
  }

  /** CRYPTO frame data from the peer; returns the newly contiguous bytes for TLS (or undefined). Throws QuicError past the bounds. */
  receiveCrypto(offset: number, data: Buffer): Buffer | undefined {
    this.crypto.onCryptoFrame(offset, data);
    const first = this.crypto.read();
    if (!first) return undefined;
    const second = this.crypto.read();
    if (!second) return first;
    const parts = [first, second];
    for (let more = this.crypto.read(); more; more = this.crypto.read()) parts.push(more);
    return Buffer.concat(parts);
  }

  /** TLS handed us handshake bytes to send at this level. */
  queueCrypto(data: Buffer): void {
    this.crypto.write(Buffer.from(data));
  }

  get hasCryptoToSend(): boolean {
    return this.crypto.hasDataToSend;
  }

  /** The next CRYPTO frame's content, at most `maxLength` bytes: lost data first. The caller records its range in its packet. */
  nextCryptoChunk(maxLength: number): SendChunk | undefined {
    if (maxLength <= 0) return undefined;
    return this.crypto.nextChunk(maxLength);
  }

  /** A packet carrying CRYPTO [offset, offset + length) was acknowledged: that data is released. */
  onCryptoAcked(offset: number, length: number): void {
    if (!this.discarded) this.crypto.onAcked(offset, length);
  }

  /** A packet carrying CRYPTO [offset, offset + length) was lost: sent again unless acknowledged since. */
  onCryptoLost(offset: number, length: number): void {
    if (!this.discarded) this.crypto.onLost(offset, length);
  }

  /** Everything sent so far goes again (the client after a Retry: nothing was acknowledged). */
  resendAllCrypto(): void {
    this.crypto.resendAll();
  }

  /** Keys and buffers go (RFC 9001 §4.9); the space never sends or receives again. */
  discard(): void {
    this.discarded = true;
    this.read = undefined;
    this.write = undefined;
    this.crypto = new CryptoStream({ bufferLimit: MAX_CRYPTO_BUFFER });
    this.probes = 0;
  }
}
