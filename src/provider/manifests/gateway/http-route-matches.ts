/**
 * HTTPRoute matches → our rule language, and the precedence the spec puts
 * between rules (GEP-1722, HTTPRouteRule): the most specific hostname, then
 * an Exact path over a prefix, the longest path, a method, the most header
 * matches, the most query matches; ties go to the oldest route, then
 * `namespace/name` order, then the rule's position. All of it is encoded in
 * one router priority (a safe integer), the tie-breaks in its low 20 bits.
 */
import { Problem } from '../conversion-context.js';

export interface CompiledMatch {
  /** The rule without the Host part. */
  rule: string;
  /** Exact path 2, prefix or regular expression 1. */
  pathKind: number;
  pathLength: number;
  method: boolean;
  headers: number;
  queries: number;
  /** With a PathPrefix match, its prefix (URLRewrite and RequestRedirect ReplacePrefixMatch need it). */
  prefix?: string;
}

const quote = (s: string, at: string): string => {
  if (s.includes('`')) throw new Problem(at, 'must not contain a backquote');
  return `\`${s}\``;
};

/** The prefix as Path/PathPrefix tests it: `/foo` and `/foo/` both match /foo, /foo/ and /foo/bar, never /foobar. */
function prefixRule(value: string, at: string): string | undefined {
  const trimmed = value.replace(/\/+$/, '');
  if (!trimmed) return undefined;
  return `(Path(${quote(trimmed, at)}) || PathPrefix(${quote(`${trimmed}/`, at)}))`;
}

export function compileHttpMatch(raw: Record<string, unknown>, at: string): CompiledMatch {
  const parts: string[] = [];
  const path = (raw.path ?? { type: 'PathPrefix', value: '/' }) as { type?: string; value?: string };
  const type = path.type ?? 'PathPrefix';
  const value = path.value ?? '/';
  if (!value.startsWith('/') && type !== 'RegularExpression') throw new Problem(`${at}.path.value`, `must start with "/", got "${value}"`);
  const out: CompiledMatch = { rule: '', pathKind: 1, pathLength: value.length, method: false, headers: 0, queries: 0 };
  if (type === 'Exact') {
    parts.push(`Path(${quote(value, `${at}.path.value`)})`);
    out.pathKind = 2;
  } else if (type === 'PathPrefix') {
    const rule = prefixRule(value, `${at}.path.value`);
    if (rule) parts.push(rule);
    out.prefix = value;
  } else if (type === 'RegularExpression') parts.push(`PathRegexp(${quote(`^(?:${value})$`, `${at}.path.value`)})`);
  else throw new Problem(`${at}.path.type`, `must be Exact, PathPrefix or RegularExpression, got "${type}"`);

  out.headers = nameValueTests(raw.headers, 'Header', `${at}.headers`, parts);
  out.queries = nameValueTests(raw.queryParams, 'Query', `${at}.queryParams`, parts);

  if (typeof raw.method === 'string') {
    parts.push(`Method(${quote(raw.method, `${at}.method`)})`);
    out.method = true;
  }
  out.rule = parts.join(' && ');
  return out;
}

/** Header or query matches (`{type, name, value}`) → `Header`/`HeaderRegexp` (or `Query…`) tests pushed onto `parts`; returns how many. */
function nameValueTests(raw: unknown, matcher: 'Header' | 'Query', at: string, parts: string[]): number {
  const list = (Array.isArray(raw) ? raw : []) as Array<{ type?: string; name?: string; value?: string }>;
  list.forEach((t, i) => {
    const tat = `${at}[${i}]`;
    const args = `${quote(t.name ?? '', `${tat}.name`)}, ${quote(t.value ?? '', `${tat}.value`)}`;
    if ((t.type ?? 'Exact') === 'Exact') parts.push(`${matcher}(${args})`);
    else if (t.type === 'RegularExpression') parts.push(`${matcher}Regexp(${args})`);
    else throw new Problem(`${tat}.type`, `must be Exact or RegularExpression, got "${t.type}"`);
  });
  return list.length;
}

/** The router priority of a match on hostnames of `hostSpecificity` (hostnames.ts), for the route of tie-break `rank` (0: first). */
export function matchPriority(m: CompiledMatch, hostSpecificity: number, rank: number): number {
  const RANKS = 1 << 20;
  let p = hostSpecificity; // < 1024
  p = p * 3 + m.pathKind;
  p = p * 1024 + Math.min(m.pathLength, 1023);
  p = p * 2 + (m.method ? 1 : 0);
  p = p * 16 + Math.min(m.headers, 15);
  p = p * 16 + Math.min(m.queries, 15);
  // The rank never reaches RANKS - 1, so no priority is 0, which our router table would read as "the rule's length".
  return p * RANKS + (RANKS - 1 - Math.min(rank, RANKS - 2));
}
