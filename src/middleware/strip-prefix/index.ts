/**
 * `stripPrefix`: remove the first listed prefix the path starts with (a
 * plain string prefix, in list order, as Traefik does: list `/api/v1` before
 * `/api`). The backend learns what was removed from X-Forwarded-Prefix.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { stringList } from '../options-schema.js';
import { addHeaderValue, ensureLeadingSlash, splitUrl } from '../url-parts.js';

export const stripPrefix: MiddlewareType<{ prefixes: string[]; forceSlash?: boolean }> = {
  type: 'stripPrefix',
  optionsSchema: {
    required: ['prefixes'],
    properties: { prefixes: { ...stringList, minItems: 1 }, forceSlash: { type: 'boolean' } },
  },
  validate: (o) => o.prefixes.flatMap((p, i) => (p.trim() === '' ? [[`prefixes[${i}]`, 'an empty prefix would match every path; remove it']] : [])),
  build: ({ prefixes }) => {
    const list = prefixes.map((p) => p.trim());
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      for (const prefix of list) {
        if (path.startsWith(prefix)) {
          ex.url = ensureLeadingSlash(path.slice(prefix.length)) + query;
          addHeaderValue(ex.requestHeaders, 'x-forwarded-prefix', prefix);
          break;
        }
      }
      return next(ex);
    };
  },
};
