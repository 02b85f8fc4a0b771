/**
 * Active health checks for loadBalancer servers (Traefik's `healthCheck`):
 * a GET to each server's `path` every `interval`; a server that fails (no
 * answer within `timeout`, or a status outside 2xx/3xx) leaves the rotation
 * until it answers again. One checker per service per configuration
 * version; the runtime stops it when a reload replaces it.
 */
import { request, type Dispatcher } from 'undici';
import { parseDurationMs } from '../config/duration.js';
import type { LoadBalancerService } from '../dynamic/model.js';

export interface HealthTarget {
  url: URL;
  healthy: boolean;
}

export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: NonNullable<LoadBalancerService['healthCheck']>,
    private readonly targets: HealthTarget[],
    /** Owned: closed by stop(). Separate from the request pools so probes never queue behind traffic. */
    private readonly dispatcher: Dispatcher,
    private readonly onChange: (target: HealthTarget, healthy: boolean) => void,
  ) {}

  start(): void {
    const interval = parseDurationMs(this.config.interval ?? '30s');
    const tick = async () => {
      await Promise.all(this.targets.map((t) => this.check(t)));
      if (!this.stopped) this.timer = setTimeout(() => void tick(), interval).unref();
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.dispatcher.close().catch(() => undefined);
  }

  private async check(target: HealthTarget): Promise<void> {
    const timeout = parseDurationMs(this.config.timeout ?? '5s');
    const url = new URL(target.url.href);
    if (this.config.scheme) url.protocol = `${this.config.scheme}:`;
    if (this.config.port) url.port = String(this.config.port);
    let ok: boolean;
    try {
      const res = await request(new URL(this.config.path, url), {
        dispatcher: this.dispatcher,
        method: 'GET',
        headers: this.config.hostname ? { host: this.config.hostname } : undefined,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 400;
    } catch {
      ok = false;
    }
    if (this.stopped || ok === target.healthy) return;
    target.healthy = ok;
    this.onChange(target, ok);
  }
}
