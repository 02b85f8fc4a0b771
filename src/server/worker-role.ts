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
 * cannot move between processes: with our own QUIC stack on Node >= 22.12
 * every worker binds the UDP port with SO_REUSEPORT, its connection IDs
 * carry its id, and a datagram that reaches the wrong worker (after a
 * migration) is forwarded to the right one (worker-http3.ts); otherwise only
 * worker 1 serves HTTP/3, tells the primary when its listeners come up, and
 * the primary tells the other workers, so that every worker advertises
 * Alt-Svc exactly while the UDP side is live. Writes to the Kubernetes API
 * (Ingress status, Events) are left to worker 1 as well, and so are ACME
 * orders: worker 1 writes the storage file the others follow, and its
 * pending challenges are relayed to them, since the CA may reach any worker.
 */
import type { GeneratedCertificate } from '../tls/generated-default-certificate.js';
import { WorkerDatagramForwarder } from '../quic/udp/worker-forwarder.js';
import type { ChallengeChange } from '../acme/challenge-store.js';

/** Messages between the primary and a worker; `portico:` keeps them apart from prom-client's own. */
export type PrimaryToWorker =
  | { type: 'portico:init'; generatedDefault: GeneratedCertificate; ticketKeys: string; statelessResetKey: string; quicForwardSecret: string }
  /** Every worker's QUIC forwarding port (HTTP/3 in every worker), sent whenever one changes. */
  | { type: 'portico:quic-forward-ports'; ports: Record<number, number> }
  | { type: 'portico:alt-svc'; entryPoint: string; value: string | null }
  | { type: 'portico:metrics'; id: number; text: string; contentType: string }
  | { type: 'portico:acme-challenge'; change: ChallengeChange };

export type WorkerToPrimary =
  /** Sent once the worker listens for messages (anything sent earlier would be lost), asking for init. */
  | { type: 'portico:hello' }
  | { type: 'portico:ready' }
  | { type: 'portico:alt-svc'; entryPoint: string; value: string | null }
  | { type: 'portico:metrics-request'; id: number }
  | { type: 'portico:quic-forward-port'; port: number }
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
  /**
   * This worker's HTTP/3 listener on an entrypoint is live (value) or gone
   * (null). Worker 1's is relayed to the others; a worker with a listener of
   * its own (HTTP/3 in every worker) keeps its own value and ignores relays.
   */
  announceAltSvc(entryPoint: string, value: string | null): void;
  /** This worker's end of the datagram forwarding between workers (bound on first use; its port goes to the others). */
  quicForwarder(): Promise<WorkerDatagramForwarder>;
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
  /** Entrypoints where this worker (not worker 1) serves HTTP/3 itself. */
  const ownHttp3 = new Set<string>();
  let forwarder: Promise<WorkerDatagramForwarder> | undefined;
  let forwardSecret: Buffer | undefined;
  let forwardPorts: Record<number, number> = {};
  const challengeListeners: Array<(change: ChallengeChange) => void> = [];
  const pending = new Map<number, (r: { text: string; contentType: string }) => void>();
  let nextId = 1;
  return new Promise((resolve) => {
    process.on('message', (m: PrimaryToWorker) => {
      if (!m || typeof m !== 'object') return;
      if (m.type === 'portico:init') {
        forwardSecret = Buffer.from(m.quicForwardSecret, 'base64');
        resolve({
          id,
          count,
          generatedDefault: m.generatedDefault,
          ticketKeys: Buffer.from(m.ticketKeys, 'base64'),
          statelessResetKey: Buffer.from(m.statelessResetKey, 'base64'),
          announceAltSvc: (entryPoint, value) => {
            if (id === 1) return send({ type: 'portico:alt-svc', entryPoint, value });
            if (value) ownHttp3.add(entryPoint);
            else ownHttp3.delete(entryPoint);
            for (const l of altSvcListeners) l(entryPoint, value);
          },
          quicForwarder: () =>
            (forwarder ??= (async () => {
              const f = new WorkerDatagramForwarder(id, forwardSecret!);
              const port = await f.bind();
              f.setPeers(forwardPorts);
              send({ type: 'portico:quic-forward-port', port });
              return f;
            })()),
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
        if (ownHttp3.has(m.entryPoint)) return;
        for (const l of altSvcListeners) l(m.entryPoint, m.value);
      } else if (m.type === 'portico:quic-forward-ports') {
        forwardPorts = m.ports;
        void forwarder?.then((f) => f.setPeers(m.ports));
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
