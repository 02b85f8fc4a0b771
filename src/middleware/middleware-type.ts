/**
 * What one kind of middleware (`stripPrefix`, `headers`, a plugin, …) provides.
 * The registry (registry.ts) maps a type name to one of these; the compiler
 * validates each configured instance and builds its handler once per config
 * version, never per request.
 */
import type { MiddlewareHandler } from './exchange.js';

export interface MiddlewareBuildContext {
  /** Qualified name of this instance (`auth@file`). */
  name: string;
  /** Resolve another middleware by name (for `chain`); qualified relative to this one's provider. */
  resolve(name: string): MiddlewareHandler;
  /**
   * Release what `build` acquired (connections, timers) once the configuration version that
   * built this instance has been replaced or the server stops. The next version's instance is
   * built before this runs, so a resource shared by both (ref-counted) stays open across a reload.
   */
  onDispose(release: () => void): void;
}

export interface MiddlewareType<Options = Record<string, unknown>> {
  /** The key in configuration: `stripPrefix`, `headers`, `plugin-name`. */
  readonly type: string;
  /**
   * Check options; return problems as [fieldPath, message] pairs (empty = valid).
   * fieldPath is relative to the options object (`prefixes[0]`).
   */
  validate(options: unknown): Array<[string, string]>;
  /** Build the handler. Called once per configuration version. */
  build(options: Options, context: MiddlewareBuildContext): MiddlewareHandler;
}
