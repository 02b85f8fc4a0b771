/** `stripPrefixRegex`: remove the prefix the first matching regular expression matches at the start of the path. */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator, stringList } from '../options-schema.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';
import { compileGoRegexp } from '../../router/go-regexp.js';

export const stripPrefixRegex: MiddlewareType<{ regex: string[] }> = {
  type: 'stripPrefixRegex',
  validate: (o) => {
    const problems = optionsValidator({ required: ['regex'], properties: { regex: { ...stringList, minItems: 1 } } })(o);
    (o as { regex?: unknown[] })?.regex?.forEach((r, i) => {
      try {
        compileGoRegexp(String(r));
      } catch (err) {
        problems.push([`regex[${i}]`, (err as Error).message]);
      }
    });
    return problems;
  },
  build: ({ regex }) => {
    const res = regex.map((r) => compileGoRegexp(r.startsWith('^') ? r : '^' + r));
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      for (const re of res) {
        const m = re.exec(path);
        if (m && m.index === 0) {
          ex.url = ensureLeadingSlash(path.slice(m[0].length)) + query;
          ex.requestHeaders['x-forwarded-prefix'] = m[0].replace(/\/$/, '');
          break;
        }
      }
      return next(ex);
    };
  },
};
