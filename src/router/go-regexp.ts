/**
 * Traefik rules use Go (RE2) regular expressions. Translate the differences
 * that matter to JavaScript and refuse what would silently mean something else.
 */
export function compileGoRegexp(source: string): RegExp {
  let src = source;
  let flags = '';
  // A leading (?i) or (?s) is common in RE2; JS needs them as flags.
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  if (/\(\?[a-zA-Z-]+[:)]/.test(src.replace(/\(\?P?</g, ''))) throw new Error('inline flags are only supported at the start of the expression, e.g. (?i)');
  src = src.replace(/\(\?P</g, '(?<');
  src = src.replace(/\\z/g, '$').replace(/\\A/g, '^');
  if (/\\[pP]\{/.test(src)) flags += 'u';
  // RE2 has no backreferences or lookaround; JS would accept them with other meaning.
  if (/\\[1-9]|\(\?[=!]|\(\?<[=!]/.test(src)) throw new Error('backreferences and lookaround are not RE2 syntax');
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
}
