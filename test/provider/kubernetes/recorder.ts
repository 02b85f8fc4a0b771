/** Collects a provider's snapshots and waits, bounded in time, for one that matches. */
import type { ProviderSnapshot } from '../../../src/dynamic/model.js';

export class SnapshotRecorder {
  snapshots: ProviderSnapshot[] = [];
  emit = (s: ProviderSnapshot): void => void this.snapshots.push(s);

  get last(): ProviderSnapshot {
    const s = this.snapshots.at(-1);
    if (!s) throw new Error('no snapshot emitted yet');
    return s;
  }

  /** The latest snapshot once it matches (earlier matches that were superseded do not count). */
  async until(pred: (s: ProviderSnapshot) => boolean, ms = 8000): Promise<ProviderSnapshot> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const s = this.snapshots.at(-1);
      if (s && pred(s)) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = this.snapshots.at(-1);
    throw new Error(`no matching snapshot within ${ms} ms; last routers: ${JSON.stringify(s?.config.http.routers)} errors: ${JSON.stringify(s?.errors)}`);
  }
}

export const urlsOf = (s: ProviderSnapshot): string[] => Object.values(s.config.http.services).flatMap((x) => x.loadBalancer?.servers.map((v) => v.url) ?? []);
export const rulesOf = (s: ProviderSnapshot): string[] =>
  Object.values(s.config.http.routers)
    .map((r) => r.rule)
    .sort();

export async function eventually(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
