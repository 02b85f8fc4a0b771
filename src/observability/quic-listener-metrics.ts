/**
 * The QUIC listeners' own counters (src/quic/transport.ts QuicListenerCounters)
 * as Prometheus families labelled by entrypoint, read when scraped. Dropped
 * datagrams are not here: they count as malformed input
 * (`portico_malformed_requests_total{kind="quic-…"}`).
 */
import type { Registry } from 'prom-client';
import type { QuicListenerCounters } from '../quic/transport.js';
import { scrapeTimeMetric } from './scrape-time-metric.js';

export interface QuicListenerStats {
  readonly counters: QuicListenerCounters;
  /** Connections now open. */
  openConnections(): number;
}

type NumericCounter = Exclude<keyof QuicListenerCounters, 'datagramsDropped'>;

const COUNTERS: Array<[NumericCounter, string, string]> = [
  ['connectionsAccepted', 'portico_quic_connections_accepted_total', 'QUIC connections accepted'],
  ['connectionsRefused', 'portico_quic_connections_refused_total', 'QUIC connections refused before any state (sniStrict, connection limit)'],
  ['connectionsClosed', 'portico_quic_connections_closed_total', 'QUIC connections closed'],
  ['handshakeFailures', 'portico_quic_handshake_failures_total', 'QUIC connections closed before their handshake completed'],
  ['versionNegotiationsSent', 'portico_quic_version_negotiations_sent_total', 'Version Negotiation packets sent'],
  ['retriesSent', 'portico_quic_retries_sent_total', 'Retry packets sent'],
  ['statelessResetsSent', 'portico_quic_stateless_resets_sent_total', 'Stateless resets sent for short-header packets of unknown connections'],
  ['statelessResetsRateLimited', 'portico_quic_stateless_resets_rate_limited_total', 'Stateless resets not sent because of their rate limit'],
];

export class QuicListenerMetrics {
  private readonly listeners = new Map<string, QuicListenerStats>();

  constructor(registry: Registry) {
    for (const [key, name, help] of COUNTERS)
      registry.registerMetric(
        scrapeTimeMetric(name, help, 'counter', () => [...this.listeners].map(([entrypoint, l]) => ({ labels: { entrypoint }, value: l.counters[key] }))),
      );
    registry.registerMetric(
      scrapeTimeMetric('portico_quic_connections_open', 'QUIC connections open now', 'gauge', () =>
        [...this.listeners].map(([entrypoint, l]) => ({ labels: { entrypoint }, value: l.openConnections() })),
      ),
    );
  }

  add(entryPoint: string, listener: QuicListenerStats): void {
    this.listeners.set(entryPoint, listener);
  }

  remove(entryPoint: string): void {
    this.listeners.delete(entryPoint);
  }
}
