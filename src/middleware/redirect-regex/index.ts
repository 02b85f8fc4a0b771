/**
 * `redirectRegex`: redirect when the full request URL (`scheme://host/path?query`)
 * matches; the replacement may use `$1`/`${name}` groups. 301/308 when
 * permanent, else 302/307 (the 30x that keeps the method for non-GET).
 * A replacement equal to the original URL is no redirect (no loops).
 */
import type { MiddlewareType } from '../middleware-type.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { goRegexpProblems } from '../go-regexp-option.js';
import { globalCopy, goReplacementToJs } from '../go-replacement.js';
import { redirectStatus } from '../redirect-status.js';

export const redirectRegex: MiddlewareType<{ regex: string; replacement: string; permanent?: boolean }> = {
  type: 'redirectRegex',
  optionsSchema: {
    required: ['regex', 'replacement'],
    properties: { regex: { type: 'string' }, replacement: { type: 'string' }, permanent: { type: 'boolean' } },
  },
  validate: (o) => goRegexpProblems('regex', o.regex),
  build: ({ regex, replacement, permanent = false }) => {
    const test = compileGoRegexp(regex);
    const replaceAll = globalCopy(test);
    const js = goReplacementToJs(replacement);
    return (next) => (ex) => {
      const full = `${ex.scheme}://${ex.authority}${ex.url}`;
      if (!test.test(full)) return next(ex);
      const location = full.replace(replaceAll, js);
      if (location === full) return next(ex);
      ex.respond(redirectStatus(ex.method, permanent), { location, 'content-length': '0' });
    };
  },
};
