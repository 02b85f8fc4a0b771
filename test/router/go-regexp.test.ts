import { describe, expect, test } from 'vitest';
import { compileGoRegexp, GoRegexpError, translateGoRegexp } from '../../src/router/go-regexp.js';

const m = (re: string, s: string) => compileGoRegexp(re).test(s);

function refused(re: string): GoRegexpError {
  try {
    compileGoRegexp(re);
  } catch (e) {
    expect(e).toBeInstanceOf(GoRegexpError);
    return e as GoRegexpError;
  }
  throw new Error(`expected ${re} to be refused`);
}

describe('Go (RE2) regular expressions in JavaScript', () => {
  test('named groups: (?P<name>) and (?<name>) both become JS named groups', () => {
    expect(compileGoRegexp('^/(?P<v>v\\d+)/(?<r>\\w+)$').exec('/v2/users')?.groups).toEqual({ v: 'v2', r: 'users' });
    expect(refused('(?P<1a>x)').message).toMatch(/must not start with a digit/);
    expect(refused('(?P<a-b>x)').message).toMatch(/invalid group name/);
  });

  test('flags: leading (?i) is the i flag; (?s), (?m), (?U) work anywhere, scoped like Go', () => {
    expect(m('(?i)^abc$', 'ABC')).toBe(true);
    expect(m('(?s)(?i)^a.c$', 'A\nC')).toBe(true);
    expect(m('^a.c$', 'a\nc')).toBe(false);
    expect(m('(?s)^a.c$', 'a\nc')).toBe(true);
    expect(m('(?s:a.)b.', 'a\nbc')).toBe(true);
    expect(m('(?s:a.)b.', 'a\nb\n')).toBe(false);
    expect(m('x(?s).', 'x\n')).toBe(true);
    expect(compileGoRegexp('(?U)a+').exec('aaa')?.[0]).toBe('a');
    expect(compileGoRegexp('(?U)a+?').exec('aaa')?.[0]).toBe('aaa');
    expect(refused('a(?i)b').message).toMatch(/\(\?i\) can only apply to the whole expression/);
    expect(refused('(?i:a)b').message).toMatch(/\(\?i\)/);
    expect(m('(?i)a(?i)b', 'AB')).toBe(true); // re-stating the same flag is harmless
  });

  test('. and \\s mean what they mean in Go', () => {
    expect(m('^.$', '\r')).toBe(true); // JS . would refuse \r
    expect(m('^.$', '\u2028')).toBe(true);
    expect(m('^.$', '\n')).toBe(false);
    expect(m('^.$', '😀')).toBe(true); // one rune
    expect(m('^\\s$', '\v')).toBe(false); // Go \s is [\t\n\f\r ]
    expect(m('^\\s$', '\u00a0')).toBe(false);
    expect(m('^\\s$', '\t')).toBe(true);
    expect(m('^\\S$', '\u00a0')).toBe(true);
    expect(m('^\\d$', '٣')).toBe(false);
    expect(m('^\\w+$', 'abc_09')).toBe(true);
    expect(m('^\\W$', 'é')).toBe(true);
    expect(m('^[\\W]$', 'a')).toBe(false);
  });

  test('multi-line anchors see only \\n as a line end', () => {
    expect(m('(?m)^b$', 'a\nb\nc')).toBe(true);
    expect(m('(?m)^b$', 'a\rb\rc')).toBe(false); // JS m would match here
    expect(m('^b$', 'a\nb')).toBe(false);
    expect(m('(?m)\\Ab', 'a\nb')).toBe(false);
    expect(m('a\\z', 'a\n')).toBe(false);
    expect(m('a$', 'a\n')).toBe(false);
  });

  test('POSIX classes, \\pL, \\p{Script}, octal, \\x{…}, \\Q…\\E', () => {
    expect(m('^[[:alpha:]]+$', 'abcXYZ')).toBe(true);
    expect(m('^[[:alpha:]]+$', 'ab:')).toBe(false);
    expect(m('^[[:^digit:]]+$', 'ab')).toBe(true);
    expect(m('^[[:^digit:]]+$', 'a1')).toBe(false);
    expect(m('^[[:xdigit:][:space:]]+$', 'aF 09')).toBe(true);
    expect(refused('[[:nope:]]').message).toMatch(/unknown POSIX class/);
    expect(m('^\\pL+$', 'héllo')).toBe(true);
    expect(m('^\\p{Greek}+$', 'αβγ')).toBe(true);
    expect(m('^\\p{Greek}+$', 'abc')).toBe(false);
    expect(m('^\\P{Lu}+$', 'abc')).toBe(true);
    expect(m('^\\p{^Lu}+$', 'abc')).toBe(true);
    expect(m('^[\\p{Lu}\\d]+$', 'A1B2')).toBe(true);
    expect(refused('\\p{Klingon}').message).toMatch(/unknown Unicode class/);
    expect(m('^\\101\\x42\\x{43}$', 'ABC')).toBe(true);
    expect(m('^\\x{1F600}$', '😀')).toBe(true);
    expect(m('^\\Qa.b*c\\E$', 'a.b*c')).toBe(true);
    expect(m('^\\Qa.b*c\\E$', 'axbbc')).toBe(false);
    expect(m('^\\Qa.b', 'a.b')).toBe(true);
  });

  test('literal braces and brackets where Go reads them literally', () => {
    expect(m('^a{,3}$', 'a{,3}')).toBe(true);
    expect(m('^{$', '{')).toBe(true);
    expect(m('^a}$', 'a}')).toBe(true);
    expect(m('^]$', ']')).toBe(true);
    expect(m('^[]a]+$', ']a]')).toBe(true);
    expect(m('^[^]a]$', 'b')).toBe(true);
    expect(m('^[a-]+$', 'a-')).toBe(true);
    expect(m('^[\\d-z]+$', '1-z')).toBe(true);
    expect(m('^\\-\\#\\&\\~$', '-#&~')).toBe(true);
    expect(m('^a{2,3}$', 'aaa')).toBe(true);
    expect(m('^a{2}$', 'aaa')).toBe(false);
    expect(compileGoRegexp('a{2,3}?').exec('aaa')?.[0]).toBe('aa');
  });

  test('what RE2 refuses is refused, with the offset', () => {
    const cases: Array<[string, RegExp, number]> = [
      ['(?=a)', /backreferences and lookaround are not RE2 syntax/, 0],
      ['x(?!a)', /lookaround/, 1],
      ['(?<=a)b', /lookaround/, 0],
      ['(?<!a)b', /lookaround/, 0],
      ['(a)\\1', /backreferences/, 3],
      ['(?P<n>a)(?P=n)', /backreferences/, 8],
      ['a\\Z', /\\Z is not RE2 syntax/, 1],
      ['\\C', /\\C \(any byte\)/, 0],
      ['\\k<n>', /invalid escape sequence \\k/, 0],
      ['\\8', /invalid escape sequence \\8/, 0],
      ['a{1001}', /repeat count \{1001\} is over 1000/, 1],
      ['a{3,2}', /min above max/, 1],
      ['a**', /invalid nested repetition operator/, 2],
      ['a{2}{3}', /invalid nested repetition operator/, 4],
      ['*a', /missing argument to repetition operator/, 0],
      ['(|*)', /missing argument/, 2],
      ['(a', /missing closing \) of the group opened here/, 0],
      ['a)', /unexpected \)/, 1],
      ['[a', /missing closing \]/, 0],
      ['[z-a]', /invalid character class range z-a/, 2],
      ['[a-\\d]', /cannot end a range/, 2],
      ['a\\', /trailing backslash/, 1],
      ['\\x{110000}', /beyond U\+10FFFF/, 0],
      ['\\xZ', /two hex digits/, 0],
      ['[\\b]', /invalid escape sequence \\b in a character class/, 1],
      ['(?x)a', /unsupported group syntax/, 0],
    ];
    for (const [re, message, offset] of cases) {
      const e = refused(re);
      expect(e.message, re).toMatch(message);
      expect(e.offset, re).toBe(offset);
    }
    expect(refused('(').message).toMatch(/^invalid regular expression: /);
    expect(refused('(?=x)').message).toMatch(/^backreferences and lookaround are not RE2 syntax/);
  });

  test('capture group numbering is kept (replacements use $1)', () => {
    const re = compileGoRegexp('^/(\\w+)/(?:x)(\\d+)(?m)$');
    expect('/ab/x12'.replace(re, '$2-$1')).toBe('12-ab');
    expect(translateGoRegexp('a').flags).toBe('u');
    expect(translateGoRegexp('(?i)a').flags).toBe('iu');
  });

  test('never throws anything but GoRegexpError on arbitrary input (bounded fuzz)', () => {
    const alphabet = [
      'a',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      '*',
      '+',
      '?',
      '\\',
      '|',
      '^',
      '$',
      '.',
      '-',
      ':',
      'P',
      '<',
      '>',
      '1',
      ',',
      'd',
      'p',
      'Q',
      'E',
      'i',
      's',
      '=',
      '!',
    ];
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 5000; i++) {
      let re = '';
      const len = 1 + rnd(10);
      for (let k = 0; k < len; k++) re += alphabet[rnd(alphabet.length)];
      try {
        compileGoRegexp(re).test('a(b)c');
      } catch (e) {
        expect(e, re).toBeInstanceOf(GoRegexpError);
      }
    }
  });
});
