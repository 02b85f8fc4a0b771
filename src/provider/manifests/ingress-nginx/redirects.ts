/**
 * Redirect annotations: `ssl-redirect` (default true on a host with TLS),
 * `force-ssl-redirect` (also without TLS), `permanent-redirect` /
 * `temporal-redirect` with their `-code`, and `app-root`.
 *
 * Status codes: Portico's redirect middlewares answer 301/302 to GET and HEAD
 * and 308/307 to other methods (the codes that keep the method). ingress-nginx
 * answers one code whatever the method (308 for the https redirect, 301 or
 * 302 for the others by default); a `-code` of 301 or 308 is read as
 * permanent, 302, 303 or 307 as temporary (docs/migrating-from-ingress-nginx.md).
 */
import type { Middleware } from '../../../dynamic/model.js';
import { NginxAnnotations } from './nginx-annotations.js';

export const REDIRECT_ANNOTATIONS = [
  'ssl-redirect',
  'force-ssl-redirect',
  'permanent-redirect',
  'permanent-redirect-code',
  'temporal-redirect',
  'temporal-redirect-code',
  'app-root',
];

export const SSL_REDIRECT: Middleware = { redirectScheme: { scheme: 'https', permanent: true } };

/** Whether a location of a host (with TLS or not) redirects plain HTTP to https. */
export function sslRedirectPolicy(ann: NginxAnnotations): (hostHasTls: boolean) => boolean {
  const force = ann.bool('force-ssl-redirect') ?? false;
  const ssl = ann.bool('ssl-redirect') ?? true;
  return (hostHasTls) => force || (ssl && hostHasTls);
}

/** `permanent-redirect` wins over `temporal-redirect`, as in ingress-nginx. */
export function fixedRedirect(ann: NginxAnnotations): Middleware | undefined {
  const permanentUrl = ann.string('permanent-redirect');
  const permanentCode = code(ann, 'permanent-redirect-code', 301);
  const temporalUrl = ann.string('temporal-redirect');
  const temporalCode = code(ann, 'temporal-redirect-code', 302);
  const url = permanentUrl || temporalUrl;
  if (!url) return undefined;
  const key = permanentUrl ? 'permanent-redirect' : 'temporal-redirect';
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/.test(url) && !url.startsWith('/')) {
    ann.report(key, `must be an absolute URL (https://example.com/path), got "${url}"; ignored`);
    return undefined;
  }
  const status = permanentUrl ? permanentCode : temporalCode;
  // nginx's `return <code> <url>` sends exactly the URL: no groups, and `$` is literal.
  return { redirectRegex: { regex: '^.*$', replacement: url.replace(/\$/g, '$$$$'), permanent: status === 301 || status === 308 } };
}

function code(ann: NginxAnnotations, key: string, fallback: number): number {
  const n = ann.int(key);
  if (n === undefined) return fallback;
  if (![301, 302, 303, 307, 308].includes(n)) {
    ann.report(key, `must be a redirect status (301, 302, 303, 307 or 308), got ${n}; ${fallback} is used`);
    return fallback;
  }
  return n;
}

/** `app-root`: `/` on the Ingress's hosts answers 302 to the application's root; other paths are untouched. */
export function appRootRedirect(ann: NginxAnnotations): Middleware | undefined {
  const root = ann.string('app-root');
  if (root === undefined) return undefined;
  if (!/^\/[^\s?#$]*$/.test(root)) {
    ann.report('app-root', `must be a path starting with "/" (no query, no "$"), got "${root}"; ignored`);
    return undefined;
  }
  return { redirectRegex: { regex: '^(https?://[^/]+)/(\\?.*)?$', replacement: `\${1}${root}`, permanent: false } };
}
