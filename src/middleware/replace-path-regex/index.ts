/**
 * `replacePathRegex`: rewrite the path with a regular expression (every
 * match, as Go's ReplaceAllString) and a replacement using `$1`/`${name}`
 * groups; the original path goes in X-Replaced-Path.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { goRegexpProblems } from '../go-regexp-option.js';
import { globalCopy, goReplacementToJs } from '../go-replacement.js';

export const replacePathRegex: MiddlewareType<{ regex: string; replacement: string }> = {
  type: 'replacePathRegex',
  optionsSchema: { required: ['regex', 'replacement'], properties: { regex: { type: 'string' }, replacement: { type: 'string' } } },
  validate: (o) => goRegexpProblems('regex', o.regex),
  build: ({ regex, replacement }) => {
    const test = compileGoRegexp(regex);
    const replaceAll = globalCopy(test);
    const js = goReplacementToJs(replacement);
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      if (test.test(path)) {
        ex.requestHeaders['x-replaced-path'] = path;
        ex.url = ensureLeadingSlash(path.replace(replaceAll, js)) + query;
      }
      return next(ex);
    };
  },
};
