/**
 * The overload policy of one TCP entrypoint, after Envoy's overload manager:
 * above a limit, shed new work as early and as cheaply as possible instead of
 * slowing everything down, and count every refusal by the limit reached.
 *
 * - connections (`transport.maxConnections`): the listener closes them at
 *   accept (Node's net.Server does; we count its 'drop'); under memory
 *   pressure new connections are closed at accept too;
 * - requests in progress over the whole entrypoint
 *   (`transport.overload.maxActiveRequests`): HTTP/1.1 gets 503 with
 *   `connection: close`, HTTP/2 streams RST_STREAM(REFUSED_STREAM), which
 *   tells the client the request was not processed and may be retried;
 * - streams per HTTP/2 connection (`transport.maxConcurrentStreams`):
 *   advertised in SETTINGS and enforced by nghttp2; checked again here because
 *   a client may open more before it has acknowledged our SETTINGS;
 * - process memory (`transport.overload.maxHeapUsedMiB`, `maxRssMiB`): while
 *   either is above its threshold every new connection and request is shed.
 */
import type { EntryPointLoad, ShedReason } from '../observability/entrypoint-load-metrics.js';
import { watchProcessMemory } from './process-memory.js';

export interface OverloadLimits {
  /** Requests in progress over all connections of the entrypoint; 0 = no limit. */
  maxActiveRequests: number;
  /** Streams open on one HTTP/2 connection. */
  maxStreamsPerConnection: number;
  /** V8 heap in use, bytes; 0 = not watched. */
  maxHeapUsedBytes: number;
  /** Resident set size, bytes; 0 = not watched. */
  maxRssBytes: number;
}

const MIB = 1024 * 1024;

export function overloadLimits(
  transport: { maxConcurrentStreams?: number; overload?: { maxActiveRequests?: number; maxHeapUsedMiB?: number; maxRssMiB?: number } } | undefined,
): OverloadLimits {
  return {
    maxActiveRequests: transport?.overload?.maxActiveRequests ?? 0,
    maxStreamsPerConnection: transport?.maxConcurrentStreams ?? 250,
    maxHeapUsedBytes: (transport?.overload?.maxHeapUsedMiB ?? 0) * MIB,
    maxRssBytes: (transport?.overload?.maxRssMiB ?? 0) * MIB,
  };
}

export class OverloadGuard {
  private readonly memory: ReturnType<typeof watchProcessMemory> | undefined;

  constructor(
    private readonly limits: OverloadLimits,
    private readonly load: EntryPointLoad,
  ) {
    this.memory = limits.maxHeapUsedBytes > 0 || limits.maxRssBytes > 0 ? watchProcessMemory() : undefined;
  }

  /** A new TCP connection: false means close it now (counted). */
  admitConnection(): boolean {
    if (!this.underMemoryPressure()) return true;
    this.load.countShed('memory');
    return false;
  }

  /** The listener closed a connection at accept because maxConnections were open. */
  connectionDropped(): void {
    this.load.countShed('connections');
  }

  /** A new request (h1) or stream (h2, with the streams its connection has open): the reason to refuse it (counted), or undefined to serve it. */
  refuseRequest(connectionStreams = 0): ShedReason | undefined {
    const reason = this.reasonToRefuse(connectionStreams);
    if (reason) this.load.countShed(reason);
    return reason;
  }

  stop(): void {
    this.memory?.stop();
  }

  private reasonToRefuse(connectionStreams: number): ShedReason | undefined {
    const { maxActiveRequests, maxStreamsPerConnection } = this.limits;
    if (connectionStreams >= maxStreamsPerConnection) return 'streams-per-connection';
    if (maxActiveRequests > 0 && this.load.activeRequests() >= maxActiveRequests) return 'requests';
    if (this.underMemoryPressure()) return 'memory';
    return undefined;
  }

  private underMemoryPressure(): boolean {
    if (!this.memory) return false;
    const m = this.memory.current();
    return (
      (this.limits.maxHeapUsedBytes > 0 && m.heapUsedBytes > this.limits.maxHeapUsedBytes) ||
      (this.limits.maxRssBytes > 0 && m.rssBytes > this.limits.maxRssBytes)
    );
  }
}
