/**
 * Reassembles the Initial-level CRYPTO stream from frames that may arrive out
 * of order, overlap, or repeat (RFC 9000 §19.6). Bounded: nothing past
 * `limit` bytes of stream offset is accepted, and the number of stored
 * fragments is capped so a peer cannot make us keep thousands of tiny ones.
 */
export class CryptoStreamBuffer {
  private fragments: { offset: number; data: Buffer }[] = [];
  private contiguousEnd = 0;

  constructor(
    readonly limit: number,
    readonly maxFragments = 256,
  ) {}

  /** Bytes available from offset 0 without a gap. */
  get contiguousLength(): number {
    return this.contiguousEnd;
  }

  /** Adds a fragment; returns a reason string if it breaks a limit. */
  insert(offset: number, data: Buffer): string | undefined {
    const end = offset + data.length;
    if (end > this.limit) return `CRYPTO data reaches offset ${end}, past the ${this.limit}-byte limit`;
    if (data.length === 0 || end <= this.contiguousEnd) return undefined;
    if (this.fragments.length >= this.maxFragments) return `more than ${this.maxFragments} CRYPTO fragments`;
    this.fragments.push({ offset, data });
    if (offset <= this.contiguousEnd) this.advance();
    return undefined;
  }

  /** The first `length` contiguous bytes (length <= contiguousLength), copied into one buffer. */
  read(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (const f of this.fragments) {
      if (f.offset >= length) continue;
      f.data.copy(out, f.offset, 0, Math.min(f.data.length, length - f.offset));
    }
    return out;
  }

  private advance(): void {
    this.fragments.sort((a, b) => a.offset - b.offset);
    let end = this.contiguousEnd;
    for (const f of this.fragments) {
      if (f.offset > end) break;
      end = Math.max(end, f.offset + f.data.length);
    }
    this.contiguousEnd = end;
  }
}
