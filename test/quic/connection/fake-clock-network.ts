import type { QuicConnection } from '../../../src/quic/connection/quic-connection.js';

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
