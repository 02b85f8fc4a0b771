/**
 * The middlewares of one configuration version: each compiled once, on first
 * use, and shared by every router (and entrypoint) that names it; chains
 * resolve their members here, with cycles reported. What instances acquire
 * (a Redis connection) is released when the version is replaced. Middlewares
 * no router uses are validated but not built.
 */
import type { DynamicConfig } from '../dynamic/model.js';
import type { MiddlewareHandler } from '../exchange/exchange.js';
import type { MiddlewareRegistry } from '../middleware/registry.js';
import type { ConfigErrors } from './config-errors.js';
import type { ServiceTable } from './service-table.js';

export interface MiddlewareTable {
  /** The compiled middleware of a qualified name; undefined when there is none or it is invalid (reported). */
  get(name: string): MiddlewareHandler | undefined;
  /** Report the problems of every declared middleware not compiled so far. Call after the routes are built. */
  validateUnused(): void;
  /** Release what this version's instances acquired; each release runs even if another throws. */
  dispose(): void;
}

export function buildMiddlewareTable(
  http: DynamicConfig['http'],
  registry: MiddlewareRegistry,
  errors: ConfigErrors,
  services: Pick<ServiceTable, 'get'> = { get: () => undefined },
): MiddlewareTable {
  const compiled = new Map<string, MiddlewareHandler | null>();
  const disposers: Array<() => void> = [];
  const report = (name: string, field: string, message: string) => errors.report('http.middlewares', name, field, message);

  /** A name written in a middleware's options, qualified with that middleware's provider unless it names one. */
  const qualified = (ref: string, owner: string) => (ref.includes('@') ? ref : `${ref}@${owner.split('@')[1]}`);

  const get = (name: string, stack: readonly string[] = []): MiddlewareHandler | undefined => {
    if (compiled.has(name)) return compiled.get(name) ?? undefined;
    const def = http.middlewares[name];
    if (!def) return undefined;
    if (stack.includes(name)) {
      report(name, 'chain', `middleware chain cycle: ${[...stack, name].join(' → ')}`);
      return undefined;
    }
    const result = registry.compile(name, def, {
      onDispose: (release) => disposers.push(release),
      resolve: (ref: string) => {
        const q = qualified(ref, name);
        const m = get(q, [...stack, name]);
        if (!m) throw new Error(`no middleware named "${q}"`);
        return m;
      },
      service: (ref: string) => {
        const q = qualified(ref, name);
        const s = services.get(q);
        if (!s) throw new Error(`no usable service named "${q}"`);
        return s;
      },
    });
    if ('errors' in result) {
      for (const [field, message] of result.errors) report(name, field, message);
      compiled.set(name, null);
      return undefined;
    }
    compiled.set(name, result.handler);
    return result.handler;
  };

  return {
    get: (name) => get(name),
    validateUnused() {
      // Checked without build(), which could open connections for a middleware nothing uses.
      for (const [name, def] of Object.entries(http.middlewares)) {
        if (compiled.has(name)) continue;
        for (const [field, message] of registry.validate(def)) report(name, field, message);
      }
    },
    dispose() {
      for (const release of disposers) {
        try {
          release();
        } catch {
          // A plugin's release failing must not keep the others from running.
        }
      }
    },
  };
}
