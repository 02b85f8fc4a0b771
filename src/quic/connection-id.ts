/**
 * Where server connection IDs come from. Random by default; a QUIC-LB
 * encoder (draft-ietf-quic-load-balancers) plugs in here so that a load
 * balancer can route every packet of a connection — after migration too —
 * to the replica that issued the ID.
 */
import { randomFillSync } from 'node:crypto';

export interface ConnectionIdGenerator {
  /** Length in bytes of every ID this generator issues (QUIC allows 0..20; we use >= 8). */
  readonly length: number;
  /** A fresh connection ID. */
  generate(): Buffer;
}

export class RandomConnectionIdGenerator implements ConnectionIdGenerator {
  constructor(readonly length = 16) {
    if (length < 8 || length > 20) throw new RangeError(`connection ID length must be 8..20, got ${length}`);
  }
  generate(): Buffer {
    return randomFillSync(Buffer.allocUnsafe(this.length));
  }
}
