/**
 * Which workers serve HTTP/3 on an entrypoint (`workers: N`). With our own
 * QUIC stack (`http3.quic: portico`) and a Node whose node:dgram has
 * SO_REUSEPORT (22.12 and later), every worker binds the UDP port: the
 * kernel spreads clients over the workers by 4-tuple, each worker's
 * connection IDs carry its id, and datagrams that reach the wrong worker are
 * forwarded (src/quic/udp/worker-forwarder.ts). Otherwise HTTP/3 stays on
 * worker 1, as before, and worker 1 says why, once.
 */
import type { Http3Config } from '../config/static-config.js';
import { quicImplementation } from '../config/quic-implementation.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerDatagramForwarder } from '../quic/udp/worker-forwarder.js';
import type { WorkerRole } from './worker-role.js';

/** node:dgram's `reusePort` arrived in Node 23.1 and 22.12. */
export function dgramHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export type Http3WorkerPlan = { serve: false } | { serve: true; worker?: { id: number; forwarder: WorkerDatagramForwarder } };

export async function http3WorkerPlan(role: WorkerRole | undefined, entryPoint: string, h3: Http3Config, log: Logger): Promise<Http3WorkerPlan> {
  if (!role || role.count <= 1) return { serve: true };
  const ours = quicImplementation(h3) === 'portico';
  if (ours && dgramHasReusePort()) return { serve: true, worker: { id: role.id, forwarder: await role.quicForwarder() } };
  if (role.id !== 1) return { serve: false };
  const why = ours
    ? `Node ${process.versions.node} has no SO_REUSEPORT for UDP (node:dgram reusePort needs Node 22.12 or later)`
    : `http3.quic is ${quicImplementation(h3)} (only our own QUIC stack, http3.quic: portico, the default, runs in every worker)`;
  log.warn({ entryPoint, workers: role.count }, `HTTP/3 runs on worker 1 only: ${why}`);
  return { serve: true };
}
