/**
 * Middleware options are checked with JSON Schemas (ajv), so every type
 * reports problems the same way: a field path relative to the options and a
 * message. Unknown fields are errors, as everywhere in Portico.
 */
import { Ajv } from 'ajv';
import { describeAjvErrors } from '../dynamic/native-config-reader.js';

const ajv = new Ajv({ allErrors: true, strict: false });

export type OptionsSchema = Record<string, unknown>;

export function optionsValidator(schema: OptionsSchema): (options: unknown) => Array<[string, string]> {
  const validate = ajv.compile({ type: 'object', additionalProperties: false, ...schema });
  return (options) => (validate(options ?? {}) ? [] : describeAjvErrors(validate.errors));
}

export const stringList = { type: 'array', items: { type: 'string' } } as const;
export const ipStrategySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { depth: { type: 'integer', minimum: 0 }, excludedIPs: stringList, ipv6Subnet: { type: 'integer' } },
} as const;
export const sourceCriterionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ipStrategy: ipStrategySchema, requestHeaderName: { type: 'string' }, requestHost: { type: 'boolean' } },
} as const;
