/**
 * Connection IDs that say which worker process holds the connection
 * (`workers: N` with HTTP/3 in every worker): one byte of every ID we issue
 * is the worker's id, so a worker that receives a datagram for a connection
 * it does not hold — the client migrated or was rebound, and SO_REUSEPORT
 * hashed the new 4-tuple elsewhere — knows where to hand it.
 *
 * Random IDs carry it in their first byte; QUIC-LB IDs in the first byte of
 * the nonce (the server ID and the first octet stay what the load balancer
 * reads). The byte costs 8 bits of the ID's randomness.
 */
import type { ConnectionIdGenerator } from './connection-id.js';
import { QuicLbConnectionIdGenerator } from './quic-lb-connection-id.js';

export class WorkerConnectionIdGenerator implements ConnectionIdGenerator {
  readonly length: number;
  /** Where in each ID the worker id is. */
  readonly offset: number;

  constructor(
    private readonly inner: ConnectionIdGenerator,
    readonly workerId: number,
  ) {
    if (!Number.isInteger(workerId) || workerId < 1 || workerId > 255)
      throw new RangeError(`worker id must be 1..255 to fit a connection ID byte, got ${workerId}`);
    this.length = inner.length;
    this.offset = inner instanceof QuicLbConnectionIdGenerator ? 1 + inner.serverId.length : 0;
  }

  generate(): Buffer {
    const cid = this.inner.generate();
    cid[this.offset] = this.workerId;
    return cid;
  }
}
