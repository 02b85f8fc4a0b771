/**
 * Example plugin: give every request an ID, pass it to the backend, and
 * echo it in the response. An ID the client (or a trusted proxy) already
 * sent is kept when it looks like one; anything else is replaced, so a
 * client cannot inject arbitrary text into the backend's logs.
 */
import { randomUUID } from 'node:crypto';
import { checkFields, defineMiddleware } from '../../sdk/index.js';

interface Options {
  /** Header to use; default X-Request-Id. */
  headerName?: string;
  /** Keep an ID the request already carries (default true). */
  trustIncoming?: boolean;
}

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export default defineMiddleware<Options>({
  type: 'requestId',
  validate: (options) =>
    checkFields(options, {
      headerName: { kind: 'string', pattern: /^[A-Za-z0-9-]+$/ },
      trustIncoming: { kind: 'boolean' },
    }),
  build: ({ headerName = 'X-Request-Id', trustIncoming = true }) => {
    const name = headerName.toLowerCase();
    return (next) => (ex) => {
      const given = ex.requestHeaders[name];
      const id = trustIncoming && typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
      ex.requestHeaders[name] = id;
      ex.state.requestId = id;
      ex.onResponseHeaders((_status, headers) => {
        headers[name] = id;
      });
      return next(ex);
    };
  },
});
