/**
 * DPLPMTUD (RFC 8899, RFC 9000 §14.3) between two real loopback peers: our
 * client connection over a UDP socket and our server (PorticoListener),
 * through a relay that drops every datagram above a size, both ways — a
 * path with a smaller MTU than the peers'. Both ends start at 1200 bytes,
 * probe upwards with PING + PADDING, settle on the largest size the relay
 * lets through (lost probes are no congestion signal), and a 100 KB
 * response crosses the path whole at that size.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { QuicConnection } from '../../../src/quic/connection/quic-connection.js';
import { BASE_PLPMTU, MAX_PLPMTU, PathMtuDiscovery } from '../../../src/quic/connection/path-mtu-discovery.js';
import { createQuicTlsClient } from '../../../src/quic/tls13/index.js';
import { porticoTransport } from '../../../src/quic/udp/portico-transport.js';
import { RandomConnectionIdGenerator } from '../../../src/quic/connection-id.js';
import type { QuicConnection as TransportConnection, QuicListener } from '../../../src/quic/transport.js';
import { TestPki } from '../../support/pki.js';

const pki = new TestPki('PMTU test CA');
const leaf = pki.issue('server', ['localhost']);
const RESPONSE = 100_000;
const cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

/** Our server: answers each request stream's FIN with RESPONSE bytes. */
async function server(): Promise<{ listener: QuicListener; accepted: TransportConnection[] }> {
  const accepted: TransportConnection[] = [];
  const listener = await porticoTransport.listen({
    host: '127.0.0.1',
    port: 0,
    alpn: ['h3'],
    connectionIds: new RandomConnectionIdGenerator(16),
    idleTimeoutMs: 10_000,
    maxConnections: 10,
    maxStreamsBidi: 10,
    selectCertificate: () => ({ certPem: leaf.certPem, keyPem: leaf.keyPem, fingerprint: 'leaf' }),
    onDrop: () => {},
    log: () => {},
    onConnection: (c) => {
      accepted.push(c);
      c.events = {
        established: () => {},
        streamData: (id, _data, fin) => {
          if (fin) c.writeStream(id, Buffer.alloc(RESPONSE, 0x61), true);
        },
        streamReset: () => {},
        streamStopSending: () => {},
        closed: () => {},
      };
    },
  });
  cleanup.push(() => listener.close());
  return { listener, accepted };
}

/** A UDP relay between one client and the server that drops datagrams longer than `limit`, in both directions. */
async function relay(serverPort: number, limit: number): Promise<{ port: number; dropped: number[] }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => back.bind(0, '127.0.0.1', r))]);
  const dropped: number[] = [];
  let client: { address: string; port: number } | undefined;
  front.on('message', (m, rinfo) => {
    client = rinfo;
    if (m.length > limit) dropped.push(m.length);
    else back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    if (m.length > limit) dropped.push(m.length);
    else if (client) front.send(m, client.port, client.address);
  });
  cleanup.push(() => {
    front.close();
    back.close();
  });
  return { port: front.address().port, dropped };
}

/**
 * Our client over a UDP socket: connects, sends one request stream, reads
 * the response, and keeps running (acknowledging the server's probes) until
 * `serverDone` too; resolves with what it read.
 */
