/**
 * Parser for Traefik v3 rules: matchers such as ``Host(`a.com`)`` combined
 * with `!` (binds tightest), `&&`, then `||`, and parentheses. Arguments are Go
 * string literals: raw in backticks, or interpreted in double quotes (with Go
 * escapes such as `\"` and `\u00e9`). Every argument is checked here (see
 * rule-arguments.ts), so a rule that parses compiles. Errors carry the
 * 1-based column and say what was expected.
 */
import { MATCHER_ARITY, TCP_MATCHER_ARITY, V2_MATCHERS, type MatcherNodeOf, type RuleNode, type RuleTree, type TcpRuleNode } from './rule-ast.js';
import { RuleSyntaxError } from './rule-syntax-error.js';
import { checkMatcherArguments, checkTcpMatcherArguments } from './rule-arguments.js';

export { RuleSyntaxError } from './rule-syntax-error.js';

type Token = { t: 'ident'; v: string; col: number } | { t: 'string'; v: string; col: number } | { t: '(' | ')' | ',' | '&&' | '||' | '!' | 'end'; col: number };

/** Unquote a double-quoted Go string starting at rule[start] (the quote); returns value and end index (after the closing quote). */
function goInterpretedString(rule: string, start: number): { v: string; end: number } {
  let v = '';
  let i = start + 1;
  for (;;) {
    if (i >= rule.length) throw new RuleSyntaxError('unterminated string: expected a closing "', start + 1);
    const c = rule[i]!;
    if (c === '"') return { v, end: i + 1 };
    if (c === '\n') throw new RuleSyntaxError('newline in a double-quoted string: use a backtick string', i + 1);
    if (c !== '\\') {
      v += c;
      i++;
      continue;
    }
    const e = rule[i + 1];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (e !== undefined && e in simple) {
      v += simple[e];
      i += 2;
      continue;
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex) {
      const digits = rule.slice(i + 2, i + 2 + hex);
      const code = /^[0-9A-Fa-f]+$/.test(digits) && digits.length === hex ? parseInt(digits, 16) : -1;
      if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        throw new RuleSyntaxError(`invalid escape \\${e}${digits}: expected ${hex} hex digits of a valid code point`, i + 1);
      v += e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
      i += 2 + hex;
      continue;
    }
    const octal = /^[0-7]{3}/.exec(rule.slice(i + 1, i + 4));
    if (octal && parseInt(octal[0], 8) < 256) {
      v += String.fromCharCode(parseInt(octal[0], 8));
      i += 4;
      continue;
    }
    throw new RuleSyntaxError(
      `invalid escape \\${e ?? ''} in a double-quoted string: in Go strings write \\\\ for a backslash, or use a backtick string (regexps are easier that way)`,
      i + 1,
    );
  }
}

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
      if (rule[i + 1] !== c) throw new RuleSyntaxError(`expected "${c}${c}", found "${c}"`, col);
      out.push({ t: c === '&' ? '&&' : '||', col });
      i += 2;
    } else if (c === '`') {
      const end = rule.indexOf('`', i + 1);
      if (end < 0) throw new RuleSyntaxError('unterminated string: expected a closing backtick', col);
      // Go drops carriage returns from raw strings.
      out.push({ t: 'string', v: rule.slice(i + 1, end).replace(/\r/g, ''), col });
      i = end + 1;
    } else if (c === '"') {
      const s = goInterpretedString(rule, i);
      out.push({ t: 'string', v: s.v, col });
      i = s.end;
    } else if (c === "'") {
      throw new RuleSyntaxError('single quotes are not string quotes in rules: use backticks (`…`) or double quotes', col);
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < rule.length && /[A-Za-z0-9_]/.test(rule[j]!)) j++;
      out.push({ t: 'ident', v: rule.slice(i, j), col });
      i = j;
    } else {
      throw new RuleSyntaxError(`unexpected character "${c}"`, col);
    }
  }
  out.push({ t: 'end', col: rule.length + 1 });
  return out;
}

