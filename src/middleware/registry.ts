/**
 * Middleware types by name — the built-ins plus loaded plugins — and the
 * compile step the runtime builder calls once per configuration version for
 * each configured middleware.
 */
import { acceptScalarLists } from '../config/scalar-lists.js';
import type { Middleware } from '../dynamic/model.js';
import type { Handler, MiddlewareHandler } from '../exchange/exchange.js';
import type { MiddlewareType } from './middleware-type.js';
import { compileOptionsSchema, type OptionsCheck } from './options-schema.js';
import { guardMiddleware } from '../exchange/middleware-failure-guard.js';
import { addPrefix } from './add-prefix/index.js';
import { stripPrefix } from './strip-prefix/index.js';
import { stripPrefixRegex } from './strip-prefix-regex/index.js';
import { replacePath } from './replace-path/index.js';
import { replacePathRegex } from './replace-path-regex/index.js';
import { redirectScheme } from './redirect-scheme/index.js';
import { redirectRegex } from './redirect-regex/index.js';
import { headers } from './headers/index.js';
import { basicAuth } from './basic-auth/index.js';
import { ipAllowList } from './ip-allow-list/index.js';
import { rateLimit } from './rate-limit/index.js';
import { inFlightReq } from './in-flight-req/index.js';
import { chain } from './chain/index.js';
import { buffering } from './buffering/index.js';
import { compress } from './compress/index.js';
import { contentType } from './content-type/index.js';
import { digestAuth } from './digest-auth/index.js';
import { forwardAuth } from './forward-auth/index.js';
import { passTLSClientCert } from './pass-tls-client-cert/index.js';
import { circuitBreaker } from './circuit-breaker/index.js';
import { grpcWeb } from './grpc-web/index.js';
import { retry } from './retry/index.js';
import { errors } from './errors/index.js';
import { authSignin } from './auth-signin/index.js';

export const BUILT_IN_MIDDLEWARES: ReadonlyArray<MiddlewareType<never>> = [
  addPrefix,
  stripPrefix,
  stripPrefixRegex,
  replacePath,
  replacePathRegex,
  redirectScheme,
  redirectRegex,
  headers,
  basicAuth,
  ipAllowList,
  rateLimit,
  inFlightReq,
  chain,
  buffering,
  compress,
  contentType,
  digestAuth,
  forwardAuth,
  passTLSClientCert,
  circuitBreaker,
  grpcWeb,
  retry,
  errors,
  authSignin,
] as ReadonlyArray<MiddlewareType<never>>;

/** Field paths in `errors` are relative to `http.middlewares.<name>` (`stripPrefix.prefixes[0]`). */
export type CompileResult = { handler: MiddlewareHandler } | { errors: Array<[string, string]> };

/** What a middleware needs from the builder: how to find the other middlewares (for `chain`) and services (for `errors`). */
export interface CompileContext {
  resolve(name: string): MiddlewareHandler;
  /** See MiddlewareBuildContext.service; without it, no service can be named (unit tests of other types). */
  service?(name: string): Handler;
  /** See MiddlewareBuildContext.onDispose. */
  onDispose(release: () => void): void;
}

/** A registered type with its options schema compiled (once, at registration). */
interface RegisteredType {
  type: MiddlewareType<never>;
  checkSchema: OptionsCheck | undefined;
}

export class MiddlewareRegistry {
  private readonly types = new Map<string, RegisteredType>();
  private readonly plugins = new Set<string>();

  constructor() {
    for (const t of BUILT_IN_MIDDLEWARES) this.add(t.type, t);
    // Traefik v2's name for ipAllowList still appears in users' files.
    this.add('ipWhiteList', ipAllowList as MiddlewareType<never>);
  }

  /** Add a plugin's type; a name clash with a built-in is refused; so is a schema ajv cannot compile. */
  register(type: MiddlewareType): void {
    if (this.types.has(type.type)) throw new Error(`middleware type "${type.type}" already exists (built-in or another plugin); rename the plugin's type`);
    this.add(type.type, type as MiddlewareType<never>);
    this.plugins.add(type.type);
  }

  private add(name: string, type: MiddlewareType<never>): void {
    let checkSchema: OptionsCheck | undefined;
    try {
      checkSchema = type.optionsSchema ? compileOptionsSchema(type.optionsSchema) : undefined;
    } catch (err) {
      throw new Error(`middleware type "${name}": its optionsSchema does not compile: ${(err as Error).message}`, { cause: err });
    }
    this.types.set(name, { type, checkSchema });
  }

