/** `replacePath`: forward to a fixed path; the original goes in X-Replaced-Path. */
import type { MiddlewareType } from '../middleware-type.js';
import { splitUrl } from '../url-parts.js';

export const replacePath: MiddlewareType<{ path: string }> = {
  type: 'replacePath',
  optionsSchema: { required: ['path'], properties: { path: { type: 'string', pattern: '^/' } } },
  build:
    ({ path }) =>
    (next) =>
    (ex) => {
      const [original, query] = splitUrl(ex.url);
      ex.requestHeaders['x-replaced-path'] = original;
      ex.url = path + query;
      return next(ex);
    },
};
