/**
 * The packets sent in one packet-number space and not yet acknowledged or
 * declared lost (RFC 9002 §A.1 sent_packets), as a ring of parallel typed
 * arrays in packet-number order: recording a packet is a few array stores,
 * finding one is a binary search, and no object is allocated per packet
 * except the caller's own record of what the packet carried.
 *
 * Entries are addressed by a logical index (0 = oldest kept). An entry that is
 * acknowledged or lost is only marked; `reclaim()` drops marked entries from
 * the front, so logical indexes stay valid from one `reclaim()` to the next.
 *
 * Bounded: the ring is allocated on the first packet, starts small (memory
 * per idle connection) and doubles up to `maxPackets`; `release()` gives it
 * back when the space's keys are discarded. When it is full, entries already settled are compacted
 * away, then outstanding packets that are not in flight (ACK-only packets,
 * whose loss costs nothing) are forgotten; if every slot still holds a packet
 * in flight, `add` throws — the connection caps packets in flight below
 * `maxPackets` (see `hasRoom`).
 */

const STATE_OUTSTANDING = 0;
const STATE_ACKED = 1;
const STATE_LOST = 2;

const FLAG_ACK_ELICITING = 1;
const FLAG_IN_FLIGHT = 2;

/** How many skipped packet numbers are remembered; older ones are forgotten (the check is probabilistic anyway). */
const MAX_SKIPPED = 16;

// Shared by every history that has no ring yet: zero-length, so never written.
const NO_F64 = new Float64Array(0);
const NO_U32 = new Uint32Array(0);
const NO_U8 = new Uint8Array(0);

export class SentPacketHistory<T> {
  /** Highest packet number sent (or skipped) in this space; -1 before any. */
  largestSent = -1;
  private capacity = 0;
  private mask = 0;
  private head = 0;
  private size = 0;
  private pns = NO_F64;
  private times = NO_F64;
  private bytes = NO_U32;
  private flags = NO_U8;
  private states = NO_U8;
  private records: (T | undefined)[] = [];
  private readonly skipped: number[] = [];
  private readonly maxPackets: number;
  private readonly initialCapacity: number;

  /**
   * @param maxPackets most entries kept (rounded up to a power of two)
   * @param initialCapacity first ring size (rounded up to a power of two)
   */
  constructor(maxPackets = 16384, initialCapacity = 32) {
    this.maxPackets = nextPowerOfTwo(Math.max(4, maxPackets));
    this.initialCapacity = Math.min(this.maxPackets, nextPowerOfTwo(Math.max(4, initialCapacity)));
  }

  /** Entries kept, settled ones not yet reclaimed included. */
  get length(): number {
    return this.size;
  }

  /** True when one more packet can be recorded without dropping anything in flight. */
  get hasRoom(): boolean {
    return this.size < this.maxPackets;
  }

  /**
   * Record a sent packet. Packet numbers must increase (RFC 9000 §12.3); a gap
   * is fine (a skipped number, see `skip`).
   */
  add(pn: number, timeSent: number, size: number, ackEliciting: boolean, inFlight: boolean, record: T): void {
    if (!(pn > this.largestSent) || !Number.isSafeInteger(pn)) {
      throw new RangeError(`packet number ${pn} sent after ${this.largestSent}: packet numbers must increase`);
    }
    if (this.size === this.capacity) this.makeRoom();
    const at = (this.head + this.size) & this.mask;
    this.pns[at] = pn;
    this.times[at] = timeSent;
    this.bytes[at] = size;
    this.flags[at] = (ackEliciting ? FLAG_ACK_ELICITING : 0) | (inFlight ? FLAG_IN_FLIGHT : 0);
    this.states[at] = STATE_OUTSTANDING;
    this.records[at] = record;
    this.size++;
    this.largestSent = pn;
  }

  /**
   * Note a packet number deliberately left unused (RFC 9000 §21.4: skipping
   * numbers lets an endpoint catch a peer acknowledging what it never received).
   */
  skip(pn: number): void {
    if (!(pn > this.largestSent) || !Number.isSafeInteger(pn)) {
      throw new RangeError(`skipped packet number ${pn} is not above ${this.largestSent}`);
    }
    if (this.skipped.length === MAX_SKIPPED) this.skipped.shift();
    this.skipped.push(pn);
    this.largestSent = pn;
  }

  /** The first skipped packet number inside [smallest, largest], or -1. */
  skippedWithin(smallest: number, largest: number): number {
    const s = this.skipped;
    for (let i = 0; i < s.length; i++) if (s[i] >= smallest && s[i] <= largest) return s[i];
    return -1;
  }

  get hasSkipped(): boolean {
    return this.skipped.length > 0;
  }

