/**
 * `headers`: custom request/response headers ("" deletes one), appended
 * request/response header values (Portico's own, for the Gateway API's
 * header modifiers' `add`), CORS
 * (preflights answered here and never forwarded; actual responses get the
 * allow headers) and security headers (HSTS only over https unless forced,
 * frame options, nosniff, XSS filter, CSP, referrer and permissions
 * policies, allowed hosts).
 *
 * Hot path: everything is prepared at build time; per request we pick one of
 * a few prepared response hooks (keyed by https-ness and the allowed origin)
 * instead of creating a closure.
 */
import type { MiddlewareType } from '../middleware-type.js';
import type { HeaderMap, ResponseHeadersHook } from '../../exchange/exchange.js';
import { stringList } from '../options-schema.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { goRegexpProblems } from '../go-regexp-option.js';

interface Options {
  customRequestHeaders?: Record<string, string>;
  customResponseHeaders?: Record<string, string>;
  /**
   * Portico's own (not Traefik's): a value added to the header after those it already has
   * (another field line), or the header created — the Gateway API's header modifier `add`.
   * Applied after the custom headers above.
   */
  appendRequestHeaders?: Record<string, string>;
  appendResponseHeaders?: Record<string, string>;
  accessControlAllowCredentials?: boolean;
  accessControlAllowHeaders?: string[];
  accessControlAllowMethods?: string[];
  accessControlAllowOriginList?: string[];
  accessControlAllowOriginListRegex?: string[];
  accessControlExposeHeaders?: string[];
  accessControlMaxAge?: number;
  addVaryHeader?: boolean;
  allowedHosts?: string[];
  hostsProxyHeaders?: string[];
  stsSeconds?: number;
  stsIncludeSubdomains?: boolean;
  stsPreload?: boolean;
  forceSTSHeader?: boolean;
  frameDeny?: boolean;
  customFrameOptionsValue?: string;
  contentTypeNosniff?: boolean;
  browserXssFilter?: boolean;
  customBrowserXSSValue?: string;
  contentSecurityPolicy?: string;
  contentSecurityPolicyReportOnly?: string;
  referrerPolicy?: string;
  permissionsPolicy?: string;
  isDevelopment?: boolean;
}

const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const headerMap = { type: 'object', propertyNames: { pattern: HEADER_NAME }, additionalProperties: { type: 'string' } };
const headerNameList = { type: 'array', items: { type: 'string', pattern: HEADER_NAME } };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `value` after the values `headers[name]` already has, as one more field line. */
function appendValue(headers: HeaderMap, name: string, value: string): void {
  const current = headers[name];
  headers[name] = current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value];
}

function addVaryOrigin(headers: HeaderMap): void {
  const vary = headers.vary;
  if (vary === undefined) headers.vary = 'Origin';
  else {
    const joined = Array.isArray(vary) ? vary.join(', ') : vary;
    if (!/(^|,)\s*origin\s*(,|$)/i.test(joined)) headers.vary = `${joined}, Origin`;
  }
}

