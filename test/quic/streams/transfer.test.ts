/**
 * Client and server ConnectionStreams exchanging requests and responses over
 * a simulated lossy, reordering, duplicating network (seeded): every byte
 * arrives intact and in order, held memory never exceeds the windows, and
 * every stream closes on both sides at the end.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionStreams } from '../../../src/quic/streams/connection-streams.js';
import { patternBytes, randomInt, seededRandom } from '../seeded-random.js';
import { DEFAULT_PARAMETERS, type SentFrame, buildPacket, deliver, makePair, reportFate } from './stream-pair.js';

interface InFlight {
  to: ConnectionStreams;
  from: ConnectionStreams;
  frames: SentFrame[];
  arriveAt: number;
  lost: boolean;
  duplicate: boolean;
}

function simulate(seed: number, lossRate: number, streamCount: number) {
  const random = seededRandom(seed);
  const { client, server } = makePair();
  client.updateRtt(20);
  server.updateRtt(20);
  const requests = new Map<number, Buffer>();
  const received = new Map<number, Buffer[]>(); // server side, per stream
  const responses = new Map<number, Buffer[]>(); // client side
  const expectedResponse = (id: number) => patternBytes(1 + ((id * 7919) % 40_000), id + 1);
  let nextRequest = 0;
  const pendingWrites = new Map<ConnectionStreams, Map<number, { data: Buffer; at: number; end: boolean }>>([
    [client, new Map()],
    [server, new Map()],
  ]);
  const network: InFlight[] = [];
  let maxClientHeld = 0;
  let maxServerHeld = 0;

  const pump = (side: ConnectionStreams, now: number) => {
    // Applications: write what back-pressure allows, read what is ready.
    for (const [id, w] of pendingWrites.get(side)!) {
      while (w.at < w.data.length) {
        const piece = w.data.subarray(w.at, Math.min(w.data.length, w.at + 4000));
        w.at += piece.length;
        if (!side.write(id, piece)) break;
      }
      if (w.at === w.data.length) {
        if (w.end) side.end(id);
        pendingWrites.get(side)!.delete(id);
      }
    }
    for (let e = side.pollEvent(); e !== undefined; e = side.pollEvent()) {
      if (e.type === 'readable') {
        const sink = side === server ? received : responses;
        for (let d = side.read(e.streamId, now); d !== undefined; d = side.read(e.streamId, now)) {
          if (!sink.has(e.streamId)) sink.set(e.streamId, []);
          sink.get(e.streamId)!.push(Buffer.from(d));
        }
        if (side === server && side.readEnded(e.streamId)) {
          const got = Buffer.concat(received.get(e.streamId) ?? []);
          expect(got.equals(requests.get(e.streamId)!), `request ${e.streamId}`).toBe(true);
          pendingWrites.get(server)!.set(e.streamId, { data: expectedResponse(e.streamId), at: 0, end: true });
        }
      } else if (e.type === 'reset' || e.type === 'stop-sending') {
        throw new Error(`unexpected ${e.type} on ${e.streamId}`);
      }
    }
    // Packets: up to 8 per tick per side.
    for (let p = 0; p < 8; p++) {
      const frames = buildPacket(side, 1200);
      if (frames.length === 0) break;
      const to = side === client ? server : client;
      network.push({
        from: side,
        to,
        frames,
        arriveAt: now + 5 + randomInt(random, 15),
        lost: random() < lossRate,
        duplicate: random() < 0.02,
      });
    }
  };

  let now = 0;
  const done = () => nextRequest >= streamCount && client.streamCount === 0 && server.streamCount === 0 && network.length === 0;
  for (; now < 30_000 && !done(); now++) {
    // The client opens requests while the server's stream limit allows.
    while (nextRequest < streamCount) {
      const id = client.openStream('bidi');
      if (id === undefined) break;
      const request = patternBytes(1 + ((nextRequest * 104_729) % 30_000), 1000 + nextRequest);
      requests.set(id, request);
      pendingWrites.get(client)!.set(id, { data: request, at: 0, end: true });
      nextRequest++;
    }
    pump(client, now);
    pump(server, now);
    // Arrivals (and, a round trip later, their fate back at the sender).
    for (let i = 0; i < network.length;) {
      const packet = network[i]!;
      if (packet.arriveAt > now) {
        i++;
        continue;
      }
      network.splice(i, 1);
      if (!packet.lost) {
        deliver(packet.to, packet.frames);
        if (packet.duplicate) deliver(packet.to, packet.frames);
      }
      reportFate(packet.from, packet.frames, !packet.lost);
    }
    maxClientHeld = Math.max(maxClientHeld, client.receiveBufferedBytes);
    maxServerHeld = Math.max(maxServerHeld, server.receiveBufferedBytes);
    for (const side of [client, server]) {
      const fc = side.flowControl;
      expect(side.receiveBufferedBytes).toBeLessThanOrEqual(fc.receiveLimit - fc.consumed);
      expect(fc.received).toBeLessThanOrEqual(fc.receiveLimit);
    }
  }
  return { done: done(), now, client, server, requests, responses, expectedResponse, maxClientHeld, maxServerHeld };
}

describe('ConnectionStreams over a simulated network', () => {
  for (const [seed, loss] of [
    [1, 0],
    [2, 0.05],
    [3, 0.1],
    [4, 0.2],
  ] as const) {
    it(`30 request/response streams with ${loss * 100}% loss, reordering and duplicates arrive intact (seed ${seed})`, () => {
      const result = simulate(seed, loss, 30);
      expect(result.done, `finished by ${result.now} ms`).toBe(true);
      for (const [id, parts] of result.responses) expect(Buffer.concat(parts).equals(result.expectedResponse(id)), `response ${id}`).toBe(true);
      expect(result.responses.size).toBe(30);
      // Nothing left behind, and never more held than the connection window we advertised.
      expect(result.client.streamCount).toBe(0);
      expect(result.server.streamCount).toBe(0);
      expect(result.maxClientHeld).toBeLessThanOrEqual(result.client.flowControl.receiveWindow);
      expect(result.maxServerHeld).toBeLessThanOrEqual(DEFAULT_PARAMETERS.initialMaxData * 16);
      // The counters tell the same story: 30 streams each way opened and closed, nothing reset.
      expect(result.client.counters).toMatchObject({ localStreamsOpened: 30, streamsClosed: 30, resetsReceived: 0, resetsSent: 0 });
      expect(result.server.counters).toMatchObject({ peerStreamsOpened: 30, streamsClosed: 30, stopSendingReceived: 0 });
      // 30 requests against a limit of 8 streams: the client was held back and said so.
      expect(result.client.counters.streamsBlockedSent).toBeGreaterThan(0);
    });
  }
});
