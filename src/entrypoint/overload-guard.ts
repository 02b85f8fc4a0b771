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
 * - streams per HTTP/2 connection (`transport.maxConcurrentStreams`) are not
 *   this class's: nghttp2 refuses the extra ones with REFUSED_STREAM itself,
 *   even before the client has acknowledged our SETTINGS, and Node reports no
 *   event for it, so those refusals cannot be counted here;
 * - process memory (`transport.overload.maxHeapUsedMiB`, `maxRssMiB`): while
 *   either is above its threshold every new connection and request is shed.
 */
import type { EntryPointLoad, ShedReason } from '../observability/entrypoint-load-metrics.js';
import { watchProcessMemory } from './process-memory.js';

export interface OverloadLimits {
  /** Requests in progress over all connections of the entrypoint; 0 = no limit. */
  maxActiveRequests: number;
  /** V8 heap in use, bytes; 0 = not watched. */
  maxHeapUsedBytes: number;
  /** Resident set size, bytes; 0 = not watched. */
  maxRssBytes: number;
}

const MIB = 1024 * 1024;

export function overloadLimits(
  transport: { overload?: { maxActiveRequests?: number; maxHeapUsedMiB?: number; maxRssMiB?: number } } | undefined,
): OverloadLimits {
  return {
    maxActiveRequests: transport?.overload?.maxActiveRequests ?? 0,
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

  /** A new request (h1) or stream (h2): the reason to refuse it (counted), or undefined to serve it. */
  refuseRequest(): ShedReason | undefined {
    const reason = this.reasonToRefuse();
    if (reason) this.load.countShed(reason);
    return reason;
  }

  stop(): void {
    this.memory?.stop();
  }

  private reasonToRefuse(): ShedReason | undefined {
    const { maxActiveRequests } = this.limits;
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
