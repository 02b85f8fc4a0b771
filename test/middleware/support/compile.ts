/**
 * Compile a middleware definition through the real registry, as the runtime
 * builder does, for unit tests.
 */
import type { Handler, MiddlewareHandler } from '../../../src/exchange/exchange.js';
import { MiddlewareRegistry, type CompileContext } from '../../../src/middleware/registry.js';

const registry = new MiddlewareRegistry();
const noOthers: CompileContext = {
  resolve: (name) => {
    throw new Error(`no middleware named "${name}"`);
  },
  onDispose: () => {},
};

/** Build `{ <type>: options }` and wrap `next`; throws with the problems when the options are refused. */
export function wrap(type: string, options: Record<string, unknown>, next: Handler, ctx: CompileContext = noOthers): Handler {
  return middleware(type, options, ctx)(next);
}

export function middleware(type: string, options: Record<string, unknown>, ctx: CompileContext = noOthers): MiddlewareHandler {
  const r = registry.compileMiddleware('m', { [type]: options }, ctx);
  if ('errors' in r) throw new Error(r.errors.map(([f, m]) => `${f}: ${m}`).join('\n'));
  return r.handler;
}

/** The problems compileMiddleware reports, as `path: message` lines (empty when valid). */
export function problems(type: string, options: unknown): string[] {
  const r = registry.compileMiddleware('m', { [type]: options } as never, noOthers);
  return 'errors' in r ? r.errors.map(([f, m]) => `${f}: ${m}`) : [];
}
