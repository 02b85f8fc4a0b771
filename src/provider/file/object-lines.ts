/**
 * The lines where a file's configuration objects and their fields are
 * written, so a problem found only when the merged configuration is compiled
 * (a router naming a missing service, a bad rule, a middleware option that
 * fails to build) names `file:line` like the schema errors found while
 * reading. Recorded as ProviderSnapshot.originLines: per object
 * (`http.routers.api`), its own line under `''` and each field path below it
 * (`service`, `loadBalancer.servers.0.url`).
 */
import type { ObjectLines } from '../../dynamic/model.js';

/** How deep below an object fields get a line of their own; deeper ones fall back to their nearest recorded ancestor. */
const MAX_FIELD_DEPTH = 5;

export function recordObjectLines(
  doc: unknown,
  objectKeys: Iterable<string>,
  lineOf: (path: string[]) => number | undefined,
  into: Record<string, ObjectLines>,
): void {
  for (const key of objectKeys) {
    // `<section>.<kind>.<name>`: section and kind have no dots, a name may.
    const [section, kind] = key.split('.', 2) as [string, string];
    const name = key.slice(section.length + kind.length + 2);
    const object = (doc as Record<string, Record<string, Record<string, unknown> | undefined> | undefined> | undefined)?.[section]?.[kind]?.[name];
    const lines: ObjectLines = {};
    walk([section, kind, name], [], object, lines);
    if (Object.keys(lines).length) into[key] = lines;
  }

  function walk(objectPath: string[], field: string[], value: unknown, lines: ObjectLines): void {
    const line = lineOf([...objectPath, ...field]);
    if (line === undefined) return;
    lines[field.join('.')] = line;
    if (field.length >= MAX_FIELD_DEPTH || !value || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) walk(objectPath, [...field, k], v, lines);
  }
}
