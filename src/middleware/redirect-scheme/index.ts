/**
 * `redirectScheme`: send the client to another scheme (and port). The
 * request's scheme is X-Forwarded-Proto when a trusted proxy set it (the
 * entrypoint drops it from untrusted peers), so TLS-terminating load
 * balancers do not cause loops. Default ports (80/http, 443/https) are
 * left out of the Location.
 */
import type { MiddlewareType } from '../middleware-type.js';
import { redirectStatus } from '../redirect-status.js';

interface Options {
  scheme: string;
  port?: string | number;
  permanent?: boolean;
}

export const redirectScheme: MiddlewareType<Options> = {
  type: 'redirectScheme',
  optionsSchema: {
    required: ['scheme'],
    properties: {
      scheme: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9+.-]*$' },
      port: {
        anyOf: [
          { type: 'string', pattern: '^[0-9]{1,5}$' },
          { type: 'integer', minimum: 1, maximum: 65535 },
        ],
      },
      permanent: { type: 'boolean' },
    },
  },
  build: ({ scheme, port, permanent = false }) => {
    const target = scheme.toLowerCase();
    const portText = port === undefined ? undefined : String(port);
    const isDefaultPort = (target === 'https' && portText === '443') || (target === 'http' && portText === '80');
    const portSuffix = portText !== undefined && !isDefaultPort ? ':' + portText : '';
    return (next) => (ex) => {
      const forwarded = ex.requestHeaders['x-forwarded-proto'];
      const current = (typeof forwarded === 'string' ? forwarded : ex.scheme).toLowerCase();
      if (current === target) return next(ex);
      const host = ex.facts.host.includes(':') ? `[${ex.facts.host}]` : ex.facts.host;
      ex.respond(redirectStatus(ex.method, permanent), { location: `${target}://${host}${portSuffix}${ex.url}`, 'content-length': '0' });
    };
  },
};
