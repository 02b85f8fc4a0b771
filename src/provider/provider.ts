/**
 * A provider turns a source (files, the Kubernetes API) into dynamic
 * configuration and knows nothing of serving. It emits a complete snapshot of
 * its view each time that view changes; the aggregator qualifies, merges and
 * throttles snapshots from all providers.
 */
import type { ProviderSnapshot } from '../dynamic/model.js';

export interface Provider {
  /** Lower-case provider name used to qualify names: `file`, `kubernetescrd`, `kubernetesingress`. */
  readonly name: string;
  /** Begin watching; call `emit` with the first full snapshot as soon as it is known, then on every change. */
  start(emit: (snapshot: ProviderSnapshot) => void): Promise<void>;
  /** Stop watching and release every resource (sockets, watchers, timers). */
  stop(): Promise<void>;
}
