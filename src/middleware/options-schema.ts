/**
 * Middleware options are checked with JSON Schemas (ajv), so every type
 * reports problems the same way: a field path relative to the options
 * (`prefixes[0]`, `redis.endpoints`) and a message a user can act on.
 * Unknown fields are errors, as everywhere in Portico.
 */
import { listExpected } from '../config/scalar-lists.js';
import { Ajv, type ErrorObject } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false });

export type OptionsSchema = Record<string, unknown>;

/** `/prefixes/0` → `prefixes[0]`; `/redis/tls` → `redis.tls`. */
function fieldPath(instancePath: string, extra?: string): string {
  let out = '';
  for (const part of [...instancePath.split('/').slice(1), ...(extra !== undefined ? [extra] : [])]) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

function describe(e: ErrorObject): [string, string] {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return [fieldPath(e.instancePath, p.additionalProperty as string), 'unknown field'];
    case 'required':
      return [fieldPath(e.instancePath, p.missingProperty as string), 'is required'];
    case 'enum':
      return [fieldPath(e.instancePath), `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`];
    case 'minItems':
      return [fieldPath(e.instancePath), `must list at least ${p.limit as number} item${p.limit === 1 ? '' : 's'}`];
    case 'propertyNames':
      return [fieldPath(e.instancePath), `"${p.propertyName as string}" is not a valid name here`];
    case 'anyOf':
    case 'oneOf':
      return [fieldPath(e.instancePath), 'has the wrong type or format'];
    case 'type':
      return [fieldPath(e.instancePath), listExpected(p.type) ?? e.message ?? 'is invalid'];
    default:
      return [fieldPath(e.instancePath), e.message ?? 'is invalid'];
  }
}

export type OptionsCheck = (options: unknown) => Array<[string, string]>;

/**
 * Compiled checks by the schema's JSON text. ajv keeps every function it compiles, keyed by the
 * schema object, for the life of the process: compiling per call (a fresh object literal each
 * configuration version) grew the heap by 36 MiB over 100 reloads. The registry compiles each
 * type's schema once at registration; this map makes a second compilation of equal text, from
 * anywhere, return the first function instead of growing.
 */
const compiled = new Map<string, OptionsCheck>();

/** The check for one options schema; compiled once per distinct schema in the process. */
export function compileOptionsSchema(schema: OptionsSchema): OptionsCheck {
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (!check) compiled.set(key, (check = compileUncached(schema)));
  return check;
}

function compileUncached(schema: OptionsSchema): OptionsCheck {
  const validate = ajv.compile({ type: 'object', additionalProperties: false, ...schema });
  return (options) => {
    if (validate(options ?? {})) return [];
    const seen = new Set<string>();
    const out: Array<[string, string]> = [];
    for (const e of validate.errors ?? []) {
      // anyOf reports each branch too; the summary line is enough. propertyNames adds a pattern error per name.
      if (e.schemaPath.includes('/anyOf/') || (e.keyword === 'pattern' && e.propertyName !== undefined)) continue;
      const d = describe(e);
      const key = d.join('\0');
      if (!seen.has(key)) {
        out.push(d);
        seen.add(key);
      }
    }
    return out;
  };
}

export const stringList = { type: 'array', items: { type: 'string' } } as const;
export const ipStrategySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { depth: { type: 'integer', minimum: 0 }, excludedIPs: stringList, ipv6Subnet: { type: 'integer', minimum: 1, maximum: 128 } },
} as const;
export const sourceCriterionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ipStrategy: ipStrategySchema, requestHeaderName: { type: 'string', minLength: 1 }, requestHost: { type: 'boolean' } },
} as const;
