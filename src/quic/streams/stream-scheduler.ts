/**
 * Round robin over the streams that have something to send: each call to
 * `next` serves the stream at the front, which goes to the back if it still
 * has data. One frame per turn keeps a bulk download from starving a small
 * response. A stream is queued at most once (a Set keeps insertion order and
 * gives O(1) membership).
 */
export class StreamScheduler {
  private readonly ring = new Set<number>();

  get size(): number {
    return this.ring.size;
  }

  /** The stream has (or may have) data to send. */
  schedule(id: number): void {
    this.ring.add(id);
  }

  remove(id: number): void {
    this.ring.delete(id);
  }

  has(id: number): boolean {
    return this.ring.has(id);
  }

  /** The stream whose turn it is (it stays queued until `rotate` or `remove`). */
  peek(): number | undefined {
    for (const id of this.ring) return id;
    return undefined;
  }

  /** The front stream had its turn and still has data: move it to the back. */
  rotate(id: number): void {
    this.ring.delete(id);
    this.ring.add(id);
  }
}
