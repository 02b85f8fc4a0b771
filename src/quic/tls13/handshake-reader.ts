/**
 * Cuts the CRYPTO-stream bytes of one encryption level into handshake
 * messages, across any number of receive() calls (a ClientHello with a
 * post-quantum key share spans two Initial packets). Memory is bounded: a
 * header announcing more than MAX_HANDSHAKE_MESSAGE is refused before any
 * body byte is kept, and a message's buffer is allocated once, at its size.
 */
import { Alert, MAX_HANDSHAKE_MESSAGE } from './constants.js';
import { QuicTlsAlert } from './quic-tls.js';

export class HandshakeReader {
  private readonly header = Buffer.alloc(4);
  private headerFilled = 0;
  private message: Buffer | undefined;
  private messageFilled = 0;

  constructor(private readonly maxMessage = MAX_HANDSHAKE_MESSAGE) {}

  /** True when part of a message is buffered. */
  get partial(): boolean {
    return this.headerFilled > 0;
  }

  /**
   * Feeds bytes; calls onMessage for each complete message (header included).
   * The callback may throw, which stops the feed.
   */
  feed(data: Buffer, onMessage: (message: Buffer) => void): void {
    let p = 0;
    while (p < data.length) {
      if (this.headerFilled < 4) {
        const n = Math.min(4 - this.headerFilled, data.length - p);
        data.copy(this.header, this.headerFilled, p, p + n);
        this.headerFilled += n;
        p += n;
        if (this.headerFilled < 4) return;
        const length = (this.header[1]! << 16) | (this.header[2]! << 8) | this.header[3]!;
        if (length > this.maxMessage) {
          throw new QuicTlsAlert(Alert.illegalParameter, `handshake message type ${this.header[0]} of ${length} bytes exceeds ${this.maxMessage}`);
        }
        // Whole message inside this chunk: one copy, no staging buffer.
        if (this.messageFilled === 0 && data.length - p >= length && this.message === undefined) {
          const whole = Buffer.concat([this.header, data.subarray(p, p + length)]);
          p += length;
          this.headerFilled = 0;
          onMessage(whole);
          continue;
        }
        this.message = Buffer.allocUnsafe(4 + length);
        this.header.copy(this.message, 0);
        this.messageFilled = 4;
      }
      const msg = this.message!;
      const n = Math.min(msg.length - this.messageFilled, data.length - p);
      data.copy(msg, this.messageFilled, p, p + n);
      this.messageFilled += n;
      p += n;
      if (this.messageFilled === msg.length) {
        this.message = undefined;
        this.messageFilled = 0;
        this.headerFilled = 0;
        onMessage(msg);
      }
    }
  }
}
