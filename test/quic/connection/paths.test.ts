/**
 * Paths (RFC 9000 §8.2, §9): a server connection notices the client's new
 * address from its highest-numbered non-probing packet, sends there within
 * the new path's anti-amplification limit, validates it with
 * PATH_CHALLENGE/PATH_RESPONSE (answered by our own client connection), and
 * only then reports the new peer address; a path that does not answer is
 * given up for the last validated one. In memory, with a fake clock.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AddressedNetwork as Network, addressKey as key } from './fake-clock-network.js';
import { writeShortHeader } from '../../../src/quic/packet/packet-header.js';
import { writeFrame } from '../../../src/quic/frames/frame-writer.js';
import type { OneRttKeys } from '../../../src/quic/packet/one-rtt-keys.js';

describe('QuicConnection paths: migration, NAT rebinding, path validation', () => {
  it('NAT rebinding (new port, same CID): the server validates the new port, then reports it; data keeps flowing', () => {
    const n = new Network();
    n.established();
    expect(n.server!.peerAddress).toEqual({ address: '10.0.0.1', port: 5000, family: 'IPv4' });
    const old = key(n.clientAddress);
    n.clientAddress = { address: '10.0.0.1', port: 6000, family: 'IPv4' };
    // Hold the client's answers for a moment: the server sends to the new port but does not trust it yet.
    let holdClient = true;
    n.dropToServer = () => false;
    const realReceive = n.client.receiveDatagram.bind(n.client);
    const held: Buffer[] = [];
    n.client.receiveDatagram = (d, now) => (holdClient ? held.push(d) : realReceive(d, now));
    n.client.ping();
    n.step();
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:6000');
    expect(key(n.server!.peerAddress)).toBe(old);
    // The PATH_CHALLENGE datagram is expanded to 1200 bytes, but within three times what came from the new port (§8.2.1, §8.1).
    const toNew = n.log.filter((e) => e.to === '10.0.0.1:6000');
    expect(toNew.length).toBeGreaterThan(0);
    expect(n.sentTo.get('10.0.0.1:6000')!).toBeLessThanOrEqual(3 * n.receivedFrom.get('10.0.0.1:6000')!);
    expect(n.serverEvents.some((e) => e.type === 'peerAddressChanged')).toBe(false);
    holdClient = false;
    for (const d of held) realReceive(d, n.now);
    const data = n.transfer(200_000);
    expect(data.length).toBe(200_000);
    expect(n.serverEvents.filter((e) => e.type === 'peerAddressChanged')).toEqual([
      { type: 'peerAddressChanged', address: { address: '10.0.0.1', port: 6000, family: 'IPv4' } },
    ]);
    expect(key(n.server!.peerAddress)).toBe('10.0.0.1:6000');
    expect(n.server!.pathCounters).toMatchObject({ migrations: 1, validated: 1, natRebindings: 1, validationFailures: 0 });
    // Nothing went to the old port after the move.
    const firstNew = n.log.findIndex((e) => e.to === '10.0.0.1:6000');
    expect(n.log.slice(firstNew).every((e) => e.to === '10.0.0.1:6000')).toBe(true);
  });

  it('migration to a new IP address: the new path is held to 3x what it sent until validated, then carries a 300 KB upload', () => {
    const n = new Network();
    n.established();
    n.clientAddress = { address: '10.9.9.9', port: 7000, family: 'IPv4' };
    // The client's first datagram from the new address arrives; nothing else from it until we allow.
    let allowed = 1;
    n.dropToServer = () => allowed-- <= 0;
    n.client.ping();
    n.client.streams.write(n.client.streams.openStream('bidi')!, randomBytes(100_000));
    for (let i = 0; i < 50; i++) {
      n.step();
      n.now += 5;
      n.server!.handleTimeout(n.now);
    }
    expect(n.receivedFrom.get('10.9.9.9:7000')!).toBeGreaterThan(0);
    expect(n.sentTo.get('10.9.9.9:7000')!).toBeLessThanOrEqual(3 * n.receivedFrom.get('10.9.9.9:7000')!);
    expect(key(n.server!.peerAddress)).toBe('10.0.0.1:5000');
    n.dropToServer = () => false;
    expect(n.transfer(300_000).length).toBe(300_000);
    // Its PATH_RESPONSE was dropped: the server challenges again until one gets through.
    n.run(() => n.server!.pathCounters.validated > 0);
    expect(key(n.server!.peerAddress)).toBe('10.9.9.9:7000');
    expect(n.server!.pathCounters).toMatchObject({ migrations: 1, validated: 1, natRebindings: 0 });
  });

  it('a new path that never answers is given up: the server goes back to the validated address', () => {
    const n = new Network();
    n.established();
    n.clientAddress = { address: '10.0.0.1', port: 6000, family: 'IPv4' };
    n.dropToClient = (_d, to) => to === '10.0.0.1:6000';
    n.client.ping();
    n.step();
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:6000');
    n.clientAddress = { address: '10.0.0.1', port: 5000, family: 'IPv4' };
    n.dropToServer = () => true; // the client is silent; only the server's timers run
    const start = n.now;
    n.run(() => n.server!.pathCounters.validationFailures > 0, 15_000);
    expect(n.server!.pathCounters.validationFailures).toBe(1);
    expect(n.now - start).toBeGreaterThanOrEqual(2900); // 3 × max(PTO, 1 s) (§8.2.4)
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:5000');
    expect(n.serverEvents.some((e) => e.type === 'peerAddressChanged')).toBe(false);
    n.dropToServer = () => false;
    n.dropToClient = () => false;
    expect(n.transfer(50_000).length).toBe(50_000);
  });

  it('does not move for datagrams that do not decrypt, nor for an older packet arriving late from another address', () => {
    const n = new Network();
    n.established();
    // Garbage with the server's CID from elsewhere (an off-path attacker).
    const forged = Buffer.concat([Buffer.from([0x40]), n.client.remoteCid, randomBytes(60)]);
    n.deliverToServer(forged, { address: '6.6.6.6', port: 1, family: 'IPv4' });
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:5000');
    // Two client packets; the later arrives first from the usual address, the earlier then from elsewhere (reordering, §9.3).
    n.client.ping();
    const [first] = n.client.sendDatagrams(n.now);
    n.client.ping();
    const [second] = n.client.sendDatagrams(n.now);
    n.deliverToServer(second!, n.clientAddress);
    n.deliverToServer(first!, { address: '10.0.0.1', port: 9999, family: 'IPv4' });
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:5000');
    expect(n.server!.pathCounters.migrations).toBe(0);
  });

  it('a probe (PATH_CHALLENGE only) from another address is answered there, within 3x its size, and does not move the connection', () => {
    const n = new Network();
    n.established();
    const internals = n.client as unknown as { oneRtt: OneRttKeys; spaces: { nextPacketNumber: number }[] };
    const buf = Buffer.alloc(100);
    const pn = internals.spaces[2]!.nextPacketNumber++;
    const pnOffset = writeShortHeader(buf, 0, n.client.remoteCid, 0, internals.oneRtt.keyPhase, 4, pn);
    const challenge = randomBytes(8);
    let p = writeFrame(buf, pnOffset + 4, { type: 'path_challenge', data: challenge });
    buf.fill(0, p, 60); // PADDING
    p = 60;
    const probe = buf.subarray(0, internals.oneRtt.sealPacket(buf, 0, pnOffset, 4, p, pn));
    const elsewhere = { address: '10.7.7.7', port: 4444, family: 'IPv4' as const };
    n.deliverToServer(probe, elsewhere);
    n.clientAddress = elsewhere; // the client listens there: the answer must arrive
    const before = n.log.length;
    n.step();
    const answers = n.log.slice(before).filter((e) => e.to === '10.7.7.7:4444');
    expect(answers.length).toBe(1);
    expect(answers[0]!.data.length).toBeLessThanOrEqual(3 * probe.length);
    expect(answers[0]!.data.length).toBeGreaterThanOrEqual(probe.length);
    expect(key(n.server!.currentPath)).toBe('10.0.0.1:5000');
    expect(n.server!.pathCounters.migrations).toBe(0);
    expect(n.server!.isClosed).toBe(false);
  });
});
