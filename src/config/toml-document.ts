/**
 * TOML configuration documents (Traefik's other configuration format), for the
 * static file and for the file provider's dynamic files. Parsing is smol-toml's
 * (TOML 1.0, exact on duplicate keys and types); this file adds what our error
 * reports need: the line of a parse error and the line of any key path, so a
 * schema error in a TOML file names file, key and line as a YAML one does.
 */
import { parse, TomlError } from 'smol-toml';

export type TomlParseResult = { doc: Record<string, unknown> } | { error: string; line?: number };

/**
 * Parse TOML text into plain JSON-like values. TOML dates become their ISO
 * text: no configuration key takes a date, so a date only appears where a
 * string is expected and the schema then judges it as a string.
 */
export function parseTomlDocument(text: string): TomlParseResult {
  try {
    return { doc: plain(parse(text)) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof TomlError) return { error: `TOML: ${err.message.split('\n')[0]}`, line: err.line };
    return { error: `TOML: ${(err as Error).message}` };
  }
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** One key segment: bare, "basic" or 'literal'. */
const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const DOTTED_KEY = String.raw`${KEY_PART}(?:\s*\.\s*${KEY_PART})*`;
const TABLE_HEADER = new RegExp(String.raw`^\s*(\[\[?)\s*(${DOTTED_KEY})\s*\]\]?`);
const KEY_VALUE = new RegExp(String.raw`^\s*(${DOTTED_KEY})\s*=`);

function splitKey(dotted: string): string[] {
  const parts: string[] = [];
  const re = new RegExp(KEY_PART, 'g');
  for (const m of dotted.matchAll(re)) {
    const p = m[0];
    if (p.startsWith('"')) parts.push(JSON.parse(p) as string);
    else if (p.startsWith("'")) parts.push(p.slice(1, -1));
    else parts.push(p);
  }
  return parts;
}

/**
 * Find the line of a field path (`http.routers.api.rule`) in TOML text. Table
 * headers and `key = value` lines are indexed by their full path (arrays of
 * tables by element index); a path not written as such (inside an inline
 * table or a multi-line value) gets the line of its nearest written ancestor.
 */
export function tomlLineLocator(text: string): (path: string[]) => number | undefined {
  const lineOf = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  text.split('\n').forEach((line, i) => {
    const header = TABLE_HEADER.exec(line);
    if (header) {
      const keys = splitKey(header[2]!);
      if (header[1] === '[[') {
        const at = keys.join('.');
        const index = arrayCounts.get(at) ?? 0;
        arrayCounts.set(at, index + 1);
        if (!lineOf.has(at)) lineOf.set(at, i + 1);
        table = [...keys, String(index)];
      } else table = keys;
      for (let n = 1; n <= table.length; n++) {
        const at = table.slice(0, n).join('.');
        if (!lineOf.has(at)) lineOf.set(at, i + 1);
      }
      return;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv) {
      const full = [...table, ...splitKey(kv[1]!)];
      for (let n = table.length + 1; n <= full.length; n++) {
        const at = full.slice(0, n).join('.');
        if (!lineOf.has(at)) lineOf.set(at, i + 1);
      }
    }
  });
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const line = lineOf.get(path.slice(0, n).join('.'));
      if (line !== undefined) return line;
    }
    return undefined;
  };
}
