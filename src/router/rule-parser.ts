/**
 * Parser for Traefik v3 rules: matchers such as ``Host(`a.com`)``, combined
 * with `!` (tightest), `&&`, then `||`, and parentheses. Strings are quoted
 * with backticks or double quotes. Errors carry the 1-based column.
 */
import { MATCHER_ARITY, type MatcherName, type RuleNode } from './rule-ast.js';

export class RuleSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`${reason} at column ${column}`);
  }
}

type Token =
  | { t: 'ident'; v: string; col: number }
  | { t: 'string'; v: string; col: number }
  | { t: '(' | ')' | ',' | '&&' | '||' | '!' | 'end'; col: number };

function tokenize(rule: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const c = rule[i]!;
    const col = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === '!') {
      out.push({ t: c, col });
      i++;
    } else if (c === '&' || c === '|') {
      if (rule[i + 1] !== c) throw new RuleSyntaxError(`expected "${c}${c}"`, col);
      out.push({ t: c === '&' ? '&&' : '||', col });
      i += 2;
    } else if (c === '`' || c === '"') {
      const end = rule.indexOf(c, i + 1);
      if (end < 0) throw new RuleSyntaxError(`unterminated string (missing closing ${c})`, col);
      let v = rule.slice(i + 1, end);
      if (c === '"') v = v.replace(/\\(.)/g, '$1');
      out.push({ t: 'string', v, col });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (j < rule.length && /[A-Za-z0-9]/.test(rule[j]!)) j++;
      out.push({ t: 'ident', v: rule.slice(i, j), col });
      i = j;
    } else {
      throw new RuleSyntaxError(`unexpected character "${c}"`, col);
    }
  }
  out.push({ t: 'end', col: rule.length + 1 });
  return out;
}

export function parseRule(rule: string): RuleNode {
  if (!rule.trim()) throw new RuleSyntaxError('empty rule', 1);
  const tokens = tokenize(rule);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const expect = (t: Token['t'], what: string) => {
    const tok = peek();
    if (tok.t !== t) throw new RuleSyntaxError(`expected ${what}${describe(tok)}`, tok.col);
    pos++;
    return tok;
  };
  const parseOr = (): RuleNode => {
    let left = parseAnd();
    while (peek().t === '||') {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): RuleNode => {
    let left = parseUnary();
    while (peek().t === '&&') {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): RuleNode => {
    if (peek().t === '!') {
      pos++;
      return { kind: 'not', operand: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): RuleNode => {
    const tok = peek();
    if (tok.t === '(') {
      pos++;
      const inner = parseOr();
      const close = peek();
      if (close.t !== ')') throw new RuleSyntaxError(`unclosed parenthesis opened at column ${tok.col}${describe(close)}`, close.col);
      pos++;
      return inner;
    }
    if (tok.t !== 'ident') throw new RuleSyntaxError(`expected a matcher such as Host(\`example.com\`)${describe(tok)}`, tok.col);
    pos++;
    if (!(tok.v in MATCHER_ARITY)) {
      const known = Object.keys(MATCHER_ARITY);
      const hint = known.find((k) => k.toLowerCase() === tok.v.toLowerCase());
      throw new RuleSyntaxError(`unknown matcher \`${tok.v}\`${hint ? ` (did you mean ${hint}?)` : `; known: ${known.join(', ')}`}`, tok.col);
    }
    const name = tok.v as MatcherName;
    expect('(', `"(" after ${name}`);
    const args: string[] = [];
    if (peek().t !== ')') {
      args.push((expect('string', 'a quoted argument') as { v: string }).v);
      while (peek().t === ',') {
        pos++;
        args.push((expect('string', 'a quoted argument') as { v: string }).v);
      }
    }
    expect(')', `")" to close ${name}(`);
    const [min, max] = MATCHER_ARITY[name];
    if (args.length < min || args.length > max)
      throw new RuleSyntaxError(`${name} takes ${min === max ? min : `${min} or ${max}`} argument${max > 1 ? 's' : ''}, got ${args.length}`, tok.col);
    return { kind: 'matcher', name, args, column: tok.col };
  };
  const tree = parseOr();
  const rest = peek();
  if (rest.t !== 'end') throw new RuleSyntaxError(`expected "&&", "||" or end of rule${describe(rest)}`, rest.col);
  return tree;
}

function describe(tok: Token): string {
  if (tok.t === 'end') return ', found end of rule';
  if (tok.t === 'ident' || tok.t === 'string') return `, found "${tok.v}"`;
  return `, found "${tok.t}"`;
}