function describe(tok: Token): string {
  if (tok.t === 'end') return 'end of rule';
  if (tok.t === 'ident') return `"${tok.v}"`;
  if (tok.t === 'string') return `the string "${tok.v}"`;
  return `"${tok.t}"`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function unknownMatcher(name: string, arity: Record<string, [number, number]>): string {
  const MATCHERS = Object.keys(arity);
  const v3 = arity === MATCHER_ARITY ? V2_MATCHERS[name] : undefined;
  if (v3) return `unknown matcher \`${name}\`: Traefik v3 calls it ${v3}`;
  const close = MATCHERS.find((k) => k.toLowerCase() === name.toLowerCase()) ?? MATCHERS.find((k) => editDistance(k.toLowerCase(), name.toLowerCase()) <= 2);
  return `unknown matcher \`${name}\`${close ? ` (did you mean ${close}?)` : ''}: expected one of ${MATCHERS.join(', ')}`;
}

function arityMessage(name: string, got: number, arity: Record<string, [number, number]>): string {
  const [min, max] = arity[name]!;
  const want = min === max ? `exactly ${min}` : `${min} or ${max}`;
  const hint = got > max && max === 1 ? `; Traefik v3 takes one value per matcher: combine with ||, e.g. ${name}(\`a\`) || ${name}(\`b\`)` : '';
  return `${name} takes ${want} argument${max > 1 ? 's' : ''}, got ${got}${hint}`;
}

/** Parse a Traefik v3 HTTP router rule; throws RuleSyntaxError. */
export function parseRule(rule: string): RuleNode {
  return parseWith(rule, MATCHER_ARITY, checkMatcherArguments, 'Host(`example.com`)');
}

/** Parse a Traefik v3 TCP router rule (HostSNI, HostSNIRegexp, ClientIP, ALPN); throws RuleSyntaxError. */
export function parseTcpRule(rule: string): TcpRuleNode {
  return parseWith(rule, TCP_MATCHER_ARITY, checkTcpMatcherArguments, 'HostSNI(`example.com`)');
}

function parseWith<N extends string>(
  rule: string,
  arity: Record<N, [number, number]>,
  check: (node: MatcherNodeOf<N>) => void,
  example: string,
): RuleTree<MatcherNodeOf<N>> {
  type Node = RuleTree<MatcherNodeOf<N>>;
  if (!rule.trim()) throw new RuleSyntaxError(`empty rule: expected a matcher such as ${example}`, 1);
  const tokens = tokenize(rule);
  let pos = 0;
  const peek = () => tokens[pos]!;

  const parseOr = (): Node => {
    let left = parseAnd();
    while (peek().t === '||') {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseUnary();
    while (peek().t === '&&') {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Node => {
    if (peek().t === '!') {
      pos++;
      return { kind: 'not', operand: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Node => {
    const tok = peek();
    if (tok.t === '(') {
      pos++;
      const inner = parseOr();
      const close = peek();
      if (close.t === 'end') throw new RuleSyntaxError('unclosed parenthesis: expected ")" before the end of the rule', tok.col);
      if (close.t !== ')')
        throw new RuleSyntaxError(`expected "&&", "||" or ")" (to close the parenthesis at column ${tok.col}), found ${describe(close)}`, close.col);
      pos++;
      return inner;
    }
    if (tok.t === 'string')
      throw new RuleSyntaxError(`expected a matcher such as ${example}, found ${describe(tok)}: a string must be inside a matcher's parentheses`, tok.col);
    if (tok.t !== 'ident') throw new RuleSyntaxError(`expected a matcher such as ${example}, found ${describe(tok)}`, tok.col);
    pos++;
    if (!Object.hasOwn(arity, tok.v)) throw new RuleSyntaxError(unknownMatcher(tok.v, arity), tok.col);
    const name = tok.v as N;
    const open = peek();
    if (open.t !== '(') throw new RuleSyntaxError(`expected "(" after ${name}, found ${describe(open)}`, open.col);
    pos++;
    const args: string[] = [];
    const argColumns: number[] = [];
    for (;;) {
      const t = peek();
      if (t.t === ')') break;
      if (t.t !== 'string') {
        if (t.t === 'end') throw new RuleSyntaxError(`unclosed parenthesis of ${name}(: expected ")" before the end of the rule`, open.col);
        throw new RuleSyntaxError(`expected a quoted argument for ${name} (\`value\` or "value"), found ${describe(t)}`, t.col);
      }
      args.push(t.v);
      argColumns.push(t.col);
      pos++;
      const sep = peek();
      if (sep.t === ',') {
        pos++;
        continue;
      }
      if (sep.t === ')') break;
      if (sep.t === 'end') throw new RuleSyntaxError(`unclosed parenthesis of ${name}(: expected ")" before the end of the rule`, open.col);
      throw new RuleSyntaxError(`expected "," or ")" in ${name}(...), found ${describe(sep)}`, sep.col);
    }
    pos++;
    const [min, max] = arity[name];
    if (args.length < min || args.length > max) throw new RuleSyntaxError(arityMessage(name, args.length, arity), tok.col);
    const node: MatcherNodeOf<N> = { kind: 'matcher', name, args, column: tok.col, argColumns };
    check(node);
    return node;
  };

  const tree = parseOr();
  const rest = peek();
  if (rest.t === ')') throw new RuleSyntaxError('unexpected ")": no parenthesis is open here', rest.col);
  if (rest.t !== 'end') throw new RuleSyntaxError(`expected "&&", "||" or end of rule, found ${describe(rest)}`, rest.col);
  return tree;
}
