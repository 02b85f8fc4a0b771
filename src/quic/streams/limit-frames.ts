/**
 * The bookkeeping every limit frame shares, whatever the limit (data,
 * stream data, stream count): when the frame is due, what value it carries,
 * and whether a lost copy is still worth resending (RFC 9000 §13.3: only
 * the latest limit, and a BLOCKED only while still blocked there).
 */

/** A limit we announce (MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS). */
export class AnnouncedLimit {
  private due = false;

  constructor(private current: number) {}

  get value(): number {
    return this.current;
  }

  get isDue(): boolean {
    return this.due;
  }

  /** Moves the limit; a frame carrying it becomes due. */
  announce(value: number): void {
    this.current = value;
    this.due = true;
  }

  /** The value for the frame going out now, or undefined when none is due. */
  take(): number | undefined {
    if (!this.due) return undefined;
    this.due = false;
    return this.current;
  }

  /** A frame carrying `value` was lost: resend unless a later value superseded it. */
  onLost(value: number): void {
    if (value === this.current) this.due = true;
  }
}

/** That we are blocked at the peer's limit (DATA_BLOCKED, STREAM_DATA_BLOCKED, STREAMS_BLOCKED): said once per limit. */
export class BlockedReport {
  private reportedAt = -1;
  private due = false;

  get isDue(): boolean {
    return this.due;
  }

  /** Blocked at `limit`: due unless already said for that limit. */
  note(limit: number): void {
    if (this.reportedAt === limit) return;
    this.reportedAt = limit;
    this.due = true;
  }

  /** The limit grew: nothing to report any more. */
  cancel(): void {
    this.due = false;
  }

  take(): number | undefined {
    if (!this.due) return undefined;
    this.due = false;
    return this.reportedAt;
  }

  /** A report for `limit` was lost: resend if still blocked at that same limit. */
  onLost(limit: number, currentLimit: number, stillBlocked: boolean): void {
    if (limit === currentLimit && limit === this.reportedAt && stillBlocked) this.due = true;
  }
}
