/**
 * Connection IDs we issue (RFC 9000 §5.1, §19.15, §19.16): NEW_CONNECTION_ID
 * up to the peer's active_connection_id_limit with reset tokens from the
 * injected function, replacements for retired IDs, events for the driver's
 * routing table, and bounded state under a peer that retires in a loop.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RandomConnectionIdGenerator } from '../../../src/quic/connection-id.js';
import { LocalConnectionIds, MAX_LOCAL_CONNECTION_IDS } from '../../../src/quic/connection/local-connection-ids.js';
import { StatelessResets } from '../../../src/quic/stateless-reset.js';
import { QuicError, QuicErrorCode } from '../../../src/quic/quic-error.js';
import { writeShortHeader } from '../../../src/quic/packet/packet-header.js';
import { writeFrame } from '../../../src/quic/frames/frame-writer.js';
import type { OneRttKeys } from '../../../src/quic/packet/one-rtt-keys.js';
import type { QuicConnection } from '../../../src/quic/connection/quic-connection.js';
import { AddressedNetwork } from './fake-clock-network.js';

const resets = new StatelessResets({ key: Buffer.alloc(32, 9) });

/** Seals a 1-RTT packet with the client's keys carrying `frames`, as a scripted peer. */
function clientPacket(client: QuicConnection, frames: Parameters<typeof writeFrame>[2][], dcid = client.remoteCid): Buffer {
  const internals = client as unknown as { oneRtt: OneRttKeys; spaces: { nextPacketNumber: number }[] };
  const buf = Buffer.alloc(1400);
  const pn = internals.spaces[2]!.nextPacketNumber++;
  const pnOffset = writeShortHeader(buf, 0, dcid, 0, internals.oneRtt.keyPhase, 4, pn);
  let p = pnOffset + 4;
  for (const f of frames) p = writeFrame(buf, p, f);
  return buf.subarray(0, internals.oneRtt.sealPacket(buf, 0, pnOffset, 4, p, pn));
}

describe('connection IDs we issue', () => {
  it('issues up to the peer limit with reset tokens, accepts packets to them, and replaces a retired one', () => {
    const n = new AddressedNetwork({ connectionIdGenerator: new RandomConnectionIdGenerator(8), resetToken: (cid) => resets.token(cid) });
    n.established();
    n.run(() => !n.server!.localCids.hasPending && n.step() === 0, 2000);
    const server = n.server!;
    const issued = n.serverEvents.filter((e) => e.type === 'connectionIdIssued');
    const limit = Math.min(server.peerParameters!.activeConnectionIdLimit, MAX_LOCAL_CONNECTION_IDS);
    expect(limit).toBeGreaterThanOrEqual(2);
    expect(issued.length).toBe(limit - 1);
    expect(server.localCids.size).toBe(limit);
    for (const e of issued) {
      if (e.type !== 'connectionIdIssued') continue;
      expect(e.cid.length).toBe(8);
      expect(e.resetToken).toEqual(resets.token(e.cid));
    }
    // They reached the client (its table of IDs to send to).
    expect((n.client as unknown as { peerCids: { ids: Map<number, unknown> } }).peerCids.ids.size).toBe(limit);
    const fresh = issued[0]!.type === 'connectionIdIssued' ? issued[0]!.cid : Buffer.alloc(0);
    // A packet sent to the new ID is the connection's, and may retire sequence 0 (the ID of another packet).
    const before = server.packetsReceived;
    server.receiveDatagram(clientPacket(n.client, [{ type: 'retire_connection_id', sequenceNumber: 0 }, { type: 'ping' }], fresh), n.now, n.clientAddress);
    expect(server.packetsReceived).toBe(before + 1);
    expect(server.isClosed || server.localCids.has(server.localCid)).toBe(false);
    const events: string[] = [];
    for (let e = server.pollEvent(); e; e = server.pollEvent()) events.push(e.type);
    expect(events).toEqual(['connectionIdRetired', 'connectionIdIssued']);
    expect(server.localCids.size).toBe(limit);
    expect(server.localCids.hasPending).toBe(true);
  });

  it('a RETIRE_CONNECTION_ID for the ID its packet was sent to, or for a sequence never issued, is a PROTOCOL_VIOLATION', () => {
    const ids = new LocalConnectionIds(randomBytes(8), new RandomConnectionIdGenerator(8), undefined, () => {});
    ids.setPeerLimit(3);
    const own = [...ids.all()][1]!;
    expect(() => ids.onRetire(own.sequence, own.cid)).toThrow(QuicError);
    try {
      ids.onRetire(50, randomBytes(8));
    } catch (error) {
      expect((error as QuicError).code).toBe(QuicErrorCode.PROTOCOL_VIOLATION);
    }
    expect(() => ids.onRetire(50, randomBytes(8))).toThrow(/never issued/);
    // Already retired: ignored.
    ids.onRetire(0, own.cid);
    ids.onRetire(0, own.cid);
    expect(ids.size).toBe(3);
  });

  it('a peer retiring every ID in a loop (20 000 times, never letting us send) keeps the state bounded (CVE-2024-1410 pattern)', () => {
    let issued = 0;
    let retired = 0;
    const ids = new LocalConnectionIds(
      randomBytes(8),
      new RandomConnectionIdGenerator(8),
      (cid) => resets.token(cid),
      (i, r) => {
        if (i) issued++;
        if (r) retired++;
      },
    );
    ids.setPeerLimit(1 << 30); // the peer may advertise a huge limit: we keep our cap
    expect(ids.size).toBe(MAX_LOCAL_CONNECTION_IDS);
    const dcid = randomBytes(8); // not one of ours
    for (let sequence = 0; sequence < 20_000; sequence++) ids.onRetire(sequence, dcid);
    expect(retired).toBe(20_000);
    expect(issued).toBe(20_000 + MAX_LOCAL_CONNECTION_IDS - 1);
    expect(ids.size).toBe(MAX_LOCAL_CONNECTION_IDS);
    const pending = (ids as unknown as { pending: number[] }).pending;
    expect(pending.length).toBeLessThanOrEqual(MAX_LOCAL_CONNECTION_IDS);
    // What is pending is exactly the active IDs still unsent, newest sequences.
    const frames = [];
    for (let f = ids.takeFrame(); f; f = ids.takeFrame()) frames.push(f.sequenceNumber);
    expect(frames.length).toBe(MAX_LOCAL_CONNECTION_IDS);
    expect(frames.every((s) => s >= 20_000)).toBe(true);
    // A lost frame for a retired ID is not sent again.
    ids.onFrameLost(3);
    expect(ids.hasPending).toBe(false);
  });
});
