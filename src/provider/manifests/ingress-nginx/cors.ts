/**
 * `enable-cors` and the `cors-*` family → a `headers` middleware, with
 * ingress-nginx's defaults: any origin, its method and header lists,
 * credentials allowed, a max age of 1728000 s. Preflight OPTIONS requests are
 * answered by the middleware (ingress-nginx answers them with 204 too).
 * Origins written `https://*.example.com` match any subdomain.
 */
import type { Middleware } from '../../../dynamic/model.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export const CORS_ANNOTATIONS = [
  'enable-cors',
  'cors-allow-origin',
  'cors-allow-methods',
  'cors-allow-headers',
  'cors-expose-headers',
  'cors-allow-credentials',
  'cors-max-age',
];

const DEFAULT_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
const DEFAULT_HEADERS = ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function corsHeaders(ann: NginxAnnotations): Middleware | undefined {
  const enabled = ann.bool('enable-cors') ?? false;
  if (!enabled) {
    // The cors-* annotations do nothing without enable-cors in ingress-nginx either; say so rather than ignore them.
    for (const key of CORS_ANNOTATIONS.slice(1)) if (ann.has(key)) ann.report(key, 'has no effect without nginx.ingress.kubernetes.io/enable-cors: "true"');
    return undefined;
  }
  const origins: string[] = [];
  const originRegexps: string[] = [];
  for (const origin of ann.list('cors-allow-origin') ?? ['*']) {
    if (origin === '*') origins.push('*');
    else if (/^[a-z][a-z0-9+.-]*:\/\/\*\.[^*\s/]+$/i.test(origin)) {
      const [scheme, rest] = origin.split('://*.') as [string, string];
      originRegexps.push(`^${escapeRegexp(scheme)}://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.${escapeRegexp(rest)}$`);
    } else if (/^[a-z][a-z0-9+.-]*:\/\/[^*\s/]+$/i.test(origin)) origins.push(origin);
    else ann.report('cors-allow-origin', `"${origin}" is not an origin (scheme://host[:port], or scheme://*.domain); left out`);
  }
  const methods = (ann.list('cors-allow-methods') ?? DEFAULT_METHODS).map((m) => m.toUpperCase());
  const headers = tokens(ann, 'cors-allow-headers') ?? DEFAULT_HEADERS;
  const expose = tokens(ann, 'cors-expose-headers');
  const credentials = ann.bool('cors-allow-credentials') ?? true;
  const maxAge = ann.int('cors-max-age') ?? 1728000;
  const headersOptions: Record<string, unknown> = {
    accessControlAllowMethods: methods,
    accessControlAllowHeaders: headers,
    accessControlAllowCredentials: credentials,
    accessControlMaxAge: maxAge,
  };
  if (origins.length) headersOptions.accessControlAllowOriginList = origins;
  if (originRegexps.length) headersOptions.accessControlAllowOriginListRegex = originRegexps;
  if (expose?.length) headersOptions.accessControlExposeHeaders = expose;
  return { headers: headersOptions };
}

function tokens(ann: NginxAnnotations, key: string): string[] | undefined {
  const list = ann.list(key);
  if (!list) return undefined;
  const bad = list.filter((h) => !HEADER_NAME.test(h));
  if (bad.length) ann.report(key, `${bad.map((h) => `"${h}"`).join(', ')} ${bad.length === 1 ? 'is not a header name' : 'are not header names'}; left out`);
  return list.filter((h) => HEADER_NAME.test(h));
}

function escapeRegexp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
