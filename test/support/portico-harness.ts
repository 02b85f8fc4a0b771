/**
 * Start a real Portico (in-process, real sockets on loopback) from a static
 * config object and dynamic files written to a temp directory.
 */
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { PorticoServer } from '../../src/server/portico-server.js';
import { createLogger } from '../../src/observability/logger.js';
import type { RuntimeConfig } from '../../src/runtime/runtime-config.js';
import { resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export interface Harness {
  server: PorticoServer;
  dir: string;
  dynamicDir: string;
  port(entryPoint: string): number;
  /** Write (or replace) a dynamic file and wait until the new configuration is applied. */
  writeDynamic(name: string, content: string): Promise<RuntimeConfig>;
  stop(): Promise<void>;
}

export async function startPortico(staticDoc: Record<string, unknown>, dynamicFiles: Record<string, string> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-test-'));
  const dynamicDir = join(dir, 'dynamic');
  mkdirSync(dynamicDir);
  for (const [name, content] of Object.entries(dynamicFiles)) writeFileSync(join(dynamicDir, name), content);
  const doc = structuredClone(staticDoc);
  (doc as { providers?: unknown }).providers ??= { file: { directory: dynamicDir, watch: true, debounceMs: 20 } };
  const cfg = validateStaticConfig(doc, dir, 'test');
  const log = createLogger({ level: (process.env.PORTICO_TEST_LOG as 'debug') ?? ('silent' as never), format: 'json' });
  const server = new PorticoServer(cfg, log);
  await server.start();
  return {
    server,
    dir,
    dynamicDir,
    port: (ep) => server.port(ep),
    async writeDynamic(name, content) {
      const next = server.nextApply();
      writeFileSync(join(dynamicDir, name), content);
      return next;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PorticoProcess {
  /** The process id (its /proc/<pid> entries). */
  pid: number;
  /** UDP (HTTP/3) port of the first entrypoint that listens on UDP. */
  udpPort: number;
  log(): string;
  /** Stop the process with this signal (SIGKILL: a crash, no CONNECTION_CLOSE to anyone) and wait for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Send a signal without waiting for anything (SIGUSR1: reopen the access log); false when the process is gone. */
  signal(signal: NodeJS.Signals): boolean;
}

/**
 * Run the built `portico` command (dist/src/cli.js) with a static config file
 * in its own process, as an operator would, and wait until it serves.
 */
/**
 * Waits until HTTP/3 listens and a configuration with at least `minRouters` enabled routers is applied: the
 * internal provider's version can be applied before the file provider's, and a request then would get 404.
 */
export async function spawnPortico(configFile: string, timeoutMs = 15_000, minRouters = 1): Promise<PorticoProcess> {
  const child: ChildProcess = spawn(process.execPath, [resolve('dist/src/cli.js'), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + timeoutMs;
  let udpPort: number | undefined;
  const applied = () => [...log.matchAll(/configuration applied.*?routers[=":]+(\d+)/g)].some((m) => Number(m[1]) >= minRouters);
  while (Date.now() < end && child.exitCode === null) {
    udpPort = Number(/listening \(UDP, HTTP\/3\).* port=(\d+)/.exec(log)?.[1]) || undefined;
    if (udpPort && applied()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!udpPort || !applied()) {
    child.kill('SIGKILL');
    throw new Error(`portico did not start serving HTTP/3 within ${timeoutMs} ms:\n${log}`);
  }
  return {
    pid: child.pid!,
    udpPort,
    log: () => log,
    signal: (signal) => child.exitCode === null && child.signalCode === null && child.kill(signal),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
