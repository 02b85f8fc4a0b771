import { describe, expect, it } from 'vitest';
import { PeerConnectionIds } from '../../../src/quic/connection/peer-connection-ids.js';
import type { NewConnectionIdFrame } from '../../../src/quic/frames/frame.js';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';

const cid = (n: number) => Buffer.alloc(8, n);
const ncid = (sequenceNumber: number, retirePriorTo = 0, id = cid(sequenceNumber)): NewConnectionIdFrame => ({
  type: 'new_connection_id',
  sequenceNumber,
  retirePriorTo,
  connectionId: id,
  statelessResetToken: Buffer.alloc(16, 0x40 + sequenceNumber),
});

function code(fn: () => void): number | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QuicError);
    return (e as QuicError).code;
  }
  return undefined;
}

describe('PeerConnectionIds (RFC 9000 §5.1)', () => {
  it('accepts a retransmitted NEW_CONNECTION_ID and refuses a sequence reused for another ID', () => {
    const ids = new PeerConnectionIds(cid(0), 2);
    ids.onNewConnectionId(ncid(1));
    ids.onNewConnectionId(ncid(1)); // lost and sent again: fine
    expect(code(() => ids.onNewConnectionId(ncid(1, 0, cid(9))))).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
  });

  it('enforces active_connection_id_limit', () => {
    const ids = new PeerConnectionIds(cid(0), 2);
    ids.onNewConnectionId(ncid(1));
    expect(code(() => ids.onNewConnectionId(ncid(2)))).toBe(QuicErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });

  it('Retire Prior To retires older IDs, moves the active one, and queues RETIRE_CONNECTION_ID (again if lost)', () => {
    const ids = new PeerConnectionIds(cid(0), 2);
    ids.onNewConnectionId(ncid(1));
    ids.onNewConnectionId(ncid(2, 2));
    expect(ids.active.equals(cid(2))).toBe(true);
    expect([ids.takeRetirement(), ids.takeRetirement(), ids.takeRetirement()]).toEqual([0, 1, undefined]);
    ids.onRetirementLost(1);
    expect(ids.takeRetirement()).toBe(1);
    // An ID below Retire Prior To that arrives late is retired at once.
    ids.onNewConnectionId(ncid(1, 0, cid(1)));
    expect(ids.takeRetirement()).toBe(1);
  });

  it('recognises a stateless reset by any known token', () => {
    const ids = new PeerConnectionIds(cid(0), 4);
    ids.setInitialResetToken(Buffer.alloc(16, 7));
    ids.onNewConnectionId(ncid(1));
    expect(ids.isStatelessReset(Buffer.alloc(16, 7))).toBe(true);
    expect(ids.isStatelessReset(Buffer.alloc(16, 0x41))).toBe(true);
    expect(ids.isStatelessReset(Buffer.alloc(16, 8))).toBe(false);
  });
});
