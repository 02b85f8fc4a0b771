/**
 * Traefik rules and several middlewares take Go (RE2) regular expressions.
 * JavaScript's syntax looks alike but differs in ways that silently change
 * what matches, so the expression is read construct by construct and written
 * out in an unambiguous JavaScript form (always with the `u` flag, because Go
 * matches runes, not UTF-16 units):
 *
 * - `.` never matches `\n` only (JS also excludes `\r`, U+2028, U+2029);
 * - `\s` is `[\t\n\f\r ]` and `\d`, `\w`, `\b` are ASCII, as in Go;
 * - `(?m)` `^`/`$` see only `\n` as a line end (JS also takes `\r` etc.);
 * - `(?s)`, `(?m)`, `(?U)` work anywhere, scoped to their group as in Go;
 *   `(?i)` must cover the whole expression (Node 20 has no scoped modifiers);
 * - `(?P<name>…)`, POSIX classes `[[:alpha:]]`, `\Q…\E`, `\A`, `\z`, octal,
 *   `\x{…}`, `\pL`/`\p{Greek}` are rewritten; a lone `{`, `}` or `]` is a literal;
 * - what RE2 refuses is refused here too (backreferences, lookaround, `\Z`,
 *   `\C`, repeat counts over 1000), with the offending offset.
 *
 * Known limit: RE2 runs in linear time, JavaScript backtracks, so a pathological
 * expression such as `(a+)+$` can be slow on a long input.
 */

export class GoRegexpError extends Error {
  constructor(
    readonly reason: string,
    /** 0-based offset in the Go expression. */
    readonly offset: number,
    /** `syntax`: malformed; `unsupported`: valid elsewhere (PCRE, JS) but not in RE2, or not expressible here. */
    readonly kind: 'syntax' | 'unsupported' = 'syntax',
  ) {
    super(`${kind === 'syntax' ? 'invalid regular expression: ' : ''}${reason} (at character ${offset + 1} of the expression)`);
    this.name = 'GoRegexpError';
  }
}

export interface TranslatedRegexp {
  source: string;
  flags: string;
}

type Range = [number, number];
const MAX_CODE_POINT = 0x10ffff;
const MAX_REPEAT = 1000;

const DIGIT: Range[] = [[0x30, 0x39]];
const SPACE: Range[] = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];

const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const GENERAL_CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '));

