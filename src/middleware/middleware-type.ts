/**
 * What one kind of middleware (`stripPrefix`, `headers`, a plugin, …) provides.
 * The registry (registry.ts) maps a type name to one of these; the compiler
 * validates each configured instance and builds its handler once per config
 * version, never per request.
 *
 * Options are described as data (`optionsSchema`), not checked by code that
 * builds validators: the registry compiles the schema once, when the type is
 * registered, so a configuration version never creates (and never retains)
 * a compiled validator of its own.
 */
import type { Handler, MiddlewareHandler } from '../exchange/exchange.js';
import type { OptionsSchema } from './options-schema.js';

export type { OptionsSchema };

/** A problem with the options: the field (`prefixes[0]`, `redis.tls`; '' for the whole object) and what is wrong. */
export type OptionProblem = [field: string, message: string];

export interface MiddlewareBuildContext {
  /** Qualified name of this instance (`auth@file`). */
  name: string;
  /** Resolve another middleware by name (for `chain`); qualified relative to this one's provider. */
  resolve(name: string): MiddlewareHandler;
  /**
   * A configured service by name (for `errors`, which fetches its pages from one), qualified
   * relative to this middleware's provider; throws when there is none or it is broken. The
   * handler takes exchanges the middleware makes itself, as a router's service takes requests.
   * Portico always provides it; it is optional so that build contexts plugin tests write by
   * hand (before it existed) still compile.
   */
  service?(name: string): Handler;
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
   * JSON Schema of the options object (plain data; `additionalProperties: false` is implied).
   * Compiled once when the type is registered. Without it, any object passes to `validate`.
   */
  readonly optionsSchema?: OptionsSchema;
  /**
   * Checks a schema cannot express (regex syntax, files, fields that go together); called only
   * with options that passed `optionsSchema`. Return problems, empty when valid; field paths are
   * relative to the options object (`prefixes[0]`). Called once per configured instance and
   * configuration version: keep it free of anything that caches per call.
   */
  validate?(options: Options): OptionProblem[];
  /** Build the handler. Called once per configuration version. */
  build(options: Options, context: MiddlewareBuildContext): MiddlewareHandler;
}
