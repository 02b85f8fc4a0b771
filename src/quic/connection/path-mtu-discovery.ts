/**
 * Datagram Packetization Layer PMTU Discovery (RFC 8899, RFC 9000 §14.3)
 * for one path, sans-I/O: the connection starts at the 1200 bytes every QUIC
 * path carries, sends PING + PADDING probes of the next larger size once
 * the handshake is confirmed, and raises the size it sends once a probe is
 * acknowledged. A probe is not counted in flight, so its loss is no
 * congestion signal (RFC 9000 §14.4); after three lost probes of one size
 * the search stops at the last size that got through. A new path starts
 * over from 1200.
 */

/** Every QUIC path carries 1200-byte UDP payloads (RFC 9000 §14). */
export const BASE_PLPMTU = 1200;

/** Ethernet's 1500 minus IPv6 (40) and UDP (8) headers: the largest size we search for. */
export const MAX_PLPMTU = 1452;

/** Sizes tried in turn (RFC 8899 §5.3.2 leaves the search method open): common tunnel and IPv4/IPv6 Ethernet payloads. */
const CANDIDATES = [1280, 1350, 1400, 1420, MAX_PLPMTU];

/** Probes of one size lost before the search stops (MAX_PROBES, RFC 8899 §5.1.2). */
const MAX_PROBES = 3;

export interface PathMtuCounters {
  probesSent: number;
  probesLost: number;
  /** Sizes validated by an acknowledged probe. */
  raised: number;
}

export class PathMtuDiscovery {
  /** The largest datagram validated on this path (bytes of UDP payload). */
  current = BASE_PLPMTU;
  readonly counters: PathMtuCounters = { probesSent: 0, probesLost: 0, raised: 0 };
  private candidates: number[];
  private next = 0;
  private failures = 0;
  /** The probe on its way and when it counts as lost if nothing acknowledged it. */
  private probe: { size: number; deadline: number } | undefined;

  constructor(private readonly ceiling = MAX_PLPMTU) {
    this.candidates = CANDIDATES.filter((s) => s <= ceiling);
  }

  /** The peer's max_udp_payload_size: no probe above it (RFC 9000 §14.3). */
  setPeerLimit(maxUdpPayloadSize: number): void {
    this.candidates = CANDIDATES.filter((s) => s <= Math.min(this.ceiling, maxUdpPayloadSize));
  }

  /** The size of the probe to send now, or 0 (one on its way, or the search is over). */
  probeDue(): number {
    if (this.probe) return 0;
    while (this.next < this.candidates.length && this.candidates[this.next]! <= this.current) this.next++;
    return this.candidates[this.next] ?? 0;
  }

  /** No probe on its way and no larger size left to try: the path's size is known. */
  get searchComplete(): boolean {
    return this.probe === undefined && this.probeDue() === 0;
  }

  onProbeSent(size: number, now: number, timeoutMs: number): void {
    this.probe = { size, deadline: now + timeoutMs };
    this.counters.probesSent++;
  }

  /** A probe of `size` was acknowledged: true when the path's size went up to it. */
  onProbeAcknowledged(size: number): boolean {
    if (this.probe?.size === size) this.probe = undefined;
    if (size <= this.current) return false;
    this.current = size;
    this.failures = 0;
    this.counters.raised++;
    return true;
  }

  /** A probe of `size` was declared lost (by recovery, or by its own deadline). */
  onProbeLost(size: number): void {
    if (this.probe?.size !== size) return;
    this.probe = undefined;
    this.counters.probesLost++;
    // Three strikes: the path does not carry this size; the search ends at the current one.
    if (++this.failures >= MAX_PROBES) this.candidates = this.candidates.filter((s) => s < size);
  }

  /** When handleTimeout must run (the probe's deadline), Infinity when none. */
  nextTimeout(): number {
    return this.probe?.deadline ?? Infinity;
  }

  handleTimeout(now: number): void {
    if (this.probe && now >= this.probe.deadline) this.onProbeLost(this.probe.size);
  }

  /** A new path: back to the base size, the search starts again (RFC 9000 §14.3: PMTU is per path). */
  reset(): void {
    this.current = BASE_PLPMTU;
    this.next = 0;
    this.failures = 0;
    this.probe = undefined;
    this.candidates = CANDIDATES.filter((s) => s <= this.ceiling);
  }
}
