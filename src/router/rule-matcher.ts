/**
 * Compile a rule AST once into a closure over RequestFacts. Regular
 * expressions, IP ranges, canonical hosts and paths are prepared here, so a
 * request costs comparisons only and allocates nothing (except unescaping a
 * query pair that is actually percent-encoded).
 *
 * Semantics follow Traefik v3: Host is case-insensitive and ignores a trailing
 * dot; HostRegexp/PathRegexp/HeaderRegexp/QueryRegexp are unanchored (write
 * `^…$` to anchor); Header compares each value of the header exactly;
 * Query(`k`) is Query(`k`, ``) — it matches `?k` or `?k=`, not `?k=1`, as in
 * Traefik v3 (use QueryRegexp(`k`, ``) for "present with any value");
 * ClientIP looks at the peer address, never at forwarded headers.
 */
import type { RequestFacts } from './request-facts.js';
import type { MatcherNode, RuleNode } from './rule-ast.js';
import { ruleHost, rulePath, ruleRegexp } from './rule-arguments.js';
import { hasQueryValue, someQueryValue } from './query-values.js';
import { IpRangeSet } from '../net/ip-range.js';

export type RuleMatcher = (facts: RequestFacts) => boolean;

/** A matcher, or the constant it folded to. */
export type FoldedMatcher = RuleMatcher | boolean;

export function compileRule(node: RuleNode): RuleMatcher {
  const m = fold(node, undefined);
  return typeof m === 'function' ? m : m ? () => true : () => false;
}

/**
 * Compile a rule for requests already known to carry `host` (the route
 * table's host buckets): every Host(...) is decided now, so `Host(a) &&
 * PathPrefix(/x)` becomes just the PathPrefix test, and `Host(a)` alone
 * becomes `true` (no call at all).
 */
export function compileRuleForHost(node: RuleNode, host: string): FoldedMatcher {
  return fold(node, host);
}

function fold(node: RuleNode, host: string | undefined): FoldedMatcher {
  switch (node.kind) {
    case 'and': {
      const l = fold(node.left, host);
      if (l === false) return false;
      const r = fold(node.right, host);
      if (r === false) return false;
      if (l === true) return r;
      if (r === true) return l;
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = fold(node.left, host);
      if (l === true) return true;
      const r = fold(node.right, host);
      if (r === true) return true;
      if (l === false) return r;
      if (r === false) return l;
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const o = fold(node.operand, host);
      if (typeof o === 'boolean') return !o;
      return (f) => !o(f);
    }
    case 'matcher':
      if (host !== undefined && node.name === 'Host') return ruleHost(node.args[0]!) === host;
      return compileMatcher(node);
  }
}

function someHeaderValue(f: RequestFacts, name: string, test: (v: string) => boolean): boolean {
  const v = f.headers[name];
  if (v === undefined) return false;
  if (typeof v === 'string') return test(v);
  for (let i = 0; i < v.length; i++) if (test(v[i]!)) return true;
  return false;
}

function compileMatcher(node: MatcherNode): RuleMatcher {
  const a = node.args[0]!;
  const b = node.args[1];
  const col = node.argColumns;
  switch (node.name) {
    case 'Host': {
      const host = ruleHost(a);
      return (f) => f.host === host;
    }
    case 'HostRegexp': {
      const re = ruleRegexp(a, col[0]!, node.name);
      return (f) => re.test(f.host);
    }
    case 'Path': {
      const path = rulePath(a);
      return (f) => f.path === path;
    }
    case 'PathPrefix': {
      const prefix = rulePath(a);
      return (f) => f.path.startsWith(prefix);
    }
    case 'PathRegexp': {
      const re = ruleRegexp(a, col[0]!, node.name);
      return (f) => re.test(f.path);
    }
    case 'Method': {
      const m = a.toUpperCase();
      return (f) => f.method === m;
    }
    case 'Header': {
      const name = a.toLowerCase();
      const value = b!;
      const equals = (v: string) => v === value;
      return (f) => someHeaderValue(f, name, equals);
    }
    case 'HeaderRegexp': {
      const name = a.toLowerCase();
      const re = ruleRegexp(b!, col[1]!, node.name);
      const test = (v: string) => re.test(v);
      return (f) => someHeaderValue(f, name, test);
    }
    case 'Query': {
      const value = b ?? '';
      return (f) => hasQueryValue(f.query, a, value);
    }
    case 'QueryRegexp': {
      if (b === undefined) return (f) => hasQueryValue(f.query, a, '');
      const re = ruleRegexp(b, col[1]!, node.name);
      const test = (v: string) => re.test(v);
      return (f) => someQueryValue(f.query, a, test);
    }
    case 'ClientIP': {
      const set = new IpRangeSet([a]);
      return (f) => set.contains(f.clientIp);
    }
  }
}
