/**
 * The connection IDs the peer gave us to send to (RFC 9000 §5.1.1, §19.15,
 * §19.16): sequence 0 is the one from the handshake, NEW_CONNECTION_ID adds
 * more. Bounded by the active_connection_id_limit we advertised; Retire Prior
 * To makes us retire older ones (RETIRE_CONNECTION_ID, kept until sent and
 * sent again if lost). A retransmitted NEW_CONNECTION_ID (same sequence,
 * same ID) is harmless; the same sequence with another ID is a
 * PROTOCOL_VIOLATION.
 */
import type { NewConnectionIdFrame } from '../frames/frame.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';

const NEW_CONNECTION_ID = 0x18;
/** Retirements waiting to be sent, at most (a peer that makes us retire more is misbehaving, §5.1.2). */
const MAX_PENDING_RETIREMENTS = 64;

export class PeerConnectionIds {
  private readonly ids = new Map<number, { cid: Buffer; resetToken: Buffer | undefined }>();
  private retiredBelow = 0;
  private activeSequence = 0;
  private readonly pendingRetire: number[] = [];

  constructor(
    initial: Buffer,
    private readonly activeLimit: number,
  ) {
    this.ids.set(0, { cid: initial, resetToken: undefined });
  }

  /** The ID to put in packets we send. */
  get active(): Buffer {
    return this.ids.get(this.activeSequence)!.cid;
  }

  /** The handshake's ID changed (a client adopting the server's SCID, before any NEW_CONNECTION_ID). */
  replaceInitial(cid: Buffer): void {
    this.ids.set(0, { cid, resetToken: this.ids.get(0)?.resetToken });
  }

  /** Stateless reset token of sequence 0 (the server's transport parameter). */
  setInitialResetToken(token: Buffer): void {
    const entry = this.ids.get(0);
    if (entry) entry.resetToken = token;
  }

  /** True when `tail` (the last 16 bytes of a datagram) is a reset token of one of the peer's IDs (§10.3.1). */
  isStatelessReset(tail: Buffer): boolean {
    for (const { resetToken } of this.ids.values()) if (resetToken?.equals(tail)) return true;
    return false;
  }

  onNewConnectionId(frame: NewConnectionIdFrame): void {
    const known = this.ids.get(frame.sequenceNumber);
    if (known) {
      if (!known.cid.equals(frame.connectionId)) {
        throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `sequence ${frame.sequenceNumber} reused for another connection ID`, NEW_CONNECTION_ID);
      }
    } else if (frame.sequenceNumber < this.retiredBelow) {
      this.retire(frame.sequenceNumber);
    } else {
      this.ids.set(frame.sequenceNumber, { cid: Buffer.from(frame.connectionId), resetToken: Buffer.from(frame.statelessResetToken) });
    }
    if (frame.retirePriorTo > this.retiredBelow) {
      for (const sequence of [...this.ids.keys()]) {
        if (sequence < frame.retirePriorTo) {
          this.ids.delete(sequence);
          this.retire(sequence);
        }
      }
      this.retiredBelow = frame.retirePriorTo;
      if (!this.ids.has(this.activeSequence)) this.activeSequence = Math.min(...this.ids.keys());
    }
    if (this.ids.size > this.activeLimit) {
      throw new QuicError(QuicErrorCode.CONNECTION_ID_LIMIT_ERROR, `${this.ids.size} connection IDs, limit ${this.activeLimit}`, NEW_CONNECTION_ID);
    }
  }

  private retire(sequence: number): void {
    if (this.pendingRetire.length >= MAX_PENDING_RETIREMENTS) {
      throw new QuicError(QuicErrorCode.CONNECTION_ID_LIMIT_ERROR, 'too many connection IDs to retire', NEW_CONNECTION_ID);
    }
    this.pendingRetire.push(sequence);
  }

  get hasRetirements(): boolean {
    return this.pendingRetire.length > 0;
  }

  /** The next sequence number to send RETIRE_CONNECTION_ID for. */
  takeRetirement(): number | undefined {
    return this.pendingRetire.shift();
  }

  /** A RETIRE_CONNECTION_ID we sent was lost: send it again. */
  onRetirementLost(sequence: number): void {
    if (this.pendingRetire.length < MAX_PENDING_RETIREMENTS) this.pendingRetire.push(sequence);
  }
}
