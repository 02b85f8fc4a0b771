/**
 * Reassembles one byte stream (a STREAM's receive side, or a CRYPTO stream)
 * from frames that arrive out of order, overlap or repeat, and hands the
 * bytes out in order as views of the chunks it holds (no copy on the way out,
 * no re-copying of what is already stored).
 *
 * Bounded by construction: the caller checks every frame against its limit
 * (flow-control window, or the CRYPTO cap) before `insert`, so stored bytes
 * never exceed that limit; bytes already delivered or already held are never
 * stored twice; and the number of separate fragments is capped, because each
 * costs an object whatever its size (CVE-2024-1765's pattern: a flood of tiny
 * out-of-order CRYPTO frames). Tiny in-order pieces are appended into their
 * neighbour's spare room instead of becoming fragments of their own.
 *
 * Data is copied once on the way in: the packet layer may reuse its plaintext
 * buffer for the next datagram, and a view would pin a whole datagram per
 * byte held.
 */

interface Chunk {
  /** Stream offset of buf[0]. */
  start: number;
  /** Stream offset just past the last valid byte (buf may have spare room after it). */
  end: number;
  buf: Buffer;
}

/** Pieces under this size are appended into the chunk they continue, when it has (or can get) room. */
const SMALL_PIECE = 1024;
/** A chunk grown by appends stops growing at this size. */
const MERGED_CHUNK_MAX = 16 * 1024;

/**
 * Appends `data` to the valid bytes of `chunk`, in its spare room or a grown
 * copy (doubling, so a run of tiny pieces costs amortised O(1) each, with
 * spare room below what is held + 256). False when the result would pass
 * MERGED_CHUNK_MAX.
 */
function appendInto(chunk: Chunk, data: Uint8Array): boolean {
  const used = chunk.end - chunk.start;
  const needed = used + data.length;
  if (needed > chunk.buf.length) {
    if (needed > MERGED_CHUNK_MAX) return false;
    const grown = Buffer.allocUnsafe(Math.min(MERGED_CHUNK_MAX, Math.max(needed, 2 * used, 256)));
    chunk.buf.copy(grown, 0, 0, used);
    chunk.buf = grown;
  }
  chunk.buf.set(data, used);
  chunk.end += data.length;
  return true;
}

/** Would a gap [start, end) be stored by joining a neighbour (see `place`) rather than as a chunk of its own? */
function joinsNeighbour(start: number, end: number, left: Chunk | undefined, right: Chunk | undefined): boolean {
  if (end - start >= SMALL_PIECE) return false;
  if (left !== undefined && left.end === start && left.end - left.start + (end - start) <= MERGED_CHUNK_MAX) return true;
  return right !== undefined && right.start === end && right.end - right.start < SMALL_PIECE;
}

export class ReassemblyBuffer {
  private chunks: Chunk[] = [];
  /** Index of the first live chunk (chunks before it were read). */
  private head = 0;
  private readPosition = 0;
  private held = 0;

  /** @param maxFragments most separate chunks held at once; `insert` refuses a frame that needs more. */
  constructor(readonly maxFragments: number) {}

  /** Stream offset of the next byte `read` returns (everything below it was delivered). */
  get readOffset(): number {
    return this.readPosition;
  }

  /** Bytes held and not yet read. */
  get bufferedBytes(): number {
    return this.held;
  }

  get fragmentCount(): number {
    return this.chunks.length - this.head;
  }

  /** Bytes readable now without a gap. */
  get readableBytes(): number {
    return this.contiguousEnd() - this.readPosition;
  }

  /** Stream offset up to which every byte has arrived. */
  contiguousEnd(): number {
    let end = this.readPosition;
    for (let i = this.head; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      if (c.start > end) break;
      end = c.end;
    }
    return end;
  }

