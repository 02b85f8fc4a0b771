/**
 * `replacePathRegex`: rewrite the path with a regular expression (every
 * match, as Go's ReplaceAllString) and a replacement using `$1`/`${name}`
 * groups; the original path goes in X-Replaced-Path.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator } from '../options-schema.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { globalCopy, goReplacementToJs } from '../go-replacement.js';

export const replacePathRegex: MiddlewareType<{ regex: string; replacement: string }> = {
  type: 'replacePathRegex',
  validate: (o) => {
    const problems = optionsValidator({ required: ['regex', 'replacement'], properties: { regex: { type: 'string' }, replacement: { type: 'string' } } })(o);
    const regex = (o as { regex?: unknown } | undefined)?.regex;
    if (typeof regex === 'string')
      try {
        compileGoRegexp(regex);
      } catch (err) {
        problems.push(['regex', (err as Error).message]);
      }
    return problems;
  },
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
