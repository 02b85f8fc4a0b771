/** `addPrefix`: prepend a path prefix before forwarding (a missing leading `/` is added, a trailing one dropped). */
import type { MiddlewareType } from '../middleware-type.js';
import { ensureLeadingSlash, splitUrl } from '../url-parts.js';

export const addPrefix: MiddlewareType<{ prefix: string }> = {
  type: 'addPrefix',
  optionsSchema: { required: ['prefix'], properties: { prefix: { type: 'string', minLength: 1 } } },
  build: ({ prefix }) => {
    const p = ensureLeadingSlash(prefix).replace(/\/$/, '');
    return (next) => (ex) => {
      const [path, query] = splitUrl(ex.url);
      ex.url = p + path + query;
      return next(ex);
    };
  },
};
