import { describe, expect, test } from 'vitest';
import { parseRule, RuleSyntaxError } from '../../src/router/rule-parser.js';
import type { RuleNode } from '../../src/router/rule-ast.js';

function fail(rule: string): RuleSyntaxError {
  try {
    parseRule(rule);
  } catch (e) {
    expect(e).toBeInstanceOf(RuleSyntaxError);
    return e as RuleSyntaxError;
  }
  throw new Error(`expected ${rule} to be refused`);
}

/** A compact picture of the tree: matchers by name, operators as lisp. */
function shape(n: RuleNode): string {
  if (n.kind === 'matcher') return n.name;
  if (n.kind === 'not') return `(! ${shape(n.operand)})`;
  return `(${n.kind} ${shape(n.left)} ${shape(n.right)})`;
}

describe('rule parser', () => {
  test('precedence: ! binds tighter than &&, && tighter than ||; both are left-associative', () => {
    expect(shape(parseRule('Host(`a`) || Path(`/`) && Method(`GET`)'))).toBe('(or Host (and Path Method))');
    expect(shape(parseRule('Host(`a`) && Path(`/`) || Method(`GET`)'))).toBe('(or (and Host Path) Method)');
    expect(shape(parseRule('!Host(`a`) && Path(`/`)'))).toBe('(and (! Host) Path)');
    expect(shape(parseRule('!(Host(`a`) && Path(`/`))'))).toBe('(! (and Host Path))');
    expect(shape(parseRule('!!Host(`a`)'))).toBe('(! (! Host))');
    expect(shape(parseRule('Host(`a`) && Path(`/`) && Method(`GET`)'))).toBe('(and (and Host Path) Method)');
    expect(shape(parseRule('Host(`a`) || Path(`/`) || Method(`GET`)'))).toBe('(or (or Host Path) Method)');
    expect(shape(parseRule('(Host(`a`) || Path(`/`)) && Method(`GET`)'))).toBe('(and (or Host Path) Method)');
    expect(shape(parseRule('((((Host(`a`)))))'))).toBe('Host');
  });

  test('arguments: backticks are raw, double quotes are Go interpreted strings; whitespace and a trailing comma are fine', () => {
    const args = (rule: string) => (parseRule(rule) as Extract<RuleNode, { kind: 'matcher' }>).args;
    expect(args('PathRegexp(`^/a\\d+$`)')).toEqual(['^/a\\d+$']);
    expect(args('PathRegexp("^/a\\\\d+$")')).toEqual(['^/a\\d+$']);
    expect(args('Header("X-Q", "say \\"hi\\"\\t\\u00e9\\x41\\101")')).toEqual(['X-Q', 'say "hi"\té' + 'AA']);
    expect(args('Header( `a` ,\n\t`b` , )')).toEqual(['a', 'b']);
    expect(args('Query(`k`)')).toEqual(['k']);
    expect(args('Query(`k`, ``)')).toEqual(['k', '']);
    const m = parseRule('Host(`a`) && Header(`K`, "v")') as Extract<RuleNode, { kind: 'and' | 'or' }>;
    expect(m.right).toMatchObject({ name: 'Header', column: 14, argColumns: [21, 26] });
  });

  test('unknown matchers: column, hint and the list of what is expected', () => {
    const e = fail('Hots(`a`)');
    expect(e.column).toBe(1);
    expect(e.message).toBe(
      'unknown matcher `Hots` (did you mean Host?): expected one of Host, HostRegexp, Path, PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP at column 1',
    );
    expect(fail('host(`a`)').message).toMatch(/did you mean Host\?/);
    expect(fail('Host(`a`) && Pth(`/`)').column).toBe(14);
    expect(fail('Headers(`a`, `b`)').message).toMatch(/^unknown matcher `Headers`: Traefik v3 calls it Header/);
    expect(fail('HostHeader(`a`)').message).toMatch(/Traefik v3 calls it Host/);
    expect(fail('Frobnicate(`a`)').message).not.toMatch(/did you mean/);
    expect(fail('toString(`a`)').message).toMatch(/unknown matcher `toString`/);
  });

  test('structural errors carry the column and what was expected', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['Host(`a`) && (Path(`/x`)', 14, /^unclosed parenthesis: expected "\)" before the end of the rule at column 14$/],
      ['(Host(`a`) Path(`/`))', 12, /expected "&&", "\|\|" or "\)" \(to close the parenthesis at column 1\), found "Path"/],
      ['Host(`a`', 5, /unclosed parenthesis of Host\(/],
      ['Host(`a`) & Path(`/`)', 11, /expected "&&", found "&"/],
      ['Host(`a`) | Path(`/`)', 11, /expected "\|\|", found "\|"/],
      ['Host(`a`) Path(`/`)', 11, /expected "&&", "\|\|" or end of rule, found "Path"/],
      ['Host(`a`) &&', 13, /expected a matcher such as Host\(`example.com`\), found end of rule/],
      ['&& Host(`a`)', 1, /expected a matcher/],
      ['Host(`a`))', 10, /unexpected "\)": no parenthesis is open here/],
      ['Host(`a)', 6, /unterminated string: expected a closing backtick/],
      ['Host("a)', 6, /unterminated string: expected a closing "/],
      ["Host('a')", 6, /single quotes are not string quotes/],
      ['Host(a)', 6, /expected a quoted argument for Host/],
      ['Host(`a` `b`)', 10, /expected "," or "\)" in Host\(...\), found the string "b"/],
      ['Host', 5, /expected "\(" after Host, found end of rule/],
      ['`a`', 1, /a string must be inside a matcher's parentheses/],
      ['Host(`a`) && $', 14, /unexpected character "\$"/],
      ['', 1, /empty rule/],
      ['   ', 1, /empty rule/],
      ['Host("\\q")', 7, /invalid escape \\q in a double-quoted string/],
      ['Host("\\u12")', 7, /invalid escape \\u12/],
    ];
    for (const [rule, column, message] of cases) {
      const e = fail(rule);
      expect(e.column, rule).toBe(column);
      expect(e.message, rule).toMatch(message);
      expect(e.message, rule).toMatch(new RegExp(` at column ${column}$`));
      expect(e.reason, rule).not.toMatch(/ at column \d+$/);
    }
  });

  test('each matcher takes exactly the arguments Traefik v3 takes', () => {
    const ok = [
      'Host(`a`)',
      'HostRegexp(`a`)',
      'Path(`/`)',
      'PathPrefix(`/`)',
      'PathRegexp(`/`)',
      'Method(`GET`)',
      'Header(`a`, `b`)',
      'HeaderRegexp(`a`, `b`)',
      'Query(`a`)',
      'Query(`a`, `b`)',
      'QueryRegexp(`a`)',
      'QueryRegexp(`a`, `b`)',
      'ClientIP(`10.0.0.1`)',
    ];
    for (const rule of ok) expect(() => parseRule(rule), rule).not.toThrow();
    expect(fail('Host(`a`, `b`)').message).toMatch(/^Host takes exactly 1 argument, got 2; Traefik v3 takes one value per matcher: combine with \|\|/);
    expect(fail('Host()').message).toMatch(/Host takes exactly 1 argument, got 0/);
    expect(fail('PathPrefix(`/a`, `/b`)').message).toMatch(/PathPrefix takes exactly 1 argument, got 2/);
    expect(fail('Method(`GET`, `POST`)').message).toMatch(/Method takes exactly 1 argument/);
    expect(fail('Header(`a`)').message).toMatch(/Header takes exactly 2 arguments, got 1/);
    expect(fail('HeaderRegexp(`a`, `b`, `c`)').message).toMatch(/HeaderRegexp takes exactly 2 arguments, got 3/);
    expect(fail('Query(`a`, `b`, `c`)').message).toMatch(/Query takes 1 or 2 arguments, got 3/);
    expect(fail('ClientIP(`10.0.0.1`, `10.0.0.2`)').message).toMatch(/ClientIP takes exactly 1 argument/);
  });

  test('arguments are checked at parse time, with the column of the argument', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['Host(``)', 6, /Host: the domain is empty/],
      ['Host(`exämple.com`)', 9, /non-ASCII characters are not allowed.*punycode/],
      ['Host(`a.com:8080`)', 6, /has a port.*Host\(`a.com`\)/],
      ['Host(`a b`)', 8, /is not a domain/],
      ['Host(`a/b`)', 8, /is not a domain/],
      ['HostRegexp(`ö`)', 13, /non-ASCII/],
      ['Path(`x`)', 6, /path "x" must start with "\/"/],
      ['PathPrefix(`api`)', 12, /must start with "\/"/],
      ['Path(`/a/../b`)', 6, /can never match: request paths are normalised.*"\/b"/],
      ['Path(`/a//b`)', 6, /can never match/],
      ['PathPrefix(`/a/./`)', 12, /can never match/],
      ['Path(`/a%2Fb`)', 6, /can never match: encoded slash/],
      ['Path(`/a?b=1`)', 9, /contains "\?": match the query with Query/],
      ['PathRegexp(`(a`)', 13, /PathRegexp: invalid regular expression: missing closing \) of the group opened here/],
      ['Host(`a`) && PathRegexp(`^/x(?=y)`)', 29, /PathRegexp: backreferences and lookaround are not RE2 syntax/],
      ['HeaderRegexp(`X`, `[z-a]`)', 22, /HeaderRegexp: invalid regular expression: invalid character class range/],
      ['QueryRegexp(`q`, `a**`)', 21, /invalid nested repetition/],
      ['HostRegexp(`\\Z`)', 13, /\\Z is not RE2 syntax/],
      ['Method(`GET POST`)', 8, /"GET POST" is not an HTTP method/],
      ['Header(`X Y`, `v`)', 8, /"X Y" is not a header name/],
      ['ClientIP(`10.0.0.0/40`)', 10, /ClientIP: "10.0.0.0\/40": prefix length must be 0..32/],
      ['ClientIP(`example.com`)', 10, /not an IP address or CIDR range/],
    ];
    for (const [rule, column, message] of cases) {
      const e = fail(rule);
      expect(e.message, rule).toMatch(message);
      expect(e.column, rule).toBe(column);
    }
    // A prefix may end inside a segment that looks like a dot segment.
    expect(() => parseRule('PathPrefix(`/a/..`)')).not.toThrow();
    expect(() => parseRule('PathPrefix(`/a/.`)')).not.toThrow();
    expect(() => parseRule('Host(`[::1]`)')).not.toThrow();
    expect(() => parseRule('Host(`::1`)')).not.toThrow();
    expect(() => parseRule('Host(`example.com.`)')).not.toThrow();
  });

  test('never throws anything but RuleSyntaxError on arbitrary input (bounded fuzz)', () => {
    const alphabet = ['Host', 'Path', '(', ')', '`a`', '`/`', '"x"', ',', '&&', '||', '!', ' ', '&', '|', '"', '`', '\\', 'Query', 'é', '\n'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 3000; i++) {
      let rule = '';
      const len = 1 + rnd(12);
      for (let k = 0; k < len; k++) rule += alphabet[rnd(alphabet.length)];
      try {
        parseRule(rule);
      } catch (e) {
        expect(e, rule).toBeInstanceOf(RuleSyntaxError);
        const col = (e as RuleSyntaxError).column;
        expect(col >= 1 && col <= rule.length + 1, `${rule} → column ${col}`).toBe(true);
      }
    }
  });
});
