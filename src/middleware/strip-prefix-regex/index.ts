/**
 * `stripPrefixRegex`: remove what the first matching expression matches at
 * the start of the path; the removed text goes in X-Forwarded-Prefix.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator, stringList } from '../options-schema.js';
import { addHeaderValue, ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';

/** A prefix is matched at the start, never found in the middle; a leading (?i) stays first. */
function anchored(source: string): string {
  const flags = /^\(\?[ims]+\)/.exec(source)?.[0] ?? '';
  const rest = source.slice(flags.length);
  return flags + (rest.startsWith('^') ? rest : `^(?:${rest})`);
}

export const stripPrefixRegex: MiddlewareType<{ regex: string[] }> = {
  type: 'stripPrefixRegex',
  validate: (o) => {
    const problems = optionsValidator({ required: ['regex'], properties: { regex: { ...stringList, minItems: 1 } } })(o);
    (o as { regex?: unknown[] } | undefined)?.regex?.forEach((r, i) => {
      if (typeof r !== 'string') return;
      try {
        compileGoRegexp(r);
      } catch (err) {
        problems.push([`regex[${i}]`, (err as Error).message]);
      }
    });
    return problems;
  },
  build: ({ regex }) => {
    const res = regex.map((r) => compileGoRegexp(anchored(r)));
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      for (const re of res) {
        const m = re.exec(path);
        if (m && m[0].length > 0) {
          ex.url = ensureLeadingSlash(path.slice(m[0].length)) + query;
          addHeaderValue(ex.requestHeaders, 'x-forwarded-prefix', m[0]);
          break;
        }
      }
      return next(ex);
    };
  },
};
