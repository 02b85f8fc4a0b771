/**
 * Traefik reads its file configuration (static and dynamic, YAML and TOML)
 * through paerser, which turns a list of scalars into one comma-joined string
 * and splits it again when filling a list field. So wherever Traefik expects a
 * list of strings, numbers or booleans, a single value is accepted, and a
 * string is split on commas with each part trimmed:
 * `sourceRange: 10.0.0.0/8` is `[10.0.0.0/8]`, `accessControlAllowHeaders: "*"`
 * is `["*"]`, `prefixes: "/a, /b"` is `["/a", "/b"]`. Lists of objects get no
 * such treatment there (a single value fills nothing), so here they stay an
 * error, which the schema check words as "a list is expected".
 *
 * `acceptScalarLists` applies that rule along a JSON schema (properties,
 * map values, list items) and returns the value with those scalars made lists;
 * what the schema does not describe is left as it is.
 */

type Schema = {
  type?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
};

const SCALAR_TYPES = ['string', 'integer', 'number', 'boolean'];

const typesOf = (s: Schema | undefined): string[] => ([] as unknown[]).concat(s?.type ?? []).filter((t): t is string => typeof t === 'string');

/** A list schema whose items are scalars (what paerser fills from a comma-joined string). */
function isScalarList(schema: Schema): boolean {
  const items = typesOf(schema.items);
  return typesOf(schema).includes('array') && items.length > 0 && items.every((t) => SCALAR_TYPES.includes(t));
}

function asList(value: string | number | boolean, items: string[]): unknown[] {
  // `status: 404` in a list of strings is "404", as paerser writes every scalar as text.
  if (typeof value !== 'string') return [items.includes('string') ? String(value) : value];
  if (value.trim() === '') return [];
  return value.split(',').map((part) => {
    const text = part.trim();
    // A number in a numeric list; anything else stays text and the schema check names it.
    if (!items.includes('string') && (items.includes('integer') || items.includes('number')) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (!items.includes('string') && items.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
    return text;
  });
}

export function acceptScalarLists(value: unknown, schemaObject: object | undefined): unknown {
  const schema = schemaObject as Schema | undefined;
  if (!schema || value === null || value === undefined) return value;
  if (isScalarList(schema) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
    return asList(value, typesOf(schema.items));
  if (Array.isArray(value)) return schema.items ? value.map((v) => acceptScalarLists(v, schema.items)) : value;
  if (typeof value !== 'object') return value;
  const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined;
  if (!schema.properties && !additional) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const child = schema.properties?.[k] ?? additional;
    const next = acceptScalarLists(v, child);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = next;
  }
  return out ?? value;
}

/** The words for a schema `type` error where a list was expected. */
export function listExpected(expected: unknown): string | undefined {
  return ([] as unknown[]).concat(expected).includes('array')
    ? 'a list is expected (Traefik takes a single value only for lists of strings, numbers or booleans)'
    : undefined;
}
