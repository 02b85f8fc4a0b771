/**
 * Middleware types by name — the built-ins plus loaded plugins — and the
 * compile step the runtime builder calls once per configuration version for
 * each configured middleware.
 */
import type { Middleware } from '../dynamic/model.js';
import type { MiddlewareHandler } from './exchange.js';
import type { MiddlewareType } from './middleware-type.js';
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
] as ReadonlyArray<MiddlewareType<never>>;

export type CompileResult = { handler: MiddlewareHandler } | { errors: Array<[string, string]> };

export class MiddlewareRegistry {
  private readonly types = new Map<string, MiddlewareType<never>>();

  constructor() {
    for (const t of BUILT_IN_MIDDLEWARES) this.types.set(t.type, t);
    // Traefik v2's name for ipAllowList still appears in users' files.
    this.types.set('ipWhiteList', ipAllowList as MiddlewareType<never>);
  }

  /** Add a plugin's type; a name clash with a built-in is refused. */
  register(type: MiddlewareType): void {
    if (this.types.has(type.type)) throw new Error(`middleware type "${type.type}" already exists`);
    this.types.set(type.type, type as MiddlewareType<never>);
  }

  get typeNames(): string[] {
    return [...this.types.keys()].sort();
  }

  compile(name: string, def: Middleware, ctx: { resolve(name: string): MiddlewareHandler }): CompileResult {
    const keys = Object.keys(def);
    if (keys.length !== 1) return { errors: [['', `a middleware must set exactly one type, found ${keys.length ? keys.join(', ') : 'none'}`]] };
    const typeName = keys[0]!;
    const type = this.types.get(typeName);
    if (!type) return { errors: [[typeName, `unknown middleware type "${typeName}"; known: ${this.typeNames.join(', ')}`]] };
    const options = def[typeName] ?? {};
    const problems = type.validate(options);
    if (problems.length) return { errors: problems.map(([field, message]) => [field ? `${typeName}.${field}` : typeName, message]) };
    try {
      return { handler: type.build(options as never, { name, resolve: ctx.resolve }) };
    } catch (err) {
      return { errors: [[typeName, (err as Error).message]] };
    }
  }
}
