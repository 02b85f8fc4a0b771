/**
 * Reassembles one byte stream (a STREAM's receive side, or a CRYPTO stream)
 * from frames that arrive out of order, overlap or repeat, and hands the
 * bytes out in order as views of the chunks it holds (no copy on the way out,
 * no re-copying of what is already stored).
 *
 * Bounded by construction: the caller checks every frame against its limit
 * (flow-control window, or the CRYPTO cap) before `insert`, so held bytes
 * never exceed that limit; bytes already delivered or already held are never
 * stored twice; and the number of fragments — separate runs of held bytes,
 * with gaps between them — is capped, because a flood of tiny out-of-order
 * frames (CVE-2024-1765's pattern) would otherwise cost an object per byte.
 * Within a run, a piece under 1 KiB joins the chunk it touches instead of
 * becoming a chunk of its own, so chunks are either at least 1 KiB or
 * merged: per-chunk overhead stays small against the bytes held.
 *
 * Data is copied once on the way in: the packet layer may reuse its plaintext
 * buffer for the next datagram, and a view would pin a whole datagram per
 * byte held. Held memory is at most twice the held bytes plus 256 bytes per
 * chunk (the spare room of chunks grown by appends); only in-order pieces of
 * 1 KiB or more come from Node's shared allocation pool.
 */

interface Chunk {
  /** Stream offset of buf[0]. */
  start: number;
  /** Stream offset just past the last valid byte (buf may have spare room after it). */
  end: number;
  buf: Buffer;
}

/** Pieces under this size join the chunk they touch. */
const SMALL_PIECE = 1024;
/** A chunk grown by appends stops growing at this size. */
const MERGED_CHUNK_MAX = 16 * 1024;

export class ReassemblyBuffer {
  private chunks: Chunk[] = [];
  /** Index of the first live chunk (chunks before it were read). */
  private head = 0;
  private readPosition = 0;
  private held = 0;
  /** Separate runs of held bytes. */
  private runs = 0;

  /** @param maxFragments most separate runs of held bytes; `insert` refuses a frame that would make more. */
  constructor(readonly maxFragments: number) {}

  /** Stream offset of the next byte `read` returns (everything below it was delivered). */
  get readOffset(): number {
    return this.readPosition;
  }

  /** Bytes held and not yet read. */
  get bufferedBytes(): number {
    return this.held;
  }

  /** Separate runs of held bytes (gaps between them, or before the first). */
  get fragmentCount(): number {
    return this.runs;
  }

  /** Chunk objects held (for memory assertions). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  /** The next byte to read has arrived. */
  get hasReadable(): boolean {
    return this.head < this.chunks.length && this.chunks[this.head]!.start <= this.readPosition;
  }

  /**
   * Every byte from the read offset up to `end` is held (O(1): held chunks
   * never overlap and the caller never lets one pass `end`).
   */
  holdsAllUpTo(end: number): boolean {
    return this.held === end - this.readPosition;
  }

  /** Bytes readable now without a gap (walks the chunks). */
  get readableBytes(): number {
    return this.contiguousEnd() - this.readPosition;
  }

  /** Stream offset up to which every byte has arrived (walks the chunks). */
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
   * nor held yet. Returns false, storing nothing, when that would make more
   * than `maxFragments` separate runs.
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
      // In order, or above everything held: the common case.
      if (last === undefined || last.end < start) {
        if (this.runs >= this.maxFragments) return false;
      }
      this.place(chunks.length, start, data);
      return true;
    }
    // The first chunk ending after `start`.
    let lo = this.head;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid]!.end <= start) lo = mid + 1;
      else hi = mid;
    }
    // How the run count changes: each gap filled adds a run, minus one per neighbour it touches.
    let change = 0;
    let gaps = 0;
    let cursor = start;
    let left = lo > this.head ? chunks[lo - 1] : undefined;
    let i = lo;
    for (; i < chunks.length && chunks[i]!.start < end; i++) {
      const c = chunks[i]!;
      if (c.start > cursor) {
        gaps++;
        change -= left !== undefined && left.end === cursor ? 1 : 0; // +1 for the gap, -1 as it touches c
      }
      cursor = Math.max(cursor, c.end);
      left = c;
    }
    if (cursor < end) {
      gaps++;
      const right = chunks[i];
      change += 1 - (left !== undefined && left.end === cursor ? 1 : 0) - (right !== undefined && right.start === end ? 1 : 0);
    }
    if (gaps === 0) return true;
    if (change > 0 && this.runs + change > this.maxFragments) return false;
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
      this.place(i, cursor, data.subarray(cursor - start, gapEnd - start));
      // +1: a new chunk went in at i (the next one moved up); -1: the piece joined its left neighbour and folded the next into it.
      i += chunks.length - before;
      cursor = gapEnd;
    }
    return true;
  }

  /** Stores a piece that overlaps nothing held, just before chunks[index], keeping the run count. */
  private place(index: number, start: number, data: Uint8Array): void {
    const chunks = this.chunks;
    const prev = index > this.head ? chunks[index - 1]! : undefined;
    const next = index < chunks.length ? chunks[index]! : undefined;
    const end = start + data.length;
    const touchesPrev = prev !== undefined && prev.end === start;
    const touchesNext = next !== undefined && next.start === end;
    this.runs += 1 - (touchesPrev ? 1 : 0) - (touchesNext ? 1 : 0);
    this.held += data.length;
    if (touchesPrev && data.length < SMALL_PIECE && appendInto(prev!, data)) {
      // The piece closed a gap: fold a small right neighbour in too.
      if (touchesNext && next!.end - next!.start < SMALL_PIECE && appendInto(prev!, next!.buf.subarray(0, next!.end - next!.start))) {
        chunks.splice(index, 1);
      }
      return;
    }
    if (touchesNext && data.length < SMALL_PIECE && next!.end - next!.start < SMALL_PIECE) {
      // Prepend to a small right neighbour (a copy of under 2 KiB).
      const used = next!.end - next!.start;
      const buf = Buffer.allocUnsafeSlow(data.length + used);
      buf.set(data, 0);
      next!.buf.copy(buf, data.length, 0, used);
      next!.buf = buf;
      next!.start = start;
      return;
    }
    // In-order full pieces (the hot path, read soon) may share Node's 8 KiB allocation pool; anything held
    // out of order gets memory of its own, so a few held bytes never pin a pool slab others have left.
    const buf = start === this.readPosition && data.length >= SMALL_PIECE ? Buffer.allocUnsafe(data.length) : Buffer.allocUnsafeSlow(data.length);
    buf.set(data);
    const chunk: Chunk = { start, end, buf };
    if (index === chunks.length) chunks.push(chunk);
    else chunks.splice(index, 0, chunk);
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
    this.runs = 0;
    return dropped;
  }

  private dropHead(): void {
    this.head++;
    // The run that was read ends here unless the next chunk continues it.
    if (this.head === this.chunks.length || this.chunks[this.head]!.start !== this.readPosition) this.runs--;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}

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
    const grown = Buffer.allocUnsafeSlow(Math.min(MERGED_CHUNK_MAX, Math.max(needed, 2 * used, 256)));
    chunk.buf.copy(grown, 0, 0, used);
    chunk.buf = grown;
  }
  chunk.buf.set(data, used);
  chunk.end += data.length;
  return true;
}