async function fetchThrough(port: number, serverDone: () => boolean): Promise<{ client: QuicConnection; received: number; sentSizes: Set<number> }> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanup.push(() => socket.close());
  const client = new QuicConnection({
    role: 'client',
    localCid: randomBytes(8),
    remoteCid: randomBytes(8),
    now: performance.now(),
    maxDatagramSize: MAX_PLPMTU,
    pathMtuDiscovery: true,
    createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], insecure: true, now: () => Date.now() }),
  });
  socket.on('message', (m, rinfo) => client.receiveDatagram(m, performance.now(), { address: rinfo.address, port: rinfo.port, family: 'IPv4' }));
  const sentSizes = new Set<number>();
  let stream: number | undefined;
  let received = 0;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !client.isClosed) {
    const now = performance.now();
    if (now >= client.nextTimeout()) client.handleTimeout(now);
    if (client.isEstablished && stream === undefined) {
      stream = client.streams.openStream('bidi')!;
      client.streams.write(stream, Buffer.from('GET'));
      client.streams.end(stream);
    }
    if (stream !== undefined) {
      for (let d = client.streams.read(stream, now); d; d = client.streams.read(stream, now)) received += d.length;
      for (let e = client.streams.pollEvent(); e; e = client.streams.pollEvent());
      // Done once the response is in and both ends finished their search.
      if (client.streams.readEnded(stream) && client.pathMtu!.searchComplete && serverDone()) break;
    }
    for (const d of client.sendDatagrams(now)) {
      sentSizes.add(d.length);
      socket.send(d, port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { client, received, sentSizes };
}

describe('path MTU discovery over loopback', () => {
  it('through a relay that drops datagrams over 1400 bytes: both ends settle on 1400, probe losses are no congestion, the response arrives whole', async () => {
    const { listener, accepted } = await server();
    const path = await relay(listener.port, 1400);
    // The server's search ends when three probes of 1420 were lost.
    const { client, received, sentSizes } = await fetchThrough(path.port, () => Number(accepted[0]?.stats().mtuProbesLost ?? 0) >= 3);
    expect(received).toBe(RESPONSE);
    const stats = accepted[0]!.stats();
    expect(stats.datagramSize).toBe(1400);
    expect(client.stats().datagramSize).toBe(1400);
    expect(Math.max(...sentSizes)).toBeGreaterThan(1400); // the client did probe above it
    expect(path.dropped.length).toBeGreaterThan(0);
    expect(path.dropped.every((n) => n > 1400)).toBe(true);
    // Probes are not in flight: their loss opened no recovery period, and no data was lost.
    expect(stats.mtuProbesLost).toBeGreaterThanOrEqual(3);
    expect(stats.congestionEvents).toBe(0);
    expect(stats.bytesLost).toBe(0);
    expect(client.stats().recovery.congestionEvents).toBe(0);
  }, 30_000);

  it('on a path that carries everything: both ends reach 1452', async () => {
    const { listener, accepted } = await server();
    const path = await relay(listener.port, 65_535);
    const { client, received } = await fetchThrough(path.port, () => accepted[0]?.stats().datagramSize === MAX_PLPMTU);
    expect(received).toBe(RESPONSE);
    expect(accepted[0]!.stats().datagramSize).toBe(MAX_PLPMTU);
    expect(client.stats().datagramSize).toBe(MAX_PLPMTU);
  }, 30_000);
});

describe('PathMtuDiscovery', () => {
  it('probes the next size when nothing is on its way, raises on an acknowledgement, gives a size up after three losses, starts over on reset', () => {
    const d = new PathMtuDiscovery();
    expect(d.current).toBe(BASE_PLPMTU);
    expect(d.probeDue()).toBe(1280);
    d.onProbeSent(1280, 0, 100);
    expect(d.probeDue()).toBe(0);
    expect(d.onProbeAcknowledged(1280)).toBe(true);
    expect(d.current).toBe(1280);
    expect(d.probeDue()).toBe(1350);
    for (let i = 0; i < 3; i++) {
      d.onProbeSent(1350, i * 100, 100);
      d.handleTimeout(i * 100 + 100);
    }
    expect(d.current).toBe(1280);
    expect(d.probeDue()).toBe(0);
    d.reset();
    expect(d.current).toBe(BASE_PLPMTU);
    expect(d.probeDue()).toBe(1280);
  });

  it("never probes above the peer's max_udp_payload_size or the ceiling", () => {
    const d = new PathMtuDiscovery(1400);
    d.setPeerLimit(1350);
    expect(d.probeDue()).toBe(1280);
    d.onProbeSent(1280, 0, 100);
    d.onProbeAcknowledged(1280);
    expect(d.probeDue()).toBe(1350);
    d.onProbeSent(1350, 0, 100);
    d.onProbeAcknowledged(1350);
    expect(d.probeDue()).toBe(0);
  });
});
