/** `stripPrefix`: remove the first matching prefix; the backend learns it from X-Forwarded-Prefix. */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator, stringList } from '../options-schema.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';

export const stripPrefix: MiddlewareType<{ prefixes: string[]; forceSlash?: boolean }> = {
  type: 'stripPrefix',
  validate: optionsValidator({ required: ['prefixes'], properties: { prefixes: { ...stringList, minItems: 1 }, forceSlash: { type: 'boolean' } } }),
  build: ({ prefixes }) => {
    // Longest first, so `/api/v1` wins over `/api`.
    const sorted = [...prefixes].sort((a, b) => b.length - a.length);
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      for (const prefix of sorted) {
        const bare = prefix.replace(/\/$/, '');
        if (path === bare || path.startsWith(bare + '/') || (prefix.endsWith('/') && path.startsWith(prefix))) {
          ex.url = ensureLeadingSlash(path.slice(bare.length)) + query;
          ex.requestHeaders['x-forwarded-prefix'] = bare;
          break;
        }
      }
      return next(ex);
    };
  },
};
