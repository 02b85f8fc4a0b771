/**
 * The set-up most hostile-client tests share: one real backend and one real
 * Portico in front of it (Host(`app.test`) routed to the backend on every
 * entrypoint), started before the file's tests and stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPortico, type Harness } from './portico-harness.js';
import { startBackend, type Backend } from './backend.js';
import { appRouteTo } from './app-route.js';

export interface PorticoBeforeBackend {
  readonly portico: Harness;
  readonly backend: Backend;
}

export function usePorticoBeforeBackend(entryPoints: Record<string, unknown>): PorticoBeforeBackend {
  const target = {} as { portico: Harness; backend: Backend };
  beforeAll(async () => {
    target.backend = await startBackend();
    target.portico = await startPortico({ entryPoints }, appRouteTo(target.backend.url));
  });
  afterAll(async () => {
    await target.portico?.stop();
    await target.backend?.close();
  });
  return target;
}
