/**
 * Middleware → `<ns>-<name>` with its one type's options. References inside
 * the options that Kubernetes spells as objects become dynamic-config names:
 * chain members, the errors middleware's service, and auth users kept in a
 * Secret. The options themselves are checked later by the middleware type.
 */
import type { Middleware } from '../../dynamic/model.js';
import { secretValue, type KubeObject } from './kube-objects.js';
import { Problem, asArray, asObject, checkKeys, objectReference, optString, type ConversionContext } from './conversion-context.js';
import { resolveServiceReference } from './service-reference.js';

export function convertMiddleware(o: KubeObject, ctx: ConversionContext): Middleware {
  const spec = asObject(o.spec, 'spec');
  const types = Object.keys(spec);
  if (types.length !== 1) throw new Problem('spec', `a Middleware sets exactly one type, found ${types.length ? types.join(', ') : 'none'}`);
  const type = types[0]!;
  const options = { ...asObject(spec[type] ?? {}, `spec.${type}`) };
  if (type === 'chain') {
    checkKeys(options, ['middlewares'], 'spec.chain');
    options.middlewares = asArray(options.middlewares, 'spec.chain.middlewares').map((m, i) => {
      const at = `spec.chain.middlewares[${i}]`;
      const ref = asObject(m, at);
      checkKeys(ref, ['name', 'namespace'], at);
      return objectReference(ref as { name: unknown; namespace?: unknown }, ctx, at, 'Middleware', ctx.index.middlewares);
    });
  }
  if (type === 'errors' && options.service !== undefined) {
    const ref = resolveServiceReference(options.service, ctx, 'spec.errors.service');
    if (ref.kind === 'loadBalancer') {
      ctx.staged.http.services[ref.defaultName] = ref.service;
      options.service = ref.defaultName;
    } else options.service = ref.name;
  }
  if ((type === 'basicAuth' || type === 'digestAuth') && options.secret !== undefined) {
    const name = optString(options.secret, `spec.${type}.secret`)!;
    const secret = ctx.index.secrets.get(`${ctx.ns}/${name}`);
    if (!secret) throw new Problem(`spec.${type}.secret`, `no Secret ${ctx.ns}/${name}`);
    const username = secretValue(secret, 'username');
    const users = secretValue(secret, 'users') ?? (username !== undefined ? `${username}:${secretValue(secret, 'password') ?? ''}` : undefined);
    if (!users) throw new Problem(`spec.${type}.secret`, `Secret ${ctx.ns}/${name} has neither a "users" key nor username/password`);
    delete options.secret;
    options.users = users
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
  return { [type]: options };
}
