/**
 * What one worker of a multi-process Portico (`workers: N`) knows of the
 * others, and the messages it exchanges with the primary (worker-supervisor.ts).
 *
 * Every worker runs a whole PorticoServer on the same static configuration:
 * its own providers, routing tables and upstream pools, accepting TCP
 * connections from the shared listening sockets (node:cluster). What must be
 * one across workers comes from the primary: the generated default
 * certificate (one fingerprint, as a single process has), TLS session-ticket
 * keys (a resumed session may land on another worker), the QUIC
 * stateless-reset key (a restarted worker 1 can still reset the connections
 * of the one before it), and Prometheus
 * metrics, which the primary sums over all workers. QUIC connection state
 * cannot move between processes, so only worker 1 serves HTTP/3 on the
 * entrypoints' UDP ports; it tells the primary when its listeners come up,
 * and the primary tells the other workers, so that every worker advertises
 * Alt-Svc exactly while the UDP side is live. Writes to the Kubernetes API
 * (Ingress status, Events) are left to worker 1 as well, and so are ACME
 * orders: worker 1 writes the storage file the others follow, and its
 * pending challenges are relayed to them, since the CA may reach any worker.
 */
import type { GeneratedCertificate } from '../tls/generated-default-certificate.js';
import type { ChallengeChange } from '../acme/challenge-store.js';

/** Messages between the primary and a worker; `portico:` keeps them apart from prom-client's own. */
export type PrimaryToWorker =
  | { type: 'portico:init'; generatedDefault: GeneratedCertificate; ticketKeys: string; statelessResetKey: string }
  | { type: 'portico:alt-svc'; entryPoint: string; value: string | null }
  | { type: 'portico:metrics'; id: number; text: string; contentType: string }
  | { type: 'portico:acme-challenge'; change: ChallengeChange };

export type WorkerToPrimary =
  /** Sent once the worker listens for messages (anything sent earlier would be lost), asking for init. */
  | { type: 'portico:hello' }
  | { type: 'portico:ready' }
  | { type: 'portico:alt-svc'; entryPoint: string; value: string | null }
  | { type: 'portico:metrics-request'; id: number }
  /** Worker 1 orders ACME certificates; the CA's validation may reach any worker, so its pending challenges go to all. */
  | { type: 'portico:acme-challenge'; change: ChallengeChange };

export interface WorkerRole {
  /** 1..count; worker 1 owns the UDP side and the Kubernetes writes. */
  readonly id: number;
  readonly count: number;
  readonly generatedDefault: GeneratedCertificate;
  /** 48 bytes for tls.Server ticketKeys, the same in every worker. */
  readonly ticketKeys: Buffer;
  /** QUIC stateless-reset key for entrypoints that configure none: outlives a restart of worker 1. */
  readonly statelessResetKey: Buffer;
  /** Worker 1: its HTTP/3 listener on an entrypoint is live (value) or gone (null). */
  announceAltSvc(entryPoint: string, value: string | null): void;
  /** Other workers: called with worker 1's Alt-Svc changes. */
  onAltSvc(listener: (entryPoint: string, value: string | null) => void): void;
  /** Worker 1: an ACME challenge it added or removed. */
  announceAcmeChallenge(change: ChallengeChange): void;
  /** Other workers: called with worker 1's ACME challenge changes. */
  onAcmeChallenge(listener: (change: ChallengeChange) => void): void;
  /** Metrics of all workers, summed by the primary. */
  clusterMetrics(): Promise<{ text: string; contentType: string }>;
  ready(): void;
}

export const WORKER_ID_ENV = 'PORTICO_WORKER_ID';
export const WORKER_COUNT_ENV = 'PORTICO_WORKER_COUNT';

/** Longer than prom-client's own 5 s aggregation timeout, so its error reaches the scrape first. */
const METRICS_TIMEOUT_MS = 7_000;

/** In a worker process: wait for the primary's init message and return the role. */
export function joinCluster(): Promise<WorkerRole> {
  const id = Number(process.env[WORKER_ID_ENV]);
  const count = Number(process.env[WORKER_COUNT_ENV]);
  const send = (m: WorkerToPrimary) => process.send?.(m);
  const altSvcListeners: Array<(entryPoint: string, value: string | null) => void> = [];
  const challengeListeners: Array<(change: ChallengeChange) => void> = [];
  const pending = new Map<number, (r: { text: string; contentType: string }) => void>();
  let nextId = 1;
  return new Promise((resolve) => {
    process.on('message', (m: PrimaryToWorker) => {
      if (!m || typeof m !== 'object') return;
      if (m.type === 'portico:init') {
        resolve({
          id,
          count,
          generatedDefault: m.generatedDefault,
          ticketKeys: Buffer.from(m.ticketKeys, 'base64'),
          statelessResetKey: Buffer.from(m.statelessResetKey, 'base64'),
          announceAltSvc: (entryPoint, value) => send({ type: 'portico:alt-svc', entryPoint, value }),
          onAltSvc: (l) => altSvcListeners.push(l),
          announceAcmeChallenge: (change) => send({ type: 'portico:acme-challenge', change }),
          onAcmeChallenge: (l) => challengeListeners.push(l),
          clusterMetrics: () =>
            new Promise((done, fail) => {
              const reqId = nextId++;
              const timer = setTimeout(() => {
                pending.delete(reqId);
                fail(new Error('the primary did not answer the metrics request'));
              }, METRICS_TIMEOUT_MS);
              pending.set(reqId, (r) => {
                clearTimeout(timer);
                done(r);
              });
              send({ type: 'portico:metrics-request', id: reqId });
            }),
          ready: () => send({ type: 'portico:ready' }),
        });
      } else if (m.type === 'portico:alt-svc') {
        for (const l of altSvcListeners) l(m.entryPoint, m.value);
      } else if (m.type === 'portico:acme-challenge') {
        for (const l of challengeListeners) l(m.change);
      } else if (m.type === 'portico:metrics') {
        const done = pending.get(m.id);
        pending.delete(m.id);
        done?.({ text: m.text, contentType: m.contentType });
      }
    });
    send({ type: 'portico:hello' });
  });
}
