/**
 * UDP entrypoints as Prometheus families, read when scraped from plain
 * numbers each entrypoint keeps: sessions open and opened, sessions closed by
 * reason, datagrams and bytes each way, and datagrams dropped by reason (no
 * router, the session table full, a backend that refused them).
 */
import type { Registry } from 'prom-client';
import { scrapeTimeMetric, type MetricValue } from './scrape-time-metric.js';

/** Why a client's datagram was not forwarded. */
export type UdpDropReason = 'no-route' | 'no-backend' | 'sessions-full' | 'send-failed' | 'shutting-down';

/** Why a session ended. */
export type UdpCloseReason = 'idle' | 'backend-error' | 'route-changed' | 'shutdown';

/** What one UDP entrypoint counts; the entrypoint increments, the registry reads. */
export class UdpSessionCounters {
  opened = 0;
  datagramsFromClients = 0;
  datagramsToClients = 0;
  bytesFromClients = 0;
  bytesToClients = 0;
  readonly dropped = new Map<UdpDropReason, number>();
  readonly closed = new Map<UdpCloseReason, number>();

  constructor(readonly openSessions: () => number) {}

  countDrop(reason: UdpDropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  countClose(reason: UdpCloseReason): void {
    this.closed.set(reason, (this.closed.get(reason) ?? 0) + 1);
  }
}

export class UdpSessionMetrics {
  private readonly entryPoints = new Map<string, UdpSessionCounters>();

  constructor(registry: Registry) {
    const each = (f: (entrypoint: string, c: UdpSessionCounters) => MetricValue[]) => () => [...this.entryPoints].flatMap(([n, c]) => f(n, c));
    const both = (from: (c: UdpSessionCounters) => number, to: (c: UdpSessionCounters) => number) =>
      each((entrypoint, c) => [
        { labels: { entrypoint, direction: 'from_client' }, value: from(c) },
        { labels: { entrypoint, direction: 'to_client' }, value: to(c) },
      ]);
    const families = [
      scrapeTimeMetric(
        'portico_udp_sessions_open',
        'UDP sessions (client address ↔ backend) open now',
        'gauge',
        each((entrypoint, c) => [{ labels: { entrypoint }, value: c.openSessions() }]),
      ),
      scrapeTimeMetric(
        'portico_udp_sessions_total',
        'UDP sessions opened',
        'counter',
        each((entrypoint, c) => [{ labels: { entrypoint }, value: c.opened }]),
      ),
      scrapeTimeMetric(
        'portico_udp_sessions_closed_total',
        'UDP sessions closed, by reason (idle timeout, backend error such as ICMP unreachable, route changed by a reload, shutdown)',
        'counter',
        each((entrypoint, c) => [...c.closed].map(([reason, value]) => ({ labels: { entrypoint, reason }, value }))),
      ),
      scrapeTimeMetric(
        'portico_udp_datagrams_total',
        'UDP datagrams relayed, from clients to backends and back',
        'counter',
        both(
          (c) => c.datagramsFromClients,
          (c) => c.datagramsToClients,
        ),
      ),
      scrapeTimeMetric(
        'portico_udp_bytes_total',
        'UDP payload bytes relayed, from clients to backends and back',
        'counter',
        both(
          (c) => c.bytesFromClients,
          (c) => c.bytesToClients,
        ),
      ),
      scrapeTimeMetric(
        'portico_udp_dropped_total',
        'Client datagrams not relayed, by reason (no UDP router, no backend, session table full, send failed, a new client while shutting down)',
        'counter',
        each((entrypoint, c) => [...c.dropped].map(([reason, value]) => ({ labels: { entrypoint, reason }, value }))),
      ),
    ];
    for (const f of families) registry.registerMetric(f);
  }

  add(entryPoint: string, counters: UdpSessionCounters): void {
    this.entryPoints.set(entryPoint, counters);
  }
}
