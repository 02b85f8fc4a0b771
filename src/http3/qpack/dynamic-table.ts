/**
 * The QPACK dynamic table as the decoder sees it (RFC 9204 §3.2): entries
 * addressed by absolute index (0 = first ever inserted), evicted oldest-first
 * when an insert or a capacity change needs room.
 */
export const ENTRY_OVERHEAD = 32;

export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

export class DynamicTable {
  capacity = 0;
  size = 0;
  /** Total number of insertions ever made; the next entry's absolute index. */
  insertCount = 0;
  private names: string[] = [];
  private values: string[] = [];
  /** Position in names/values of the oldest live entry. */
  private head = 0;

  /** Absolute index of the oldest entry still in the table. */
  get droppedCount(): number {
    return this.insertCount - (this.names.length - this.head);
  }

  get(absolute: number): [string, string] | undefined {
    const i = absolute - this.droppedCount;
    if (i < 0 || absolute >= this.insertCount) return undefined;
    return [this.names[this.head + i]!, this.values[this.head + i]!];
  }

  /** Changes capacity, evicting as needed. The caller checks it against the maximum. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  /** Inserts an entry; returns false if it cannot fit even in an empty table. */
  insert(name: string, value: string): boolean {
    const size = entrySize(name, value);
    if (size > this.capacity) return false;
    this.evictTo(this.capacity - size);
    this.names.push(name);
    this.values.push(value);
    this.size += size;
    this.insertCount++;
    return true;
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.head < this.names.length) {
      this.size -= entrySize(this.names[this.head]!, this.values[this.head]!);
      this.head++;
    }
    // Compact occasionally so evicted entries do not pile up.
    if (this.head > 64 && this.head * 2 > this.names.length) {
      this.names = this.names.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }
}
