/**
 * The dashboard's part of `api@internal`, at Traefik's paths: `/dashboard/`
 * is the page, `/dashboard/<file>` its assets, `/dashboard` and `/` redirect
 * to `/dashboard/`. Paths are read from the URL as middlewares left it, and
 * redirects are relative (`dashboard/`), so a router with a stripPrefix in
 * front serves it under its prefix. The page only reads the JSON API
 * beside it, so it is exposed exactly as the API is.
 *
 * Headers: a Content-Security-Policy that allows nothing but this origin (no
 * inline script or style, no framing), `nosniff`, an ETag per encoding with
 * `Cache-Control: no-cache` — browsers revalidate and get 304, and a new
 * Portico version's files are picked up at once — and the gzip copy when the
 * client accepts it.
 */
import type { Exchange, HeaderMap } from '../exchange/exchange.js';
import { EncodingNegotiator } from '../middleware/compress/accept-encoding.js';
import { splitUrl } from '../middleware/url-parts.js';
import type { AssetVariant, DashboardAsset } from './dashboard-assets.js';

const SECURITY_HEADERS: HeaderMap = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** True for the paths the dashboard answers (`api@internal` hands the rest to the API). */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path === '/dashboard' || path.startsWith('/dashboard/');
}

/** True when `ifNoneMatch` names `etag` (or is `*`); weak comparison, as RFC 9110 §13.1.2 asks for GET. */
function matches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

/** `assets` undefined: the files were not found; the dashboard says where it looked instead of a bare 404. */
export function createDashboardHandler(assets: ReadonlyMap<string, DashboardAsset> | undefined, missingReason: string): (ex: Exchange) => void {
  const negotiator = new EncodingNegotiator(['gzip']);
  return (ex) => {
    const [path] = splitUrl(ex.url);
    const text = (status: number, body: string, extra: HeaderMap = {}) =>
      ex.respond(status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...extra }, body);
    if (ex.facts.method !== 'GET' && ex.facts.method !== 'HEAD') return text(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/') return text(302, 'see dashboard/\n', { location: 'dashboard/' });
    if (path === '/dashboard') return text(301, 'see dashboard/\n', { location: 'dashboard/' });
    if (!assets) return text(503, `${missingReason}\n`);
    const file = path === '/dashboard/' ? 'index.html' : path.slice('/dashboard/'.length);
    const asset = assets.get(file);
    if (!asset) return text(404, '404 page not found\n');
    const coding = negotiator.choose(first(ex.facts.headers['accept-encoding']));
    const chosen: AssetVariant = (coding && asset.encoded.get(coding)) || asset.identity;
    const headers: HeaderMap = { etag: chosen.etag, 'cache-control': 'no-cache', vary: 'accept-encoding', ...SECURITY_HEADERS };
    if (matches(ex.facts.headers['if-none-match'], chosen.etag)) return ex.respond(304, headers);
    ex.respond(200, { ...headers, 'content-type': asset.contentType, ...(chosen === asset.identity ? {} : { 'content-encoding': coding }) }, chosen.body);
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}
