/**
 * Load plugin middleware types from `experimental.plugins`: each entry names
 * an ES module (compiled JavaScript, path relative to the static config's
 * directory, or a package name) whose default export is a MiddlewareType.
 * A broken plugin is reported with its name and file; it never stops Portico.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MiddlewareType } from './middleware-type.js';

export async function loadPlugins(
  config: Record<string, { module: string }>,
  baseDir: string,
): Promise<{ types: MiddlewareType[]; errors: string[] }> {
  const types: MiddlewareType[] = [];
  const errors: string[] = [];
  for (const [name, { module }] of Object.entries(config)) {
    const specifier = module.startsWith('.') || isAbsolute(module) ? pathToFileURL(resolve(baseDir, module)).href : module;
    try {
      if (/\.ts$/.test(module)) throw new Error('plugins are loaded as compiled JavaScript; point `module` at the .js file tsc produced');
      const mod = (await import(specifier)) as { default?: MiddlewareType };
      const t = mod.default;
      if (!t || typeof t.type !== 'string' || typeof t.validate !== 'function' || typeof t.build !== 'function')
        throw new Error('the default export must be a MiddlewareType { type, validate, build } (use defineMiddleware from the plugin SDK)');
      types.push(t);
    } catch (err) {
      errors.push(`experimental.plugins.${name} (${module}): ${(err as Error).message}`);
    }
  }
  return { types, errors };
}
