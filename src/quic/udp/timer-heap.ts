/**
 * Deadlines of many connections behind one timer: a binary min-heap of
 * (deadline, item) with lazy deletion. Rescheduling pushes a new entry and
 * remembers the current deadline per item; stale entries are skipped when
 * they reach the top and swept when they outnumber the live ones, so the
 * heap stays within a small multiple of the items scheduled. The listener
 * arms a single setTimeout for `peek()` instead of one per connection.
 */
interface HeapEntry<T> {
  deadline: number;
  item: T;
}

export class TimerHeap<T extends object> {
  private heap: HeapEntry<T>[] = [];
  private readonly current = new Map<T, number>();

  get size(): number {
    return this.current.size;
  }

  /** Sets (or replaces) the item's deadline; Infinity unschedules it. */
  schedule(item: T, deadline: number): void {
    if (deadline === Infinity) {
      this.current.delete(item);
      return;
    }
    if (this.current.get(item) === deadline) return;
    this.current.set(item, deadline);
    this.push({ deadline, item });
    if (this.heap.length > 64 && this.heap.length > 4 * this.current.size) this.compact();
  }

  cancel(item: T): void {
    this.current.delete(item);
  }

  /** The earliest live deadline, or Infinity. */
  peek(): number {
    this.dropStale();
    return this.heap.length ? this.heap[0]!.deadline : Infinity;
  }

  /** Removes and returns every item due at `now` (each once). */
  takeDue(now: number): T[] {
    const due: T[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.deadline > now) return due;
      this.pop();
      this.current.delete(top.item);
      due.push(top.item);
    }
  }

  private dropStale(): void {
    while (this.heap.length && this.current.get(this.heap[0]!.item) !== this.heap[0]!.deadline) this.pop();
  }

  private compact(): void {
    const live = this.heap.filter((e) => this.current.get(e.item) === e.deadline);
    // One entry per item: duplicates of the same deadline are possible after a reschedule back and forth.
    const seen = new Set<T>();
    this.heap = [];
    for (const e of live) {
      if (seen.has(e.item)) continue;
      seen.add(e.item);
      this.push(e);
    }
  }

  private push(e: HeapEntry<T>): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.deadline <= e.deadline) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.deadline < h[l]!.deadline ? r : l;
      if (h[c]!.deadline >= last.deadline) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
