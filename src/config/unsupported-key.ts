/**
 * Keys Portico refuses on purpose. Traefik accepts them; Portico does not do
 * what they ask, so accepting them silently would be a lie (issue 10). A schema
 * node made by `unsupported` fails validation wherever the key appears, and the
 * error reports its reason instead of ajv's generic "must NOT be valid".
 * The schema walk (test/config/schema-consumers.test.ts) counts such a key as
 * handled.
 */
import type { ErrorObject } from 'ajv';

/** Refuse the key whatever its value. */
export function unsupported(reason: string) {
  return { not: {}, unsupported: reason } as const;
}

/** Accept `schema` but refuse the values it rejects, with `reason` (e.g. only `false` is accepted). */
export function onlySupported<S extends object>(schema: S, reason: string): S & { unsupported: string } {
  return { ...schema, unsupported: reason };
}

/** The reason of a refusal, for an error from an ajv compiled with `verbose: true`. */
export function unsupportedReason(error: ErrorObject): string | undefined {
  const parent = error.parentSchema as { unsupported?: unknown } | undefined;
  return typeof parent?.unsupported === 'string' ? `not supported: ${parent.unsupported}` : undefined;
}
