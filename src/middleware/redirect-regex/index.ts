/** `redirectRegex`: redirect when the full request URL matches; the replacement may use $1-style groups. */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator } from '../options-schema.js';
import { compileGoRegexp } from '../../router/go-regexp.js';

export const redirectRegex: MiddlewareType<{ regex: string; replacement: string; permanent?: boolean }> = {
  type: 'redirectRegex',
  validate: (o) => {
    const problems = optionsValidator({ required: ['regex', 'replacement'], properties: { regex: { type: 'string' }, replacement: { type: 'string' }, permanent: { type: 'boolean' } } })(o);
    try {
      if (typeof (o as { regex?: unknown })?.regex === 'string') compileGoRegexp((o as { regex: string }).regex);
    } catch (err) {
      problems.push(['regex', (err as Error).message]);
    }
    return problems;
  },
  build: ({ regex, replacement, permanent }) => {
    const re = compileGoRegexp(regex);
    const js = replacement.replace(/\$\{(\w+)\}/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`));
    return (next) => (ex) => {
      const full = `${ex.scheme}://${ex.authority}${ex.url}`;
      if (!re.test(full)) return next(ex);
      const safe = ex.method === 'GET' || ex.method === 'HEAD';
      ex.respond(permanent ? (safe ? 301 : 308) : safe ? 302 : 307, { location: full.replace(re, js) });
    };
  },
};
