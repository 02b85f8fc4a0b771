/**
 * QPACK decoder (RFC 9204 §2.2, §4.3–4.5): applies the peer's encoder-stream
 * instructions to a dynamic table, decodes field sections (possibly blocking
 * until inserts arrive) and produces decoder-stream instructions (Section
 * Acknowledgment, Stream Cancellation, Insert Count Increment).
 *
 * Sans-I/O: feed bytes in, take bytes and decoded sections out. All failures
 * are QpackError carrying the code the connection must close with.
 */
import { DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.js';
import { INCOMPLETE, QpackReader, QpackWriter } from './primitives.js';
import { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR, QpackError } from './qpack-error.js';
import { STATIC_TABLE } from './static-table.js';

export type FieldLine = [name: string, value: string];

export interface DecodedSection {
  /** Field lines in order; names and values are latin1 strings (one char per octet). */
  headers: FieldLine[];
  /** RFC 9114 §4.2.2 size: sum of name + value + 32 over all lines. */
  size: number;
  /** True when size exceeded maxFieldSectionSize; headers is then empty. */
  tooLarge: boolean;
}

export interface UnblockedSection {
  streamId: number;
  section: DecodedSection;
}

export interface QpackDecoderOptions {
  /** Our SETTINGS_QPACK_MAX_TABLE_CAPACITY. */
  maxTableCapacity: number;
  /** Our SETTINGS_QPACK_BLOCKED_STREAMS. */
  maxBlockedStreams: number;
  /** Our SETTINGS_MAX_FIELD_SECTION_SIZE; larger sections decode as tooLarge. */
  maxFieldSectionSize: number;
}

interface BlockedSection {
  streamId: number;
  block: Buffer;
  requiredInsertCount: number;
}

const EMPTY = Buffer.alloc(0);

export class QpackDecoder {
  readonly table = new DynamicTable();
  private pending: Buffer = EMPTY;
  private readonly out = new QpackWriter(64);
  private knownReceivedCount = 0;
  private readonly blocked: BlockedSection[] = [];
  private readonly maxEntries: number;

  constructor(readonly options: QpackDecoderOptions) {
    this.maxEntries = Math.floor(options.maxTableCapacity / ENTRY_OVERHEAD);
  }

  /** Number of streams currently waiting for dynamic table inserts. */
  get blockedStreamCount(): number {
    return this.blocked.length;
  }

  /**
   * Applies encoder-stream bytes. Returns the field sections that became
   * decodable, in the order they were blocked.
   */
  feedEncoderStream(chunk: Buffer): UnblockedSection[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const r = new QpackReader(buf, 0, buf.length, QPACK_ENCODER_STREAM_ERROR);
    const before = this.table.insertCount;
    for (;;) {
      const start = r.pos;
      if (!this.readInstruction(r)) {
        r.pos = start;
        break;
      }
    }
    this.pending = r.pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(r.pos));
    // An instruction can never be larger than a table entry plus its prefixes; more pending means garbage.
    if (this.pending.length > this.options.maxTableCapacity + 32) {
      throw new QpackError(QPACK_ENCODER_STREAM_ERROR, 'encoder stream instruction larger than the dynamic table');
    }
    const unblocked: UnblockedSection[] = [];
    if (this.table.insertCount > before && this.blocked.length > 0) {
      for (let i = 0; i < this.blocked.length;) {
        const b = this.blocked[i]!;
        if (b.requiredInsertCount <= this.table.insertCount) {
          this.blocked.splice(i, 1);
          unblocked.push({ streamId: b.streamId, section: this.decodeLines(b.block, b.requiredInsertCount, b.streamId) });
        } else {
          i++;
        }
      }
    }
    if (this.table.insertCount > this.knownReceivedCount) {
      this.out.int(0x00, 6, this.table.insertCount - this.knownReceivedCount);
      this.knownReceivedCount = this.table.insertCount;
    }
    return unblocked;
  }

  /** Parses one encoder instruction; false if the input ends inside it. */
  private readInstruction(r: QpackReader): boolean {
    if (r.remaining === 0) return false;
    const first = r.buf[r.pos]!;
    const t = this.table;
    const maxString = this.options.maxTableCapacity;
    if (first & 0x80) {
      // Insert with Name Reference: 1T + 6-bit index, then value.
      const isStatic = (first & 0x40) !== 0;
      const index = r.int(6);
      if (index === INCOMPLETE) return false;
      const value = r.string(7, maxString);
      if (value === undefined) return false;
      let name: string;
      if (isStatic) {
        const e = STATIC_TABLE[index];
        if (!e) throw new QpackError(QPACK_ENCODER_STREAM_ERROR, `static table index ${index} does not exist`);
        name = e[0];
      } else {
        const e = t.get(t.insertCount - 1 - index);
        if (!e) throw new QpackError(QPACK_ENCODER_STREAM_ERROR, `dynamic table relative index ${index} does not exist`);
        name = e[0];
      }
      this.insert(name, value);
    } else if (first & 0x40) {
      // Insert with Literal Name: 01H + 5-bit name length, then value.
      const name = r.string(5, maxString);
      if (name === undefined) return false;
      const value = r.string(7, maxString);
      if (value === undefined) return false;
      this.insert(name, value);
    } else if (first & 0x20) {
      const capacity = r.int(5);
      if (capacity === INCOMPLETE) return false;
      if (capacity > this.options.maxTableCapacity) {
        throw new QpackError(QPACK_ENCODER_STREAM_ERROR, `capacity ${capacity} exceeds our maximum ${this.options.maxTableCapacity}`);
      }
      t.setCapacity(capacity);
    } else {
      const index = r.int(5);
      if (index === INCOMPLETE) return false;
      const e = t.get(t.insertCount - 1 - index);
      if (!e) throw new QpackError(QPACK_ENCODER_STREAM_ERROR, `duplicate of missing relative index ${index}`);
      this.insert(e[0], e[1]);
    }
    return true;
  }

  private insert(name: string, value: string): void {
    if (!this.table.insert(name, value)) {
      throw new QpackError(QPACK_ENCODER_STREAM_ERROR, `entry of ${name.length + value.length + 32} bytes exceeds table capacity ${this.table.capacity}`);
    }
  }

  /**
   * Decodes one encoded field section (a HEADERS frame payload). Returns
   * 'blocked' if it needs inserts not yet received; the section is then
   * returned later by feedEncoderStream.
   */
  decode(streamId: number | bigint, block: Buffer): DecodedSection | 'blocked' {
    const id = Number(streamId);
    const r = new QpackReader(block, 0, block.length, QPACK_DECOMPRESSION_FAILED);
    const ric = this.requiredInsertCount(r);
    if (ric > this.table.insertCount) {
      if (this.blocked.length >= this.options.maxBlockedStreams) {
        throw new QpackError(QPACK_DECOMPRESSION_FAILED, `stream ${id} would block beyond the ${this.options.maxBlockedStreams}-stream limit`);
      }
      this.blocked.push({ streamId: id, block, requiredInsertCount: ric });
      return 'blocked';
    }
    return this.decodeLines(block, ric, id);
  }

  /** The stream was reset or abandoned: forget its blocked section and tell the encoder. */
  cancelStream(streamId: number | bigint): void {
    const id = Number(streamId);
    const i = this.blocked.findIndex((b) => b.streamId === id);
    if (i >= 0) this.blocked.splice(i, 1);
    // RFC 9204 §4.4.2: optional when our maximum capacity is zero.
    if (this.options.maxTableCapacity > 0) this.out.int(0x40, 6, id);
  }

  /** Decoder-stream bytes to send, if any. */
  takeDecoderStreamData(): Buffer | undefined {
    if (this.out.pos === 0) return undefined;
    const data = Buffer.from(this.out.finish());
    this.out.pos = 0;
    return data;
  }

  private requiredInsertCount(r: QpackReader): number {
    const encoded = r.int(8);
    if (encoded === INCOMPLETE) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'field section prefix truncated');
    if (encoded === 0) return 0;
    const fullRange = 2 * this.maxEntries;
    if (encoded > fullRange) throw new QpackError(QPACK_DECOMPRESSION_FAILED, `encoded Required Insert Count ${encoded} out of range`);
    const maxValue = this.table.insertCount + this.maxEntries;
    const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
    let ric = maxWrapped + encoded - 1;
    if (ric > maxValue) {
      if (ric <= fullRange) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'Required Insert Count wraps below zero');
      ric -= fullRange;
    }
    if (ric === 0) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'Required Insert Count decodes to zero');
    return ric;
  }

  private decodeLines(block: Buffer, ric: number, streamId: number): DecodedSection {
    const r = new QpackReader(block, 0, block.length, QPACK_DECOMPRESSION_FAILED);
    this.requiredInsertCount(r); // re-read the prefix; ric was computed with the insert count at arrival
    if (r.remaining === 0) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'field section prefix truncated');
    const sign = r.buf[r.pos]! & 0x80;
    const delta = r.int(7);
    if (delta === INCOMPLETE) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'field section prefix truncated');
    let base: number;
    if (sign) {
      if (delta >= ric) throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'Base would be negative');
      base = ric - delta - 1;
    } else {
      base = ric + delta;
    }
    const limit = this.options.maxFieldSectionSize;
    const headers: FieldLine[] = [];
    let size = 0;
    let tooLarge = false;
    const maxString = block.length; // a literal can never be longer than the block holding it
    const dyn = (absolute: number): [string, string] => {
      if (absolute >= ric || absolute < 0)
        throw new QpackError(QPACK_DECOMPRESSION_FAILED, `reference to dynamic entry ${absolute} at or beyond Required Insert Count ${ric}`);
      const e = this.table.get(absolute);
      if (!e) throw new QpackError(QPACK_DECOMPRESSION_FAILED, `reference to evicted dynamic entry ${absolute}`);
      return e;
    };
    const stat = (index: number): readonly [string, string] => {
      const e = STATIC_TABLE[index];
      if (!e) throw new QpackError(QPACK_DECOMPRESSION_FAILED, `static table index ${index} does not exist`);
      return e;
    };
    const truncated = (): never => {
      throw new QpackError(QPACK_DECOMPRESSION_FAILED, 'field line truncated');
    };
    while (r.remaining > 0) {
      const b = r.buf[r.pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed field line: 1T + 6-bit index.
        const idx = r.int(6);
        if (idx === INCOMPLETE) truncated();
        [name, value] = b & 0x40 ? stat(idx) : dyn(base - 1 - idx);
      } else if (b & 0x40) {
        // Literal with name reference: 01NT + 4-bit index.
        const idx = r.int(4);
        if (idx === INCOMPLETE) truncated();
        name = (b & 0x10 ? stat(idx) : dyn(base - 1 - idx))[0];
        value = r.string(7, maxString) ?? truncated();
      } else if (b & 0x20) {
        // Literal with literal name: 001NH + 3-bit name length.
        name = r.string(3, maxString) ?? truncated();
        value = r.string(7, maxString) ?? truncated();
      } else if (b & 0x10) {
        // Indexed field line with post-base index: 0001 + 4-bit index.
        const idx = r.int(4);
        if (idx === INCOMPLETE) truncated();
        [name, value] = dyn(base + idx);
      } else {
        // Literal with post-base name reference: 0000N + 3-bit index.
        const idx = r.int(3);
        if (idx === INCOMPLETE) truncated();
        name = dyn(base + idx)[0];
        value = r.string(7, maxString) ?? truncated();
      }
      if (!tooLarge) {
        size += name.length + value.length + 32;
        if (size > limit) {
          tooLarge = true;
          headers.length = 0;
        } else {
          headers.push([name, value]);
        }
      }
    }
    if (ric > 0) {
      this.out.int(0x80, 7, streamId);
      if (ric > this.knownReceivedCount) this.knownReceivedCount = ric;
    }
    return { headers, size, tooLarge };
  }
}
