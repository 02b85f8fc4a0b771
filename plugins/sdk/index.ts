/**
 * The plugin SDK: everything a middleware plugin needs, typed. A plugin is an
 * ES module whose default export is `defineMiddleware({...})`; Portico loads
 * it from `experimental.plugins.<name>.module` (compiled JavaScript).
 * Published as `portico/plugin` (package.json `exports`; its declarations
 * reach into dist/src for the Exchange types). See docs/plugins.md.
 */
import type { MiddlewareType, MiddlewareBuildContext } from '../../src/middleware/middleware-type.js';
import type {
  ClientTunnel,
  Exchange,
  Handler,
  HeaderMap,
  MiddlewareHandler,
  ResponseHeadersHook,
  ResponseInterceptor,
  ResponseSink,
} from '../../src/exchange/exchange.js';

export type {
  ClientTunnel,
  Exchange,
  Handler,
  HeaderMap,
  MiddlewareHandler,
  MiddlewareType,
  MiddlewareBuildContext,
  ResponseHeadersHook,
  ResponseInterceptor,
  ResponseSink,
};

/** A problem with the options: the field (`headerName`, `paths[2]`) and what is wrong with it. */
export type OptionProblem = [field: string, message: string];

export interface MiddlewareDefinition<Options> {
  /** The key users write in configuration: `http.middlewares.<name>.<type>`. Letters, digits, `-` and `_`. */
  type: string;
  /**
   * Check options; return problems, empty when valid. Called before `build`
   * with whatever the user wrote (so `unknown`). `checkFields` covers the
   * usual cases. Without it, any object is accepted.
   */
  validate?: (options: unknown) => OptionProblem[];
  /**
   * Called once per configuration version with valid options: prepare
   * everything here (parse, compile, allocate), and keep the returned
   * per-request function small.
   */
  build: (options: Options, context: MiddlewareBuildContext) => MiddlewareHandler;
}

/**
 * What `defineMiddleware` returns: a middleware type whose `validate` is always
 * there and takes whatever the user wrote, so a plugin's own tests can call
 * `plugin.validate({...})` whatever Portico's MiddlewareType makes optional.
 */
export type DefinedMiddleware<Options> = MiddlewareType<Options> & { validate(options: unknown): OptionProblem[] };

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Declare a middleware type. `Options` is inferred from `build`'s parameter
 * or given explicitly: `defineMiddleware<{ headerName?: string }>({...})`.
 */
export function defineMiddleware<Options = Record<string, unknown>>(def: MiddlewareDefinition<Options>): DefinedMiddleware<Options> {
  if (!TYPE_NAME.test(def.type)) throw new Error(`defineMiddleware: type "${def.type}" must start with a letter and use only letters, digits, "-" and "_"`);
  const validate = def.validate;
  return {
    type: def.type,
    validate: (options: unknown): OptionProblem[] => {
      if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options)))
        return [['', 'options must be an object (use {} for none)']];
      return validate ? validate(options ?? {}) : [];
    },
    build: def.build,
  };
}

/** What `checkFields` knows how to check. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'string[]' | 'string-map';

export interface FieldSpec {
  kind: FieldKind;
  required?: boolean;
  /** For strings: the value must match. */
  pattern?: RegExp;
  /** For numbers and integers. */
  min?: number;
  max?: number;
  /** For strings: allowed values. */
  oneOf?: readonly string[];
}

function kindProblem(value: unknown, kind: FieldKind): string | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : 'must be a list of strings';
    case 'string-map':
      return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')
        ? undefined
        : 'must be a map of strings';
  }
}

/**
 * Check an options object against field specs: unknown fields, missing
 * required ones, wrong kinds, patterns, ranges. Returns problems in the
 * form `validate` returns.
 */
export function checkFields(options: unknown, spec: Record<string, FieldSpec>): OptionProblem[] {
  const o = (options ?? {}) as Record<string, unknown>;
  const problems: OptionProblem[] = [];
  for (const key of Object.keys(o)) if (!(key in spec)) problems.push([key, `unknown field; known: ${Object.keys(spec).join(', ')}`]);
  for (const [key, s] of Object.entries(spec)) {
    const value = o[key];
    if (value === undefined) {
      if (s.required) problems.push([key, 'is required']);
      continue;
    }
    const wrong = kindProblem(value, s.kind);
    if (wrong) {
      problems.push([key, wrong]);
      continue;
    }
    if (typeof value === 'string' && s.pattern && !s.pattern.test(value)) problems.push([key, `must match ${s.pattern}`]);
    if (typeof value === 'string' && s.oneOf && !s.oneOf.includes(value)) problems.push([key, `must be one of: ${s.oneOf.join(', ')}`]);
    if (typeof value === 'number' && s.min !== undefined && value < s.min) problems.push([key, `must be >= ${s.min}`]);
    if (typeof value === 'number' && s.max !== undefined && value > s.max) problems.push([key, `must be <= ${s.max}`]);
  }
  return problems;
}