  /** Logical index of the first entry whose packet number is >= pn (`length` if none). */
  lowerBound(pn: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pns[(this.head + mid) & this.mask] < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  packetNumber(i: number): number {
    return this.pns[(this.head + i) & this.mask];
  }

  timeSent(i: number): number {
    return this.times[(this.head + i) & this.mask];
  }

  sentBytes(i: number): number {
    return this.bytes[(this.head + i) & this.mask];
  }

  isAckEliciting(i: number): boolean {
    return (this.flags[(this.head + i) & this.mask] & FLAG_ACK_ELICITING) !== 0;
  }

  isInFlight(i: number): boolean {
    return (this.flags[(this.head + i) & this.mask] & FLAG_IN_FLIGHT) !== 0;
  }

  isOutstanding(i: number): boolean {
    return this.states[(this.head + i) & this.mask] === STATE_OUTSTANDING;
  }

  isAcked(i: number): boolean {
    return this.states[(this.head + i) & this.mask] === STATE_ACKED;
  }

  /** Mark an outstanding entry acknowledged; returns its record (released from the ring). */
  markAcked(i: number): T {
    return this.settle(i, STATE_ACKED);
  }

  /** Mark an outstanding entry lost; returns its record (released from the ring). */
  markLost(i: number): T {
    return this.settle(i, STATE_LOST);
  }

  /** Drop settled entries from the front. Invalidates logical indexes. */
  reclaim(): void {
    while (this.size > 0 && this.states[this.head] !== STATE_OUTSTANDING) {
      this.head = (this.head + 1) & this.mask;
      this.size--;
    }
  }

  /** Forget every entry and give the ring's memory back (the space's keys were discarded). Skipped numbers and largestSent stay. */
  release(): void {
    this.head = 0;
    this.size = 0;
    this.capacity = 0;
    this.mask = 0;
    this.pns = NO_F64;
    this.times = NO_F64;
    this.bytes = NO_U32;
    this.flags = NO_U8;
    this.states = NO_U8;
    this.records = [];
  }

  private settle(i: number, state: number): T {
    const at = (this.head + i) & this.mask;
    this.states[at] = state;
    const record = this.records[at] as T;
    this.records[at] = undefined;
    return record;
  }

  private makeRoom(): void {
    if (this.capacity === 0) {
      this.resize(this.initialCapacity);
      return;
    }
    this.reclaim();
    if (this.size * 4 >= this.capacity * 3 && this.capacity < this.maxPackets) {
      this.grow();
      return;
    }
    if (this.size < this.capacity) return;
    this.compact(false);
    if (this.size < this.capacity) return;
    this.compact(true);
    if (this.size === this.capacity) {
      throw new RangeError(`${this.size} packets in flight in one packet-number space: the connection must cap packets in flight below ${this.maxPackets}`);
    }
  }

  private grow(): void {
    this.resize(this.capacity * 2);
  }

  /** A new ring of `capacity` holding the outstanding entries, oldest at 0. */
  private resize(capacity: number): void {
    const pns = new Float64Array(capacity);
    const times = new Float64Array(capacity);
    const bytes = new Uint32Array(capacity);
    const flags = new Uint8Array(capacity);
    const states = new Uint8Array(capacity);
    const records = new Array<T | undefined>(capacity).fill(undefined);
    let j = 0;
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & this.mask;
      if (this.states[at] !== STATE_OUTSTANDING) continue;
      pns[j] = this.pns[at];
      times[j] = this.times[at];
      bytes[j] = this.bytes[at];
      flags[j] = this.flags[at];
      states[j] = STATE_OUTSTANDING;
      records[j] = this.records[at];
      j++;
    }
    this.pns = pns;
    this.times = times;
    this.bytes = bytes;
    this.flags = flags;
    this.states = states;
    this.records = records;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = 0;
    this.size = j;
  }

  /** Squeeze out settled entries (and, with `dropNotInFlight`, outstanding packets not in flight), in place. */
  private compact(dropNotInFlight: boolean): void {
    let j = 0;
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & this.mask;
      const keep = this.states[from] === STATE_OUTSTANDING && (!dropNotInFlight || (this.flags[from] & FLAG_IN_FLIGHT) !== 0);
      if (!keep) {
        this.records[from] = undefined;
        continue;
      }
      const to = (this.head + j) & this.mask;
      if (to !== from) {
        this.pns[to] = this.pns[from];
        this.times[to] = this.times[from];
        this.bytes[to] = this.bytes[from];
        this.flags[to] = this.flags[from];
        this.states[to] = STATE_OUTSTANDING;
        this.records[to] = this.records[from];
        this.records[from] = undefined;
      }
      j++;
    }
    this.size = j;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
