/** `replacePathRegex`: rewrite the path with a regular expression and a replacement using $1-style groups. */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator } from '../options-schema.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';

export const replacePathRegex: MiddlewareType<{ regex: string; replacement: string }> = {
  type: 'replacePathRegex',
  validate: (o) => {
    const problems = optionsValidator({ required: ['regex', 'replacement'], properties: { regex: { type: 'string' }, replacement: { type: 'string' } } })(o);
    try {
      if (typeof (o as { regex?: unknown })?.regex === 'string') compileGoRegexp((o as { regex: string }).regex);
    } catch (err) {
      problems.push(['regex', (err as Error).message]);
    }
    return problems;
  },
  build: ({ regex, replacement }) => {
    const re = compileGoRegexp(regex);
    // Go's ${1} and $1 both become JS's $1.
    const js = replacement.replace(/\$\{(\w+)\}/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`));
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      if (re.test(path)) {
        ex.requestHeaders['x-replaced-path'] = path;
        ex.url = ensureLeadingSlash(path.replace(re, js)) + query;
      }
      return next(ex);
    };
  },
};
