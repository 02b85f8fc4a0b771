/**
 * Health a service reports to the service that uses it (Traefik's status
 * updaters): a load balancer with an active health check is up while one of
 * its servers is; a weighted, mirroring or failover service with
 * `healthCheck: {}` is up while one of its children is. Failover switches on
 * it, weighted services skip the children that are down. Listeners are told
 * only when the status flips.
 */
export class ServiceHealth {
  private listeners: Array<(up: boolean) => void> = [];
  private current: boolean;

  constructor(up = true) {
    this.current = up;
  }

  get up(): boolean {
    return this.current;
  }

  set(up: boolean): void {
    if (up === this.current) return;
    this.current = up;
    for (const listener of this.listeners) listener(up);
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }
}

/** Up while any of `children` is up; follows them. */
export function anyUp(children: readonly ServiceHealth[]): ServiceHealth {
  const health = new ServiceHealth(children.some((c) => c.up));
  for (const child of children) child.onChange(() => health.set(children.some((c) => c.up)));
  return health;
}
