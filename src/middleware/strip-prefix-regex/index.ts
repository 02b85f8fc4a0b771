/**
 * `stripPrefixRegex`: remove what the first matching expression matches at
 * the start of the path; the removed text goes in X-Forwarded-Prefix.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { stringList } from '../options-schema.js';
import { addHeaderValue, ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { goRegexpProblems } from '../go-regexp-option.js';

/** A prefix is matched at the start, never found in the middle; a leading (?i) stays first. */
function anchored(source: string): string {
  const flags = /^\(\?[ims]+\)/.exec(source)?.[0] ?? '';
  const rest = source.slice(flags.length);
  return flags + (rest.startsWith('^') ? rest : `^(?:${rest})`);
}

export const stripPrefixRegex: MiddlewareType<{ regex: string[] }> = {
  type: 'stripPrefixRegex',
  optionsSchema: { required: ['regex'], properties: { regex: { ...stringList, minItems: 1 } } },
  validate: (o) => o.regex.flatMap((r, i) => goRegexpProblems(`regex[${i}]`, r)),
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
