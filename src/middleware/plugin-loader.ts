/**
 * Load plugin middleware types from `experimental.plugins`: each entry names
 * an ES module (compiled JavaScript; a path relative to the static config's
 * directory, an absolute path, or a package name) whose default export is a
 * MiddlewareType — what `defineMiddleware` from plugins/sdk returns.
 * A broken plugin is reported with its name and file; it never stops Portico.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MiddlewareType } from './middleware-type.js';

/** A module whose top level never finishes (awaiting a network call, say) must not hang start-up. */
const IMPORT_TIMEOUT_MS = 10_000;

function describeExport(value: unknown): string {
  if (value === undefined) return 'no default export';
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const keys = Object.keys(value);
  return `an object with ${keys.length ? keys.join(', ') : 'no fields'}`;
}

function isMiddlewareType(t: unknown): t is MiddlewareType {
  const m = t as Partial<MiddlewareType> | null | undefined;
  return (
    !!m &&
    typeof m.type === 'string' &&
    m.type.length > 0 &&
    typeof m.build === 'function' &&
    (m.validate === undefined || typeof m.validate === 'function') &&
    (m.optionsSchema === undefined || (typeof m.optionsSchema === 'object' && m.optionsSchema !== null))
  );
}

async function importWithTimeout(specifier: string, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the module did not finish loading within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([import(specifier), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function loadPlugins(
  config: Record<string, { module: string }>,
  baseDir: string,
  options: { importTimeoutMs?: number } = {},
): Promise<{ types: MiddlewareType[]; errors: string[] }> {
  const types: MiddlewareType[] = [];
  const errors: string[] = [];
  for (const [name, entry] of Object.entries(config)) {
    const module = (entry as { module?: unknown } | null)?.module;
    if (typeof module !== 'string' || !module) {
      errors.push(`experimental.plugins.${name}: set "module" to the plugin's compiled .js file (relative to the static configuration) or package name`);
      continue;
    }
    const isPath = module.startsWith('.') || isAbsolute(module);
    const file = isPath ? resolve(baseDir, module) : module;
    const where = `experimental.plugins.${name} (${file})`;
    try {
      if (/\.[cm]?tsx?$/.test(module))
        throw new Error(
          'plugins are loaded as compiled JavaScript; point "module" at the .js file tsc produced (npm run build puts the examples in dist/plugins/)',
        );
      if (isPath && !existsSync(file)) throw new Error("no such file; paths are relative to the static configuration file's directory");
      const mod = (await importWithTimeout(isPath ? pathToFileURL(file).href : module, options.importTimeoutMs ?? IMPORT_TIMEOUT_MS)) as { default?: unknown };
      const t = mod.default;
      if (!isMiddlewareType(t))
        throw new Error(
          `the default export must be a middleware type { type, validate, build } (use defineMiddleware from plugins/sdk); found ${describeExport(t)}`,
        );
      types.push(t);
    } catch (err) {
      errors.push(`${where}: ${(err as Error).message}`);
    }
  }
  return { types, errors };
}
