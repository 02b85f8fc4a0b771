/** `redirectScheme`: send the client to another scheme (and port); 301/308 when permanent, else 302/307. */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator } from '../options-schema.js';

interface Options {
  scheme: string;
  port?: string | number;
  permanent?: boolean;
}

export const redirectScheme: MiddlewareType<Options> = {
  type: 'redirectScheme',
  validate: optionsValidator({
    required: ['scheme'],
    properties: { scheme: { type: 'string', minLength: 1 }, port: { type: ['string', 'integer'] }, permanent: { type: 'boolean' } },
  }),
  build: ({ scheme, port, permanent }) => (next) => (ex) => {
    if (ex.scheme === scheme && (port === undefined || String(ex.localPort) === String(port))) return next(ex);
    const defaultPort = (scheme === 'https' && String(port) === '443') || (scheme === 'http' && String(port) === '80');
    const host = ex.facts.host.includes(':') ? `[${ex.facts.host}]` : ex.facts.host;
    const location = `${scheme}://${host}${port !== undefined && !defaultPort ? ':' + port : ''}${ex.url}`;
    const safe = ex.method === 'GET' || ex.method === 'HEAD';
    ex.respond(permanent ? (safe ? 301 : 308) : safe ? 302 : 307, { location });
  },
};