  /**
   * Stores `data` found at stream `offset`, keeping only bytes neither read
   * nor held yet. Returns false (storing nothing) when that needs more than
   * `maxFragments` chunks.
   */
  insert(offset: number, data: Uint8Array): boolean {
    let start = offset;
    const end = offset + data.length;
    if (end <= this.readPosition || data.length === 0) return true;
    if (start < this.readPosition) {
      data = data.subarray(this.readPosition - start);
      start = this.readPosition;
    }
    const chunks = this.chunks;
    const last = chunks.length > this.head ? chunks[chunks.length - 1]! : undefined;
    if (last === undefined || last.end <= start) {
      // In order (or a new highest range): the common case.
      return this.place(chunks.length, start, data);
    }
    // Find the first chunk ending after `start`, then fill only the gaps of [start, end).
    let lo = this.head;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid]!.end <= start) lo = mid + 1;
      else hi = mid;
    }
    // Count the gaps that need a chunk of their own (a small one touching a neighbour joins it).
    let gaps = 0;
    let newFragments = 0;
    let cursor = start;
    let left = lo > this.head ? chunks[lo - 1] : undefined;
    let i = lo;
    for (; i < chunks.length && chunks[i]!.start < end; i++) {
      const c = chunks[i]!;
      if (c.start > cursor) {
        gaps++;
        if (!joinsNeighbour(cursor, c.start, left, c)) newFragments++;
      }
      cursor = Math.max(cursor, c.end);
      left = c;
    }
    if (cursor < end) {
      gaps++;
      if (!joinsNeighbour(cursor, end, left, chunks[i])) newFragments++;
    }
    if (gaps === 0) return true;
    if (this.fragmentCount + newFragments > this.maxFragments) return false;
    cursor = start;
    i = lo;
    while (cursor < end) {
      const next = i < chunks.length ? chunks[i]! : undefined;
      if (next !== undefined && next.start <= cursor) {
        cursor = Math.max(cursor, next.end);
        i++;
        continue;
      }
      const gapEnd = next !== undefined ? Math.min(end, next.start) : end;
      const before = chunks.length;
      if (!this.place(i, cursor, data.subarray(cursor - start, gapEnd - start))) return false;
      // +1: a new chunk went in at i (the next one moved up); -1: the piece joined its left neighbour and folded the next into it.
      i += chunks.length - before;
      cursor = gapEnd;
    }
    return true;
  }

  /** Stores a piece that overlaps nothing held, just before chunks[index]. */
  private place(index: number, start: number, data: Uint8Array): boolean {
    const chunks = this.chunks;
    const prev = index > this.head ? chunks[index - 1]! : undefined;
    const next = index < chunks.length ? chunks[index]! : undefined;
    const end = start + data.length;
    if (prev !== undefined && prev.end === start && data.length < SMALL_PIECE && appendInto(prev, data)) {
      this.held += data.length;
      // The piece closed a gap: fold a small right neighbour in too, so filled gaps do not stay separate fragments.
      if (next !== undefined && next.start === prev.end && next.end - next.start < SMALL_PIECE) {
        if (appendInto(prev, next.buf.subarray(0, next.end - next.start))) chunks.splice(index, 1);
      }
      return true;
    }
    if (next !== undefined && next.start === end && data.length < SMALL_PIECE && next.end - next.start < SMALL_PIECE) {
      // Prepend to a small right neighbour (a copy of under 2 KiB).
      const used = next.end - next.start;
      const buf = Buffer.allocUnsafe(data.length + used);
      buf.set(data, 0);
      next.buf.copy(buf, data.length, 0, used);
      next.buf = buf;
      next.start = start;
      this.held += data.length;
      return true;
    }
    // A refusal here, after earlier gaps of the same frame were stored, only leaves valid bytes held.
    if (this.fragmentCount >= this.maxFragments) return false;
    const buf = Buffer.allocUnsafe(data.length);
    buf.set(data);
    const chunk: Chunk = { start, end, buf };
    if (index === chunks.length) chunks.push(chunk);
    else chunks.splice(index, 0, chunk);
    this.held += data.length;
    return true;
  }

  /**
   * The next in-order bytes, at most `max`, as a view of a held chunk (it
   * stays valid: held bytes are never overwritten); undefined when the next
   * byte has not arrived.
   */
  read(max = Number.MAX_SAFE_INTEGER): Buffer | undefined {
    if (this.head === this.chunks.length || max <= 0) return undefined;
    const c = this.chunks[this.head]!;
    if (c.start > this.readPosition) return undefined;
    const from = this.readPosition - c.start;
    const n = Math.min(max, c.end - this.readPosition);
    const view = c.buf.subarray(from, from + n);
    this.readPosition += n;
    this.held -= n;
    if (this.readPosition === c.end) this.dropHead();
    return view;
  }

  /** Forgets everything held (the reader gave up, or the stream was reset); returns the bytes dropped. */
  discardAll(): number {
    const dropped = this.held;
    this.chunks = [];
    this.head = 0;
    this.held = 0;
    return dropped;
  }

  private dropHead(): void {
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
