/**
 * What converting one Kubernetes object needs: the options, the indexes of
 * every other object (services, secrets, references), a staging area the
 * object writes into (committed only when the whole object converts, so a bad
 * object leaves nothing behind), and the shape checks that turn bad input
 * into a `Problem` naming the field.
 */
import { createHash } from 'node:crypto';
import { emptyDynamicConfig, type CertificateRef, type DynamicConfig } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import { secretValue } from './kube-objects.js';
import type { ServiceDirectory } from './service-directory.js';
import type { ManifestConversionOptions } from './convert.js';

/** A problem with one field of the object being converted. */
export class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every object of the input, by kind, as `namespace/name`. */
export interface ObjectIndex {
  directory: ServiceDirectory;
  secrets: Map<string, KubeObject>;
  traefikServices: Set<string>;
  middlewares: Set<string>;
  serversTransports: Set<string>;
  tlsOptions: Set<string>;
  middlewaresTcp: Set<string>;
  serversTransportsTcp: Set<string>;
  /** IngressRoutes by `namespace/name`, for `parentRefs` (their routes' router names). */
  ingressRoutes: Map<string, KubeObject>;
}

export interface ConversionContext {
  opts: ManifestConversionOptions;
  index: ObjectIndex;
  /** Namespace and name of the object being converted. */
  ns: string;
  name: string;
  /** Where this object's output goes until it is known to be whole. */
  staged: DynamicConfig;
  /** Problems with a part the object can do without (one route of several): reported, the rest kept. */
  partial: Problem[];
}

export function stagingConfig(): DynamicConfig {
  return emptyDynamicConfig();
}

/**
 * A `name@provider` reference as the configuration must spell it. One into this
 * provider needs allowCrossNamespace (the name could hide another namespace, as
 * Traefik reasons). One into a provider this one stands in for (`@kubernetescrd`
 * when the file provider runs cluster YAML) points at this provider's own
 * object, so it loses the suffix the merge layer would put back as `@file`.
 */
export function qualifiedReference(name: string, ctx: ConversionContext, at: string): string {
  const at_ = name.lastIndexOf('@');
  const provider = name.slice(at_ + 1);
  const local = provider === ctx.opts.provider || (ctx.opts.standsInFor ?? []).includes(provider);
  if (local && !ctx.opts.allowCrossNamespace)
    throw new Problem(at, `"${name}" may name another namespace, which allowCrossNamespace forbids; use {name, namespace} instead`);
  return provider === ctx.opts.provider ? name : standInName(name, ctx);
}

/** `x@kubernetescrd` → `x` in a provider that stands in for kubernetescrd; any other name unchanged. */
export function standInName(name: string, ctx: ConversionContext): string {
  const at = name.lastIndexOf('@');
  return at >= 0 && (ctx.opts.standsInFor ?? []).includes(name.slice(at + 1)) ? name.slice(0, at) : name;
}

/**
 * Traefik's provider.Normalize: runs of anything but letters and digits become
 * one dash, so names are safe in rules, URLs and metrics labels.
 */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join('-');
}

/** Traefik's key for a route: `<namespace>-<object>-<first 10 bytes of sha256(match), hex>`. */
export function routeKey(ns: string, objectName: string, match: string): string {
  const hash = createHash('sha256').update(match).digest('hex').slice(0, 20);
  return normalizeName(`${ns}-${objectName}-${hash}`);
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

// ---- shape checks: each throws a Problem naming the field ----

export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) throw new Problem(at ? `${at}.${k}` : k, `unknown field "${k}" (known fields: ${allowed.join(', ')})`);
}

export function asObject(v: unknown, at: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Problem(at, `must be an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

export function asArray(v: unknown, at: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Problem(at, `must be a list, got ${describe(v)}`);
  return v;
}

export function optString(v: unknown, at: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Problem(at, `must be a string, got ${describe(v)}`);
  return v;
}

export function reqString(v: unknown, at: string): string {
  const s = optString(v, at);
  if (!s) throw new Problem(at, 'is required');
  return s;
}

export function optBoolean(v: unknown, at: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Problem(at, `must be true or false, got ${describe(v)}`);
  return v;
}

export function optInteger(v: unknown, at: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new Problem(at, `must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}, got ${describe(v)}`);
  return v;
}

export function stringList(v: unknown, at: string): string[] {
  return asArray(v, at).map((s, i) => reqString(s, `${at}[${i}]`));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return typeof v === 'function' ? 'a function' : String(v as number | boolean | bigint | symbol | undefined);
}

// ---- references ----

/** The namespace a reference points into; another namespace only with allowCrossNamespace. */
export function referencedNamespace(raw: unknown, ctx: ConversionContext, at: string): string {
  const ns = optString(raw, `${at}.namespace`) || ctx.ns;
  if (ns !== ctx.ns && !ctx.opts.allowCrossNamespace)
    throw new Problem(
      `${at}.namespace`,
      `reference to namespace "${ns}" from "${ctx.ns}" is not allowed; set allowCrossNamespace on the provider or move the object into "${ctx.ns}"`,
    );
  return ns;
}

/**
 * A `{name, namespace}` reference to a Middleware, MiddlewareTCP,
 * ServersTransport or TLSOption → its dynamic-config name. `name@provider` passes through, except
 * `x@<this provider>` without allowCrossNamespace (the name could hide another
 * namespace, as Traefik reasons).
 */
export function objectReference(
  ref: { name: unknown; namespace?: unknown },
  ctx: ConversionContext,
  at: string,
  kind: 'Middleware' | 'ServersTransport' | 'TLSOption' | 'MiddlewareTCP',
  known: Set<string>,
): string {
  const name = reqString(ref.name, `${at}.name`);
  if (name.includes('@')) return qualifiedReference(name, ctx, `${at}.name`);
  const ns = referencedNamespace(ref.namespace, ctx, at);
  if (!known.has(`${ns}/${name}`)) throw new Problem(`${at}.name`, `no ${kind} ${ns}/${name}`);
  return normalizeName(`${ns}-${name}`);
}

// ---- secrets ----

export function certificateFromSecret(ns: string, name: string, ctx: ConversionContext, at: string): CertificateRef {
  const secret = ctx.index.secrets.get(`${ns}/${name}`);
  if (!secret) throw new Problem(at, `no Secret ${ns}/${name}`);
  const cert = secretValue(secret, 'tls.crt');
  const key = secretValue(secret, 'tls.key');
  if (!cert || !key) throw new Problem(at, `Secret ${ns}/${name} has no tls.crt and tls.key (create it with kubectl create secret tls)`);
  return { certFile: cert, keyFile: key };
}

/** PEM from the first of `keys` present in the Secret. */
export function pemFromSecret(ns: string, name: string, keys: string[], ctx: ConversionContext, at: string): string {
  const secret = ctx.index.secrets.get(`${ns}/${name}`);
  if (!secret) throw new Problem(at, `no Secret ${ns}/${name}`);
  for (const k of keys) {
    const v = secretValue(secret, k);
    if (v) return v;
  }
  throw new Problem(at, `Secret ${ns}/${name} has none of the keys ${keys.join(', ')}`);
}
