/**
 * Example plugin: give every request an ID (kept if the client or a trusted
 * proxy already sent one), pass it to the backend, and echo it in the response.
 */
import { randomUUID } from 'node:crypto';
import { defineMiddleware } from '../../sdk/index.js';

interface Options {
  /** Header to use; default X-Request-Id. */
  headerName?: string;
}

export default defineMiddleware<Options>({
  type: 'requestId',
  validate: (options) => {
    const o = (options ?? {}) as Record<string, unknown>;
    const problems: Array<[string, string]> = [];
    for (const k of Object.keys(o)) if (k !== 'headerName') problems.push([k, 'unknown field']);
    if (o.headerName !== undefined && (typeof o.headerName !== 'string' || !/^[A-Za-z0-9-]+$/.test(o.headerName)))
      problems.push(['headerName', 'must be a header name (letters, digits, "-")']);
    return problems;
  },
  build: ({ headerName = 'X-Request-Id' }) => {
    const name = headerName.toLowerCase();
    return (next) => (ex) => {
      const given = ex.requestHeaders[name];
      const id = typeof given === 'string' && given.length <= 200 ? given : randomUUID();
      ex.requestHeaders[name] = id;
      ex.onResponseHeaders((_status, headers) => {
        headers[name] = id;
      });
      return next(ex);
    };
  },
});
