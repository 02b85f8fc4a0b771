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
import type { RuntimeConfig } from '../../src/server/runtime-builder.js';

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
  const log = createLogger({ level: (process.env.PORTICO_TEST_LOG as 'debug') ?? 'silent' as never, format: 'json' });
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
