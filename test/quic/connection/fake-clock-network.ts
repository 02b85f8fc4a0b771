import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { QuicConnection, type ConnectionEvent, type PeerAddress, type QuicConnectionOptions } from '../../../src/quic/connection/quic-connection.js';
import { PacketHeader, parsePacketHeader } from '../../../src/quic/packet/packet-header.js';
import { ScriptedTls } from './scripted-tls.js';

/** An in-memory client/server pair on a fake clock: `step` moves datagrams once and says how many. */
export interface SteppedNetwork {
  now: number;
  client: QuicConnection;
  server: QuicConnection | undefined;
  step(): number;
  collect?(): void;
}

/** Runs rounds, advancing the clock to the next timer when nothing moves, until `done` or the time limit. */
export function runNetwork(n: SteppedNetwork, done: () => boolean, limitMs: number): void {
  const end = n.now + limitMs;
  for (let i = 0; i < 10_000 && !done() && n.now < end; i++) {
    if (n.step() > 0) {
      n.now += 1; // a millisecond of "network" per round
      continue;
    }
    const next = Math.min(n.client.nextTimeout(), n.server?.nextTimeout() ?? Infinity);
    if (next === Infinity) break;
    n.now = Math.max(n.now + 1, next);
    n.client.handleTimeout(n.now);
    n.server?.handleTimeout(n.now);
    n.collect?.();
  }
}

export const addressKey = (a: PeerAddress | undefined) => (a ? `${a.address}:${a.port}` : '?');
const key = addressKey;

/** Client and server with addresses: the server's datagrams reach the client only at its current address. */
export class AddressedNetwork {
  now = 1000;
  client: QuicConnection;
  server: QuicConnection | undefined;
  clientAddress: PeerAddress = { address: '10.0.0.1', port: 5000, family: 'IPv4' };
  serverEvents: ConnectionEvent[] = [];
  /** Bytes by address: server → that address, and that address → server. */
  sentTo = new Map<string, number>();
  receivedFrom = new Map<string, number>();
  /** Every datagram the server sent, with where it went. */
  log: { to: string; data: Buffer }[] = [];
  dropToServer: (d: Buffer) => boolean = () => false;
  dropToClient: (d: Buffer, to: string) => boolean = () => false;
  private readonly destinations: (PeerAddress | undefined)[] = [];

  constructor(private readonly serverOptions: Partial<QuicConnectionOptions> = {}) {
    this.client = new QuicConnection({
      role: 'client',
      localCid: randomBytes(8),
      remoteCid: randomBytes(8),
      createTls: (b) => new ScriptedTls('client', b, 'TLS_AES_128_GCM_SHA256'),
      now: this.now,
    });
  }

  deliverToServer(d: Buffer, from: PeerAddress): void {
    if (!this.server) {
      const h = new PacketHeader();
      parsePacketHeader(d, 0, 8, h);
      this.server = new QuicConnection({
        role: 'server',
        localCid: randomBytes(8),
        remoteCid: Buffer.from(h.scid),
        originalDcid: Buffer.from(h.dcid),
        createTls: (b) => new ScriptedTls('server', b, 'TLS_AES_128_GCM_SHA256'),
        now: this.now,
        peerAddress: from,
        ...this.serverOptions,
      });
    }
    this.receivedFrom.set(key(from), (this.receivedFrom.get(key(from)) ?? 0) + d.length);
    this.server.receiveDatagram(d, this.now, { ...from });
  }

  step(): number {
    let moved = 0;
    for (const d of this.client.sendDatagrams(this.now)) {
      if (this.dropToServer(d)) continue;
      this.deliverToServer(d, this.clientAddress);
      moved++;
    }
    if (this.server) {
      const out = this.server.sendDatagrams(this.now, this.destinations);
      expect(this.destinations.length).toBe(out.length);
      out.forEach((d, i) => {
        const to = key(this.destinations[i]);
        this.log.push({ to, data: d });
        this.sentTo.set(to, (this.sentTo.get(to) ?? 0) + d.length);
        if (to !== key(this.clientAddress) || this.dropToClient(d, to)) return;
        this.client.receiveDatagram(d, this.now);
        moved++;
      });
    }
    this.collect();
    return moved;
  }

  collect(): void {
    for (let e = this.server?.pollEvent(); e; e = this.server?.pollEvent()) this.serverEvents.push(e);
  }

  run(done: () => boolean, limitMs = 20_000): void {
    runNetwork(this, done, limitMs);
  }

  established(): void {
    this.run(() => this.client.isHandshakeConfirmed && !!this.server?.isHandshakeConfirmed);
    expect(this.server!.isHandshakeConfirmed).toBe(true);
  }

  /** Client sends `size` bytes on a new stream and the server reads them all (echoing nothing). */
  transfer(size: number): Buffer {
    const id = this.client.streams.openStream('bidi')!;
    const data = randomBytes(size);
    this.client.streams.write(id, data);
    this.client.streams.end(id);
    const got: Buffer[] = [];
    let length = 0;
    const s = this.server!.streams;
    this.run(() => {
      for (let e = s.pollEvent(); e; e = s.pollEvent()) {
        if (e.type !== 'readable') continue;
        for (let d = s.read(e.streamId, this.now); d; d = s.read(e.streamId, this.now)) {
          if (e.streamId !== id) continue; // an earlier test stream: read and dropped
          got.push(Buffer.from(d));
          length += d.length;
        }
      }
      return length >= size && s.readEnded(id);
    });
    return Buffer.concat(got);
  }
}
