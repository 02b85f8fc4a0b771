/**
 * The send side of one byte stream (a STREAM or a CRYPTO stream): what the
 * application wrote, by offset, until the peer acknowledged it. The packet
 * builder asks for the next chunk within a byte budget (lost ranges first,
 * then new data), and the connection reports which [offset, length, fin]
 * ranges were acknowledged or declared lost. Acknowledged bytes are released
 * as soon as everything below them is acknowledged too.
 *
 * Written buffers are kept, not copied: the writer must not modify a Buffer
 * after writing it (as with Node streams).
 */
import { RangeSet } from './range-set.js';

/** What to put in the next STREAM (or CRYPTO) frame. */
export interface SendChunk {
  offset: number;
  /** A view of the written data (a copy only when the range spans two writes). */
  data: Buffer;
  fin: boolean;
  /** Bytes of `data` sent for the first time: they consume flow-control credit. */
  newBytes: number;
}

interface Written {
  offset: number;
  data: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class SendBuffer {
  private written: Written[] = [];
  private head = 0;
  private writeEnd = 0;
  private sentEnd = 0;
  private ackedPrefix = 0;
  private readonly acked = new RangeSet();
  private readonly lost = new RangeSet();
  private finWritten = false;
  private finSent = false;
  private finAcked = false;
  private finLost = false;

  /** Total bytes written (the final size once `end` was called). */
  get writtenBytes(): number {
    return this.writeEnd;
  }

  /** Highest offset sent so far: the final size a RESET_STREAM reports. */
  get sentOffset(): number {
    return this.sentEnd;
  }

  /** Bytes held: written and not yet acknowledged (with everything below them). */
  get bufferedBytes(): number {
    return this.writeEnd - this.ackedPrefix;
  }

  get unsentBytes(): number {
    return this.writeEnd - this.sentEnd;
  }

  get ended(): boolean {
    return this.finWritten;
  }

  get finHasBeenSent(): boolean {
    return this.finSent;
  }

  /** Every byte and the FIN were acknowledged. */
  get allAcked(): boolean {
    return this.finAcked && this.ackedPrefix === this.writeEnd;
  }

  /** The offset `nextChunk` starts at: the lowest lost byte, a lost bare FIN, else the first unsent byte. */
  get nextOffset(): number {
    return this.lost.firstStart ?? (this.finLost ? this.writeEnd : this.sentEnd);
  }

  /** Ranges waiting for retransmission (for tests and stats). */
  lostRanges(): [number, number][] {
    return this.lost.ranges();
  }

  write(data: Buffer): void {
    if (this.finWritten) throw new Error('write after end of stream');
    if (data.length === 0) return;
    this.written.push({ offset: this.writeEnd, data });
    this.writeEnd += data.length;
  }

  /** No more data: the next frame that reaches the end carries FIN. */
  end(): void {
    this.finWritten = true;
  }

  /** Lost data, new data, or a FIN is waiting (new data may still be held back by flow control). */
  get hasPending(): boolean {
    return !this.lost.isEmpty || this.finLost || this.sentEnd < this.writeEnd || (this.finWritten && !this.finSent);
  }

  /** Something can go out even with no flow-control credit (retransmissions and a bare FIN need none). */
  get hasPendingWithoutCredit(): boolean {
    return !this.lost.isEmpty || this.finLost || (this.finWritten && !this.finSent && this.sentEnd === this.writeEnd);
  }

  /**
   * The next frame's content: at most `budget` data bytes, of which at most
   * `newCredit` never sent before. Retransmissions come first. Undefined when
   * nothing fits.
   */
  nextChunk(budget: number, newCredit: number): SendChunk | undefined {
    const lostStart = this.lost.firstStart;
    if (lostStart !== undefined && budget > 0) {
      const end = Math.min(this.lost.firstEnd!, lostStart + budget);
      this.lost.remove(lostStart, end);
      const fin = this.finLost && end === this.writeEnd;
      if (fin) this.finLost = false;
      return { offset: lostStart, data: this.slice(lostStart, end), fin, newBytes: 0 };
    }
    if (this.finLost && this.lost.isEmpty) {
      this.finLost = false;
      return { offset: this.writeEnd, data: EMPTY, fin: true, newBytes: 0 };
    }
    const n = Math.min(budget, newCredit, this.writeEnd - this.sentEnd);
    if (n > 0) {
      const offset = this.sentEnd;
      this.sentEnd += n;
      const fin = this.finWritten && this.sentEnd === this.writeEnd;
      if (fin) this.finSent = true;
      return { offset, data: this.slice(offset, offset + n), fin, newBytes: n };
    }
    if (this.finWritten && !this.finSent && this.sentEnd === this.writeEnd) {
      this.finSent = true;
      return { offset: this.writeEnd, data: EMPTY, fin: true, newBytes: 0 };
    }
    return undefined;
  }

  onAcked(offset: number, length: number, fin: boolean): void {
    const end = offset + length;
    if (fin) {
      this.finAcked = true;
      this.finLost = false;
    }
    if (end <= this.ackedPrefix) return;
    this.lost.remove(offset, end);
    this.acked.add(Math.max(offset, this.ackedPrefix), end);
    if (this.acked.firstStart! <= this.ackedPrefix) {
      this.ackedPrefix = this.acked.firstEnd!;
      this.acked.remove(0, this.ackedPrefix);
      this.release();
    }
  }

  /** A frame carrying [offset, offset + length) (and FIN) was declared lost: queue what is not acknowledged since. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (fin && !this.finAcked) this.finLost = true;
    const start = Math.max(offset, this.ackedPrefix);
    const end = offset + length;
    if (start >= end) return;
    if (this.acked.isEmpty) this.lost.add(start, end);
    else this.acked.forEachGap(start, end, (s, e) => this.lost.add(s, e));
  }

  /** Drops everything (the stream was reset): nothing is retransmitted any more. */
  discardAll(): void {
    this.written = [];
    this.head = 0;
    this.lost.clear();
    this.acked.clear();
    this.ackedPrefix = this.writeEnd;
    this.finLost = false;
  }

  private release(): void {
    const w = this.written;
    while (this.head < w.length && w[this.head]!.offset + w[this.head]!.data.length <= this.ackedPrefix) {
      w[this.head] = undefined as unknown as Written;
      this.head++;
    }
    if (this.head === w.length) {
      w.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= w.length) {
      w.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Bytes [start, end) of the written data: a view inside one write, else a copy. */
  private slice(start: number, end: number): Buffer {
    const w = this.written;
    let lo = this.head;
    let hi = w.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (w[mid]!.offset <= start) lo = mid;
      else hi = mid - 1;
    }
    const first = w[lo]!;
    if (end <= first.offset + first.data.length) return first.data.subarray(start - first.offset, end - first.offset);
    const out = Buffer.allocUnsafe(end - start);
    let filled = 0;
    for (let i = lo; filled < out.length; i++) {
      const piece = w[i]!;
      const from = start + filled - piece.offset;
      const take = Math.min(piece.data.length - from, out.length - filled);
      piece.data.copy(out, filled, from, from + take);
      filled += take;
    }
    return out;
  }
}