function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Printable ASCII that means itself both inside and outside a JS class in `u` mode. */
const PLAIN = /^[A-Za-z0-9_/,:;'"<>=@#%&~`! ]$/;

/** One code point, written so that it is a literal wherever it lands (inside a class or not). */
function literal(c: number): string {
  const ch = String.fromCharCode(c);
  return c < 0x80 && PLAIN.test(ch) ? ch : `\\u{${c.toString(16)}}`;
}

function rangesBody(ranges: readonly Range[]): string {
  let s = '';
  for (const [lo, hi] of ranges) s += lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`;
  return s;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

/** An escape is a single code point, a set (class body for use inside `[...]`), an assertion or literal text. */
type Escape = { kind: 'char'; cp: number } | { kind: 'set'; body: string } | { kind: 'assert'; js: string } | { kind: 'text'; js: string };

class Translator {
  private pos = 0;
  private out = '';
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private readonly groups: Flags[] = [];
  /** Where each open group starts, for "missing )". */
  private readonly groupStarts: number[] = [];
  private caseInsensitive = false;
  /** What was written last, to refuse `a**` and `(*` as RE2 does. */
  private last: 'atom' | 'quantifier' | 'none' = 'none';

  constructor(private readonly src: string) {}

  private fail(reason: string, at = this.pos): never {
    throw new GoRegexpError(reason, at);
  }

  private unsupported(reason: string, at: number): never {
    throw new GoRegexpError(reason, at, 'unsupported');
  }

  translate(): TranslatedRegexp {
    // Flags set at the very start apply to the whole expression; `i` may only be set there.
    while (this.src.startsWith('(?', this.pos)) {
      const m = /^\(\?([imsU]*(?:-[imsU]*)?)\)/.exec(this.src.slice(this.pos));
      if (!m || m[1] === '' || m[1] === '-') break;
      this.applyFlags(m[1]!, this.pos, true);
      this.pos += m[0].length;
    }
    this.caseInsensitive = this.flags.i;
    while (this.pos < this.src.length) this.step();
    if (this.groups.length) this.fail('missing closing ) of the group opened here', this.groupStarts[this.groupStarts.length - 1]);
    return { source: this.out, flags: this.caseInsensitive ? 'iu' : 'u' };
  }

  private applyFlags(spec: string, at: number, leading = false): void {
    let on = true;
    for (const f of spec) {
      if (f === '-') {
        on = false;
        continue;
      }
      this.flags = { ...this.flags, [f]: on };
    }
    if (this.flags.i !== this.caseInsensitive && !leading) this.unsupported('(?i) can only apply to the whole expression here: put it at the very start', at);
  }

  private codePointAt(i: number): number {
    return this.src.codePointAt(i)!;
  }

  private step(): void {
    const start = this.pos;
    const ch = this.src[this.pos]!;
    const before = this.last;
    // Most constructs are atoms a quantifier may follow; the exceptions reset this below.
    this.last = 'atom';
    switch (ch) {
      case '\\': {
        const e = this.escape(false);
        if (e.kind === 'char') this.out += literal(e.cp);
        else if (e.kind === 'set') this.out += `[${e.body}]`;
        else this.out += e.js;
        if (e.kind === 'assert' || (e.kind === 'text' && !e.js)) this.last = 'none';
        return;
      }
      case '(':
        this.openGroup();
        this.last = 'none';
        return;
      case ')':
        if (!this.groups.length) this.fail('unexpected ) with no group open');
        this.flags = this.groups.pop()!;
        this.groupStarts.pop();
        this.out += ')';
        this.pos++;
        return;
      case '[':
        this.out += this.characterClass();
        return;
      case '.':
        this.out += this.flags.s ? '[^]' : '[^\\n]';
        this.pos++;
        return;
      case '^':
        this.out += this.flags.m ? '(?<![^\\n])' : '^';
        this.pos++;
        this.last = 'none';
        return;
      case '$':
        this.out += this.flags.m ? '(?![^\\n])' : '$';
        this.pos++;
        this.last = 'none';
        return;
      case '*':
      case '+':
      case '?':
        this.pos++;
        this.last = before;
        this.quantifier(ch, start);
        this.last = 'quantifier';
        return;
      case '{': {
        const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) {
          // Go reads a `{` that starts no valid repeat as a literal; JS (u) would refuse it.
          this.out += literal(0x7b);
          this.pos++;
          return;
        }
        const min = Number(m[1]);
        const max = m[2] ? (m[3] ? Number(m[3]) : -1) : min;
        if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail(`repeat count ${m[0]} is over ${MAX_REPEAT}`);
        if (max >= 0 && max < min) this.fail(`invalid repeat count ${m[0]} (min above max)`);
        this.pos += m[0].length;
        this.last = before;
        this.quantifier(m[0], start);
        this.last = 'quantifier';
        return;
      }
      case '}':
      case ']':
        this.out += literal(ch.charCodeAt(0));
        this.pos++;
        return;
      case '|':
        this.out += '|';
        this.pos++;
        this.last = 'none';
        return;
      default: {
        const cp = this.codePointAt(this.pos);
        this.out += literal(cp);
        this.pos += cp > 0xffff ? 2 : 1;
      }
    }
  }

  private quantifier(q: string, at: number): void {
    if (this.last === 'quantifier') this.fail(`invalid nested repetition operator ${q}`, at);
    if (this.last === 'none') this.fail(`missing argument to repetition operator ${q}`, at);
    let lazy = false;
    if (this.src[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    if (this.flags.U) lazy = !lazy;
    this.out += q + (lazy ? '?' : '');
  }

  private openGroup(): void {
    const at = this.pos;
    const rest = this.src.slice(this.pos);
    this.groups.push(this.flags);
    this.groupStarts.push(at);
    if (!rest.startsWith('(?')) {
      this.out += '(';
      this.pos++;
      return;
    }
    const named = /^\(\?P?<([^>]*)>/.exec(rest);
    if (named) {
      const name = named[1]!;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        if (/^\w+$/.test(name)) this.unsupported(`group name "${name}" must not start with a digit here`, at);
        else this.fail(`invalid group name "${name}"`, at);
      this.out += `(?<${name}>`;
      this.pos += named[0].length;
      return;
    }
    if (rest.startsWith('(?:')) {
      this.out += '(?:';
      this.pos += 3;
      return;
    }
    const flagged = /^\(\?([imsU]*(?:-[imsU]*)?)([:)])/.exec(rest);
    if (flagged && flagged[1] !== '' && flagged[1] !== '-') {
      this.pos += flagged[0].length;
      if (flagged[2] === ':') {
        this.applyFlags(flagged[1]!, at);
        this.out += '(?:';
      } else {
        // `(?s)` in the middle: applies to the rest of the enclosing group.
        this.groups.pop();
        this.groupStarts.pop();
        this.applyFlags(flagged[1]!, at);
      }
      return;
    }
    if (/^\(\?<?[=!]/.test(rest)) this.unsupported(`backreferences and lookaround are not RE2 syntax (found "${/^\(\?<?[=!]/.exec(rest)![0]}")`, at);
    if (rest.startsWith('(?P=')) this.unsupported('backreferences and lookaround are not RE2 syntax (found "(?P=")', at);
    this.fail(`unsupported group syntax ${rest.slice(0, 4)}`, at);
  }

  /** `\…` at this.pos; moves past it. */
  private escape(inClass: boolean): Escape {
    const at = this.pos;
    this.pos++;
    if (this.pos >= this.src.length) this.fail('trailing backslash at end of expression', at);
    const c = this.src[this.pos]!;
    const code = this.codePointAt(this.pos);
    this.pos++;
    if (code < 0x80 && !isAsciiAlnum(code)) return { kind: 'char', cp: code };
    switch (c) {
      case 'a':
        return { kind: 'char', cp: 0x07 };
      case 'f':
        return { kind: 'char', cp: 0x0c };
      case 'n':
        return { kind: 'char', cp: 0x0a };
      case 'r':
        return { kind: 'char', cp: 0x0d };
      case 't':
        return { kind: 'char', cp: 0x09 };
      case 'v':
        return { kind: 'char', cp: 0x0b };
      case 'd':
        return { kind: 'set', body: rangesBody(DIGIT) };
      case 'D':
        return { kind: 'set', body: rangesBody(complement(DIGIT)) };
      case 's':
        return { kind: 'set', body: rangesBody(SPACE) };
      case 'S':
        return { kind: 'set', body: rangesBody(complement(SPACE)) };
      case 'w':
        return { kind: 'set', body: rangesBody(WORD) };
      case 'W':
        return { kind: 'set', body: rangesBody(complement(WORD)) };
      case 'p':
      case 'P':
        return { kind: 'set', body: this.unicodeClass(c === 'P', at) };
      case 'x': {
        const braced = /^\{([0-9A-Fa-f]+)\}/.exec(this.src.slice(this.pos));
        if (braced) {
          const v = parseInt(braced[1]!, 16);
          if (braced[1]!.length > 8 || v > MAX_CODE_POINT) this.fail(`\\x{${braced[1]}} is beyond U+10FFFF`, at);
          this.pos += braced[0].length;
          return { kind: 'char', cp: v };
        }
        const two = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.pos));
        if (!two) this.fail('\\x needs two hex digits or {hex}', at);
        this.pos += 2;
        return { kind: 'char', cp: parseInt(two[0], 16) };
      }
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        // RE2: a lone non-zero digit would be a backreference (unsupported); otherwise up to three octal digits.
        const next = this.src[this.pos];
        if (c !== '0' && (next === undefined || next < '0' || next > '7'))
          this.unsupported(`backreferences and lookaround are not RE2 syntax (found "\\${c}")`, at);
        let v = code - 0x30;
        for (let k = 1; k < 3; k++) {
          const d = this.src[this.pos];
          if (d === undefined || d < '0' || d > '7') break;
          v = v * 8 + (d.charCodeAt(0) - 0x30);
          this.pos++;
        }
        return { kind: 'char', cp: v };
      }
    }
    if (!inClass)
      switch (c) {
        case 'b':
          return { kind: 'assert', js: '\\b' };
        case 'B':
          return { kind: 'assert', js: '\\B' };
        case 'A':
          return { kind: 'assert', js: '(?<![^])' };
        case 'z':
          return { kind: 'assert', js: '(?![^])' };
        case 'Q': {
          const end = this.src.indexOf('\\E', this.pos);
          const text = this.src.slice(this.pos, end < 0 ? undefined : end);
          this.pos = end < 0 ? this.src.length : end + 2;
          let js = '';
          for (const ch of text) js += literal(ch.codePointAt(0)!);
          return { kind: 'text', js: js ? `(?:${js})` : '' };
        }
      }
    if (c === 'Z') this.unsupported('\\Z is not RE2 syntax: use \\z for end of text', at);
    if (c === 'C') this.unsupported('\\C (any byte) is not supported', at);
    this.fail(`invalid escape sequence \\${c}${inClass ? ' in a character class' : ''}`, at);
  }

  private unicodeClass(negated: boolean, at: number): string {
    let name: string;
    if (this.src[this.pos] === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end < 0) this.fail('unclosed \\p{', at);
      name = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      if (this.pos >= this.src.length) this.fail('\\p needs a class name', at);
      name = this.src[this.pos]!;
      this.pos++;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    let body: string;
    if (GENERAL_CATEGORIES.has(name)) body = name;
    else if (name === 'Any') body = 'Any';
    else if (/^[A-Z][A-Za-z_]*$/.test(name)) body = `Script=${name}`;
    else this.fail(`unknown Unicode class ${name}`, at);
    try {
      new RegExp(`\\p{${body}}`, 'u');
    } catch {
      this.fail(`unknown Unicode class ${name}`, at);
    }
    return `\\${negated ? 'P' : 'p'}{${body}}`;
  }

  /** `[...]` at this.pos; returns the JS class. */
  private characterClass(): string {
    const at = this.pos;
    this.pos++;
    let negated = false;
    if (this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    let body = '';
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) this.fail('missing closing ] of character class', at);
      const ch = this.src[this.pos]!;
      // A `]` right after `[` or `[^` is a literal in Go.
      if (ch === ']' && !first) break;
      first = false;
      if (ch === '[' && this.src[this.pos + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        if (m) {
          const ranges = POSIX[m[2]!];
          if (!ranges) this.fail(`unknown POSIX class [:${m[2]}:]`);
          body += rangesBody(m[1] ? complement(ranges) : ranges);
          this.pos += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom();
      if (typeof lo === 'string') {
        body += lo;
        continue;
      }
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        const dash = this.pos;
        this.pos++;
        const hi = this.classAtom();
        if (typeof hi === 'string') this.fail('a class such as \\d cannot end a range', dash);
        if (hi < lo) this.fail(`invalid character class range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}`, dash);
        body += `${literal(lo)}-${literal(hi)}`;
      } else body += literal(lo);
    }
    this.pos++;
    return `[${negated ? '^' : ''}${body}]`;
  }

  /** A code point, or a set body (string) for `\d`, `\pL`… */
  private classAtom(): number | string {
    if (this.src[this.pos] === '\\') {
      const at = this.pos;
      const e = this.escape(true);
      if (e.kind === 'char') return e.cp;
      if (e.kind === 'set') return e.body;
      this.fail('this escape cannot appear in a character class', at);
    }
    const cp = this.codePointAt(this.pos);
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

/** Translate a Go expression into JS source and flags; throws GoRegexpError. */
export function translateGoRegexp(source: string): TranslatedRegexp {
  return new Translator(source).translate();
}

/** Compile a Go (RE2) expression into an equivalent RegExp; throws GoRegexpError. */
export function compileGoRegexp(source: string): RegExp {
  const { source: js, flags } = translateGoRegexp(source);
  try {
    return new RegExp(js, flags);
  } catch (err) {
    // What the translation lets through and JS still refuses, e.g. `a**` or `(*)`.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    throw new GoRegexpError(reason, 0);
  }
}
