/**
 * What every QUIC listener counts and how it answers stateless (drops,
 * stateless resets), shared by the transports so the metrics mean the same
 * whichever one runs.
 */
import type { QuicListenerCounters } from '../transport.js';
import type { StatelessResets } from '../stateless-reset.js';

export function newListenerCounters(): QuicListenerCounters {
  return {
    datagramsDropped: {},
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsClosed: 0,
    handshakeFailures: 0,
    versionNegotiationsSent: 0,
    retriesSent: 0,
    statelessResetsSent: 0,
    statelessResetsRateLimited: 0,
  };
}

/** Counts a datagram dropped without state, by reason, and tells the listener's owner. */
export function countDrop(counters: QuicListenerCounters, onDrop: (reason: string) => void, reason: string): void {
  counters.datagramsDropped[reason] = (counters.datagramsDropped[reason] ?? 0) + 1;
  onDrop(reason);
}

/**
 * The stateless reset answering a short-header packet for a connection we do
 * not know (we restarted, or it closed), or undefined when the packet is too
 * small to answer with a smaller one or resets are over their rate; counted.
 */
export function statelessResetFor(resets: StatelessResets, counters: QuicListenerCounters, dcid: Buffer, length: number): Buffer | undefined {
  const r = resets.reset(dcid, length);
  if ('refused' in r) {
    if (r.refused === 'rate-limited') counters.statelessResetsRateLimited++;
    return undefined;
  }
  counters.statelessResetsSent++;
  return r.packet;
}
