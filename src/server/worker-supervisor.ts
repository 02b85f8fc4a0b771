/**
 * The primary process of a multi-process Portico (`workers: N`, see
 * worker-role.ts for what each worker does). It serves no traffic itself:
 * it forks the workers (node:cluster shares the TCP listening sockets among
 * them), hands each the values that must be one across workers, relays
 * worker 1's HTTP/3 state, sums metrics for whichever worker a scrape lands
 * on (prom-client's AggregatorRegistry), restarts a worker that dies, and on
 * SIGTERM/SIGINT lets every worker drain and exits when they have.
 *
 * A worker that exits before it was ready (a port in use, a bad certificate
 * file) is a configuration problem, not a crash: the primary stops the others
 * and exits non-zero, as a single process would.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { GeneratedCertificate } from '../tls/generated-default-certificate.js';
import type { ChallengeChange } from '../acme/challenge-store.js';
import { WORKER_COUNT_ENV, WORKER_ID_ENV, type PrimaryToWorker, type WorkerToPrimary } from './worker-role.js';

export interface SupervisorOptions {
  workers: number;
  generatedDefault: GeneratedCertificate;
  /** How long workers may take to drain on shutdown before they are killed (the longest graceTimeOut, plus a margin). */
  shutdownTimeoutMs: number;
  log: Logger;
}

const RESTART_BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];
/** A worker that stayed up this long is healthy again: its next crash restarts at the shortest backoff. */
const STABLE_AFTER_MS = 60_000;

/** Runs until shutdown; resolves with the process exit code. */
export function superviseWorkers(opts: SupervisorOptions): Promise<number> {
  const { log } = opts;
  const ticketKeys = randomBytes(48).toString('base64');
  const statelessResetKey = randomBytes(32).toString('base64');
  const quicForwardSecret = randomBytes(16).toString('base64');
  /** Each worker's QUIC forwarding port (HTTP/3 in every worker). */
  const forwardPorts: Record<number, number> = {};
  const broadcastForwardPorts = () => {
    for (const s of slots.values()) send(s.worker, { type: 'portico:quic-forward-ports', ports: { ...forwardPorts } });
  };
  const aggregator = new AggregatorRegistry();
  const altSvc = new Map<string, string | null>();
  /** Worker 1's pending ACME challenges, for workers (re)started while an order runs. */
  const acmeChallenges = new Map<string, ChallengeChange>();
  const slots = new Map<number, { worker: Worker; ready: boolean; startedAt: number; crashes: number }>();
  let stopping = false;
  let exitCode = 0;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const send = (w: Worker, m: PrimaryToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  const fork = (id: number, crashes: number) => {
    const worker = cluster.fork({ [WORKER_ID_ENV]: String(id), [WORKER_COUNT_ENV]: String(opts.workers) });
    const slot = { worker, ready: false, startedAt: Date.now(), crashes };
    slots.set(id, slot);
    worker.on('message', (m: WorkerToPrimary) => {
      if (!m || typeof m !== 'object') return;
      if (m.type === 'portico:hello') {
        send(worker, { type: 'portico:init', generatedDefault: opts.generatedDefault, ticketKeys, statelessResetKey, quicForwardSecret });
      } else if (m.type === 'portico:ready') {
        slot.ready = true;
        // A (re)started worker learns the current HTTP/3 state of worker 1.
        for (const [entryPoint, value] of altSvc) send(worker, { type: 'portico:alt-svc', entryPoint, value });
        if (id !== 1) for (const change of acmeChallenges.values()) send(worker, { type: 'portico:acme-challenge', change });
        if ([...slots.values()].every((s) => s.ready)) log.info({ workers: opts.workers }, 'all workers ready');
      } else if (m.type === 'portico:alt-svc' && id === 1) {
        altSvc.set(m.entryPoint, m.value);
        for (const [other, s] of slots) if (other !== 1) send(s.worker, { type: 'portico:alt-svc', entryPoint: m.entryPoint, value: m.value });
      } else if (m.type === 'portico:quic-forward-port') {
        forwardPorts[id] = m.port;
        broadcastForwardPorts();
      } else if (m.type === 'portico:acme-challenge' && id === 1) {
        const key = JSON.stringify(m.change.challenge);
        if (m.change.op === 'add') acmeChallenges.set(key, m.change);
        else acmeChallenges.delete(key);
        for (const [other, s] of slots) if (other !== 1) send(s.worker, m);
      } else if (m.type === 'portico:metrics-request') {
        aggregator.clusterMetrics().then(
          (text) => send(worker, { type: 'portico:metrics', id: m.id, text, contentType: aggregator.contentType }),
          (err: Error) =>
            send(worker, { type: 'portico:metrics', id: m.id, text: `# metrics aggregation failed: ${err.message}\n`, contentType: 'text/plain' }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(id)?.worker !== worker) return;
      slots.delete(id);
      if (forwardPorts[id] !== undefined) {
        delete forwardPorts[id];
        broadcastForwardPorts();
      }
      if (id === 1 && !stopping) {
        // Worker 1's UDP listeners are gone with it: nobody may advertise HTTP/3 until its successor says so.
        for (const entryPoint of altSvc.keys()) {
          altSvc.set(entryPoint, null);
          for (const s of slots.values()) send(s.worker, { type: 'portico:alt-svc', entryPoint, value: null });
        }
      }
      if (stopping) {
        if (slots.size === 0) resolveDone(exitCode);
        return;
      }
      if (!slot.ready) {
        log.fatal({ worker: id, code, signal }, 'worker exited before it was ready; stopping');
        exitCode = 1;
        shutdown('worker failed to start');
        if (slots.size === 0) resolveDone(exitCode);
        return;
      }
      // Crashes in a row, this one included; a worker that had been up for a while starts over at one.
      const n = Date.now() - slot.startedAt > STABLE_AFTER_MS ? 1 : slot.crashes + 1;
      const delay = RESTART_BACKOFF_MS[Math.min(n - 1, RESTART_BACKOFF_MS.length - 1)]!;
      log.error({ worker: id, code, signal, restartInMs: delay }, 'worker died; restarting it');
      setTimeout(() => {
        if (!stopping) fork(id, n);
      }, delay);
    });
  };

  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason, workers: slots.size }, 'stopping workers gracefully');
    for (const s of slots.values()) s.worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const s of slots.values()) s.worker.process.kill('SIGKILL');
    }, opts.shutdownTimeoutMs).unref();
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      for (const s of slots.values()) s.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    shutdown(signal);
    if (slots.size === 0) resolveDone(exitCode);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let id = 1; id <= opts.workers; id++) fork(id, 0);
  log.info({ workers: opts.workers }, 'started workers');
  return done;
}
