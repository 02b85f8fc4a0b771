/**
 * The connection IDs we issue to the peer (RFC 9000 §5.1): sequence 0 is the
 * handshake's, more go out in NEW_CONNECTION_ID up to the peer's
 * active_connection_id_limit (and our own cap), each with its stateless reset
 * token; the peer gives them back with RETIRE_CONNECTION_ID and we issue a
 * replacement. Bounded whatever the peer does: at most `cap` IDs are active,
 * a NEW_CONNECTION_ID waits to be (re)sent at most once per active ID, so a
 * peer retiring in a loop only turns IDs over (the CVE-2024-1410 pattern
 * cannot grow memory). Issue/retire events let the driver keep its routing
 * table in step.
 */
import type { ConnectionIdGenerator } from '../connection-id.js';
import type { NewConnectionIdFrame } from '../frames/frame.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';

const RETIRE_CONNECTION_ID = 0x19;
/** IDs we keep active at most, whatever limit the peer advertises (it may say 2^62). */
export const MAX_LOCAL_CONNECTION_IDS = 8;

export interface LocalConnectionId {
  sequence: number;
  cid: Buffer;
  resetToken: Buffer | undefined;
}

export class LocalConnectionIds {
  private readonly active = new Map<number, LocalConnectionId>();
  private nextSequence = 1;
  private limit = 1;
  /** Sequences whose NEW_CONNECTION_ID is due: active ones only, each once (so never more than `cap`). */
  private readonly pending: number[] = [];

  constructor(
    initial: Buffer,
    private readonly generator: ConnectionIdGenerator | undefined,
    private readonly resetToken: ((cid: Buffer) => Buffer) | undefined,
    /** Told of every ID issued and retired, for the driver's routing table. */
    private readonly onChange: (issued: LocalConnectionId | undefined, retired: Buffer | undefined) => void,
    private readonly cap = MAX_LOCAL_CONNECTION_IDS,
  ) {
    this.active.set(0, { sequence: 0, cid: initial, resetToken: undefined });
    if (generator && generator.length !== initial.length)
      throw new RangeError(`connection ID generator length ${generator.length} differs from the initial ID's ${initial.length}`);
  }

  /** Active IDs (the peer may use any of them as DCID). */
  get size(): number {
    return this.active.size;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Our ID `cid` is active (packets to it are ours). */
  has(cid: Buffer): boolean {
    for (const id of this.active.values()) if (id.cid.equals(cid)) return true;
    return false;
  }

  all(): IterableIterator<LocalConnectionId> {
    return this.active.values();
  }

  /** The peer's active_connection_id_limit arrived (§18.2): issue up to it (and our cap). */
  setPeerLimit(limit: number): void {
    this.limit = Math.min(limit, this.cap);
    this.topUp();
  }

  private topUp(): void {
    if (!this.generator) return;
    while (this.active.size < this.limit) {
      const cid = this.generator.generate();
      const id: LocalConnectionId = { sequence: this.nextSequence++, cid, resetToken: this.resetToken?.(cid) };
      this.active.set(id.sequence, id);
      this.pending.push(id.sequence);
      this.onChange(id, undefined);
    }
  }

  /** The next NEW_CONNECTION_ID to send. */
  takeFrame(): NewConnectionIdFrame | undefined {
    if (this.pending.length > 0) {
      const id = this.active.get(this.pending.shift()!)!;
      return {
        type: 'new_connection_id',
        sequenceNumber: id.sequence,
        retirePriorTo: 0,
        connectionId: id.cid,
        statelessResetToken: id.resetToken ?? Buffer.alloc(16),
      };
    }
    return undefined;
  }

  /** A packet with that NEW_CONNECTION_ID was lost: send it again if the ID is still active. */
  onFrameLost(sequence: number): void {
    if (this.active.has(sequence) && !this.pending.includes(sequence)) this.pending.push(sequence);
  }

  /**
   * RETIRE_CONNECTION_ID (§19.16) in a packet sent to `packetDcid`: a
   * sequence we never issued, or the ID that packet was sent to, is a
   * PROTOCOL_VIOLATION; an unknown (already retired) one is ignored.
   */
  onRetire(sequence: number, packetDcid: Buffer): void {
    if (sequence >= this.nextSequence)
      throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `RETIRE_CONNECTION_ID for sequence ${sequence}, never issued`, RETIRE_CONNECTION_ID);
    const id = this.active.get(sequence);
    if (!id) return;
    if (id.cid.equals(packetDcid))
      throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'RETIRE_CONNECTION_ID for the connection ID of its own packet', RETIRE_CONNECTION_ID);
    this.active.delete(sequence);
    const waiting = this.pending.indexOf(sequence);
    if (waiting >= 0) this.pending.splice(waiting, 1);
    this.onChange(undefined, id.cid);
    this.topUp();
  }
}
