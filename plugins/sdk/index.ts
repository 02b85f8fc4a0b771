/**
 * The plugin SDK: everything a middleware plugin needs, typed. A plugin is an
 * ES module whose default export is `defineMiddleware({...})`; Portico loads
 * it from `experimental.plugins.<name>.module` (compiled JavaScript).
 * See docs/plugins.md.
 */
import type { MiddlewareType, MiddlewareBuildContext } from '../../src/middleware/middleware-type.js';
import type { Exchange, Handler, HeaderMap, MiddlewareHandler, ResponseSink } from '../../src/middleware/exchange.js';

export type { Exchange, Handler, HeaderMap, MiddlewareHandler, MiddlewareType, MiddlewareBuildContext, ResponseSink };

export interface MiddlewareDefinition<Options> {
  /** The key users write in configuration: `middlewares.<name>.<type>`. */
  type: string;
  /** Check options; return [fieldPath, message] pairs, empty when valid. */
  validate?: (options: unknown) => Array<[string, string]>;
  /** Called once per configuration version: prepare everything here, not per request. */
  build: (options: Options, context: MiddlewareBuildContext) => MiddlewareHandler;
}

export function defineMiddleware<Options = Record<string, unknown>>(def: MiddlewareDefinition<Options>): MiddlewareType<Options> {
  return { type: def.type, validate: def.validate ?? (() => []), build: def.build };
}