  get typeNames(): string[] {
    return [...this.types.keys()].sort();
  }

  /**
   * Like `compile`, but each error's field path is absolute
   * (`http.middlewares.<name>.<type>.<field>`), ready to show a user.
   */
  compileMiddleware(name: string, config: Middleware, ctx: CompileContext): CompileResult {
    const result = this.compile(name, config, ctx);
    return 'handler' in result ? result : { errors: absolute(name, result.errors) };
  }

  /**
   * Check one configured middleware's shape and options without building it (a middleware no
   * router uses is still the user's configuration, and its mistakes are reported all the same).
   * Field paths are relative to `http.middlewares.<name>`, as compile's.
   */
  validate(def: Middleware): Array<[string, string]> {
    const checked = this.check(def);
    return 'errors' in checked ? checked.errors : [];
  }

  /** Validate and build one configured middleware; errors carry paths relative to `http.middlewares.<name>`. */
  compile(name: string, def: Middleware, ctx: CompileContext): CompileResult {
    const checked = this.check(def);
    if ('errors' in checked) return checked;
    const { type, options, field } = checked;
    try {
      return {
        handler: guardMiddleware(
          name,
          type.build(options as never, { name, resolve: ctx.resolve, service: ctx.service ?? noService, onDispose: ctx.onDispose }),
          type.type,
        ),
      };
    } catch (err) {
      return { errors: [[field, (err as Error).message]] };
    }
  }

  /** The type and valid options of a configured middleware, or its problems (paths relative to `http.middlewares.<name>`). */
  private check(def: Middleware): { type: MiddlewareType<never>; options: object; field: string } | { errors: Array<[string, string]> } {
    // Traefik's shape for plugins, `plugin: { <pluginType>: {...} }`, works too.
    if (def && typeof def === 'object' && Object.keys(def).length === 1 && 'plugin' in def && !this.types.has('plugin')) {
      const inner = def.plugin;
      const keys = inner && typeof inner === 'object' ? Object.keys(inner) : [];
      const pluginType = keys[0];
      if (keys.length !== 1 || !this.plugins.has(pluginType!))
        return { errors: [['plugin', `must name exactly one loaded plugin type (loaded: ${[...this.plugins].sort().join(', ') || 'none'})`]] };
      const result = this.check({ [pluginType!]: inner![pluginType!] as Record<string, unknown> });
      return 'errors' in result ? { errors: result.errors.map(([f, m]) => [`plugin.${f}`, m]) } : { ...result, field: `plugin.${result.field}` };
    }
    if (def === null || typeof def !== 'object' || Array.isArray(def))
      return { errors: [['', 'a middleware must be an object with one key naming its type, e.g. { stripPrefix: { prefixes: [/api] } }']] };
    const keys = Object.keys(def);
    if (keys.length !== 1) return { errors: [['', `a middleware must set exactly one type, found ${keys.length ? keys.join(', ') : 'none'}`]] };
    const typeName = keys[0]!;
    const registered = this.types.get(typeName);
    if (!registered) return { errors: [[typeName, `unknown middleware type "${typeName}"; known: ${this.typeNames.join(', ')}`]] };
    const given = def[typeName] ?? {};
    if (typeof given !== 'object' || Array.isArray(given)) return { errors: [[typeName, 'options must be an object (use {} for none)']] };
    const { type, checkSchema } = registered;
    // Traefik's file loader takes a single value for a list of scalars (`sourceRange: 10.0.0.0/8`); so do the options here.
    const options = (type.optionsSchema ? acceptScalarLists(given, { type: 'object', ...type.optionsSchema }) : given) as object;
    let problems: Array<[string, string]>;
    try {
      problems = checkSchema?.(options) ?? [];
      if (!problems.length && type.validate) problems = type.validate(options as never);
    } catch (err) {
      // A plugin's validate() is someone else's code: its failure is this middleware's error, not a crash.
      return { errors: [[typeName, `validate() threw: ${(err as Error).message}`]] };
    }
    if (problems.length) return { errors: problems.map(([field, message]) => [field ? `${typeName}.${field}` : typeName, message]) };
    return { type, options, field: typeName };
  }
}

function noService(name: string): Handler {
  throw new Error(`no usable service named "${name}"`);
}

function absolute(name: string, errors: Array<[string, string]>): Array<[string, string]> {
  return errors.map(([field, message]) => [field ? `http.middlewares.${name}.${field}` : `http.middlewares.${name}`, message]);
}
