/**
 * Compile a rule AST once into a closure over RequestFacts. Regular
 * expressions, IP ranges and lower-cased hosts are prepared here so the
 * per-request work is comparisons only.
 */
import type { RequestFacts } from './request-facts.js';
import type { RuleNode } from './rule-ast.js';
import { RuleSyntaxError } from './rule-parser.js';
import { compileGoRegexp } from './go-regexp.js';
import { IpRangeSet } from '../net/ip-range.js';

export type RuleMatcher = (facts: RequestFacts) => boolean;

export function compileRule(node: RuleNode): RuleMatcher {
  switch (node.kind) {
    case 'and': {
      const l = compileRule(node.left);
      const r = compileRule(node.right);
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = compileRule(node.left);
      const r = compileRule(node.right);
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const o = compileRule(node.operand);
      return (f) => !o(f);
    }
    case 'matcher':
      return compileMatcher(node);
  }
}

function regexp(source: string, column: number): RegExp {
  try {
    return compileGoRegexp(source);
  } catch (err) {
    throw new RuleSyntaxError((err as Error).message, column);
  }
}

function headerValues(f: RequestFacts, name: string): string[] {
  const v = f.headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function queryValues(query: string, key: string): string[] | undefined {
  if (!query) return undefined;
  const out: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const k = safeDecode(eq < 0 ? part : part.slice(0, eq));
    if (k === key) out.push(eq < 0 ? '' : safeDecode(part.slice(eq + 1)));
  }
  return out.length ? out : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function compileMatcher(node: Extract<RuleNode, { kind: 'matcher' }>): RuleMatcher {
  const [a, b] = node.args as [string, string | undefined];
  switch (node.name) {
    case 'Host': {
      const host = a.toLowerCase().replace(/\.$/, '');
      if (!host || /[\s/]/.test(host)) throw new RuleSyntaxError(`invalid host "${a}"`, node.column);
      return (f) => f.host === host;
    }
    case 'HostRegexp': {
      const re = regexp(a, node.column);
      return (f) => re.test(f.host);
    }
    case 'Path': {
      if (!a.startsWith('/')) throw new RuleSyntaxError(`path must start with "/", got "${a}"`, node.column);
      return (f) => f.path === a;
    }
    case 'PathPrefix': {
      if (!a.startsWith('/')) throw new RuleSyntaxError(`path prefix must start with "/", got "${a}"`, node.column);
      return (f) => f.path.startsWith(a);
    }
    case 'PathRegexp': {
      const re = regexp(a, node.column);
      return (f) => re.test(f.path);
    }
    case 'Method': {
      const m = a.toUpperCase();
      return (f) => f.method === m;
    }
    case 'Header': {
      const name = a.toLowerCase();
      return (f) => headerValues(f, name).includes(b!);
    }
    case 'HeaderRegexp': {
      const name = a.toLowerCase();
      const re = regexp(b!, node.column);
      return (f) => headerValues(f, name).some((v) => re.test(v));
    }
    case 'Query': {
      if (b === undefined) return (f) => queryValues(f.query, a) !== undefined;
      return (f) => queryValues(f.query, a)?.includes(b) ?? false;
    }
    case 'QueryRegexp': {
      const re = regexp(b!, node.column);
      return (f) => queryValues(f.query, a)?.some((v) => re.test(v)) ?? false;
    }
    case 'ClientIP': {
      let set: IpRangeSet;
      try {
        set = new IpRangeSet([a]);
      } catch (err) {
        throw new RuleSyntaxError((err as Error).message, node.column);
      }
      return (f) => set.contains(f.clientIp);
    }
  }
}