export const headers: MiddlewareType<Options> = {
  type: 'headers',
  optionsSchema: {
    properties: {
      customRequestHeaders: headerMap,
      customResponseHeaders: headerMap,
      appendRequestHeaders: headerMap,
      appendResponseHeaders: headerMap,
      accessControlAllowCredentials: { type: 'boolean' },
      accessControlAllowHeaders: stringList,
      accessControlAllowMethods: stringList,
      accessControlAllowOriginList: stringList,
      accessControlAllowOriginListRegex: stringList,
      accessControlExposeHeaders: stringList,
      accessControlMaxAge: { type: 'integer', minimum: 0 },
      addVaryHeader: { type: 'boolean' },
      allowedHosts: stringList,
      hostsProxyHeaders: headerNameList,
      stsSeconds: { type: 'integer', minimum: 0 },
      stsIncludeSubdomains: { type: 'boolean' },
      stsPreload: { type: 'boolean' },
      forceSTSHeader: { type: 'boolean' },
      frameDeny: { type: 'boolean' },
      customFrameOptionsValue: { type: 'string' },
      contentTypeNosniff: { type: 'boolean' },
      browserXssFilter: { type: 'boolean' },
      customBrowserXSSValue: { type: 'string' },
      contentSecurityPolicy: { type: 'string' },
      contentSecurityPolicyReportOnly: { type: 'string' },
      referrerPolicy: { type: 'string' },
      permissionsPolicy: { type: 'string' },
      isDevelopment: { type: 'boolean' },
    },
  },
  validate: (o) => (o.accessControlAllowOriginListRegex ?? []).flatMap((r, i) => goRegexpProblems(`accessControlAllowOriginListRegex[${i}]`, r)),
  build: (o) => {
    const requestSet = Object.entries(o.customRequestHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
    const responseSet = Object.entries(o.customResponseHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
    const requestAppend = Object.entries(o.appendRequestHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
    const responseAppend = Object.entries(o.appendResponseHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);

    // CORS, prepared.
    const origins = o.accessControlAllowOriginList ?? [];
    const originRegexps = (o.accessControlAllowOriginListRegex ?? []).map((r) => compileGoRegexp(r));
    const cors = origins.length > 0 || originRegexps.length > 0 || !!o.accessControlAllowMethods?.length || !!o.accessControlAllowHeaders?.length;
    const anyOrigin = origins.includes('*');
    const allowedOrigin = (origin: string): string | undefined => {
      // `*` answers `*`, never the caller's origin: echoing any origin with credentials would void CORS.
      if (anyOrigin) return '*';
      if (origins.includes(origin)) return origin;
      for (const re of originRegexps) if (re.test(origin)) return origin;
      return undefined;
    };
    const allowHeaders = o.accessControlAllowHeaders?.join(',');
    const allowMethods = o.accessControlAllowMethods?.join(',');
    const exposeHeaders = o.accessControlExposeHeaders?.join(',');
    const varyOrigin = !!o.addVaryHeader && !anyOrigin;

    // Security headers, prepared.
    const dev = !!o.isDevelopment;
    const security: Array<[string, string]> = [];
    if (o.customFrameOptionsValue) security.push(['x-frame-options', o.customFrameOptionsValue]);
    else if (o.frameDeny) security.push(['x-frame-options', 'DENY']);
    if (o.contentTypeNosniff) security.push(['x-content-type-options', 'nosniff']);
    if (o.customBrowserXSSValue) security.push(['x-xss-protection', o.customBrowserXSSValue]);
    else if (o.browserXssFilter) security.push(['x-xss-protection', '1; mode=block']);
    if (o.contentSecurityPolicy) security.push(['content-security-policy', o.contentSecurityPolicy]);
    if (o.contentSecurityPolicyReportOnly) security.push(['content-security-policy-report-only', o.contentSecurityPolicyReportOnly]);
    if (o.referrerPolicy) security.push(['referrer-policy', o.referrerPolicy]);
    if (o.permissionsPolicy) security.push(['permissions-policy', o.permissionsPolicy]);
    const sts =
      o.stsSeconds && !dev ? `max-age=${o.stsSeconds}${o.stsIncludeSubdomains ? '; includeSubDomains' : ''}${o.stsPreload ? '; preload' : ''}` : undefined;
    const allowedHosts = o.allowedHosts?.length && !dev ? new Set(o.allowedHosts.map((h) => h.toLowerCase())) : undefined;
    const hostsProxyHeaders = (o.hostsProxyHeaders ?? []).map((h) => h.toLowerCase());

    const makeHook = (https: boolean, allowOrigin: string | undefined): ResponseHeadersHook => {
      const sendSts = sts !== undefined && (https || !!o.forceSTSHeader);
      return (_status, out) => {
        for (let i = 0; i < security.length; i++) out[security[i]![0]] = security[i]![1];
        if (sendSts) out['strict-transport-security'] = sts;
        if (allowOrigin !== undefined) {
          out['access-control-allow-origin'] = allowOrigin;
          if (o.accessControlAllowCredentials) out['access-control-allow-credentials'] = 'true';
          if (exposeHeaders) out['access-control-expose-headers'] = exposeHeaders;
        }
        if (cors && varyOrigin) addVaryOrigin(out);
        for (let i = 0; i < responseSet.length; i++) {
          const [k, v] = responseSet[i]!;
          out[k] = v === '' ? undefined : v;
        }
        for (let i = 0; i < responseAppend.length; i++) appendValue(out, responseAppend[i]![0], responseAppend[i]![1]);
      };
    };
    const hooks = new Map<string, ResponseHeadersHook>();
    const hookFor = (https: boolean, allowOrigin: string | undefined): ResponseHeadersHook => {
      const key = (https ? 's' : 'p') + (allowOrigin ?? '');
      let hook = hooks.get(key);
      if (!hook) {
        // Regex origins can be many: keep the prepared set bounded.
        if (hooks.size >= 1024) hooks.clear();
        hook = makeHook(https, allowOrigin);
        hooks.set(key, hook);
      }
      return hook;
    };

    return (next) => (ex) => {
      if (allowedHosts) {
        let host = ex.facts.host;
        for (const h of hostsProxyHeaders) {
          const v = first(ex.requestHeaders[h]);
          if (v) {
            host = v.replace(/:\d+$/, '').toLowerCase();
            break;
          }
        }
        if (!allowedHosts.has(host)) {
          ex.respond(400, { 'content-type': 'text/plain; charset=utf-8' }, `400 Bad Request: host "${host}" is not in allowedHosts\n`);
          return;
        }
      }
      const origin = cors ? first(ex.requestHeaders.origin) : undefined;
      const allowOrigin = origin ? allowedOrigin(origin) : undefined;
      if (origin && ex.method === 'OPTIONS' && ex.requestHeaders['access-control-request-method'] !== undefined) {
        // A CORS preflight: answered here, never forwarded.
        const h: HeaderMap = { 'content-length': '0' };
        if (o.accessControlAllowCredentials) h['access-control-allow-credentials'] = 'true';
        if (allowHeaders) h['access-control-allow-headers'] = allowHeaders;
        if (allowMethods) h['access-control-allow-methods'] = allowMethods;
        if (allowOrigin) h['access-control-allow-origin'] = allowOrigin;
        h['access-control-max-age'] = String(o.accessControlMaxAge ?? 0);
        if (varyOrigin) h.vary = 'Origin';
        ex.respond(200, h);
        return;
      }
      for (let i = 0; i < requestSet.length; i++) {
        const [k, v] = requestSet[i]!;
        if (v === '') delete ex.requestHeaders[k];
        else {
          ex.requestHeaders[k] = v;
          // The forwarder sends Host from the authority: a custom Host must change that, as in Traefik.
          if (k === 'host') ex.authority = v;
        }
      }
      for (let i = 0; i < requestAppend.length; i++) appendValue(ex.requestHeaders, requestAppend[i]![0], requestAppend[i]![1]);
      const https = ex.scheme === 'https' || ex.requestHeaders['x-forwarded-proto'] === 'https';
      ex.onResponseHeaders(hookFor(https, allowOrigin));
      return next(ex);
    };
  },
};
