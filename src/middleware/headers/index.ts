/**
 * `headers`: custom request/response headers ("" deletes), CORS (preflight
 * answered here; actual responses get the allow headers) and security
 * headers (HSTS only over https unless forced, frame options, nosniff, …).
 */
import type { MiddlewareType } from '../middleware-type.js';
import type { HeaderMap } from '../exchange.js';
import { optionsValidator, stringList } from '../options-schema.js';
import { compileGoRegexp } from '../../router/go-regexp.js';

interface Options {
  customRequestHeaders?: Record<string, string>;
  customResponseHeaders?: Record<string, string>;
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

const headerMap = { type: 'object', additionalProperties: { type: 'string' } };

export const headers: MiddlewareType<Options> = {
  type: 'headers',
  validate: optionsValidator({
    properties: {
      customRequestHeaders: headerMap,
      customResponseHeaders: headerMap,
      accessControlAllowCredentials: { type: 'boolean' },
      accessControlAllowHeaders: stringList,
      accessControlAllowMethods: stringList,
      accessControlAllowOriginList: stringList,
      accessControlAllowOriginListRegex: stringList,
      accessControlExposeHeaders: stringList,
      accessControlMaxAge: { type: 'integer' },
      addVaryHeader: { type: 'boolean' },
      allowedHosts: stringList,
      hostsProxyHeaders: stringList,
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
  }),
  build: (o) => {
    const reqSet = Object.entries(o.customRequestHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
    const resSet = Object.entries(o.customResponseHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
    const originRegexps = (o.accessControlAllowOriginListRegex ?? []).map((r) => compileGoRegexp(r));
    const origins = o.accessControlAllowOriginList ?? [];
    const cors = origins.length > 0 || originRegexps.length > 0;
    const allowedOrigin = (origin: string | undefined): string | undefined => {
      if (!origin) return undefined;
      if (origins.includes('*')) return o.accessControlAllowCredentials ? origin : '*';
      if (origins.includes(origin) || originRegexps.some((re) => re.test(origin))) return origin;
      return undefined;
    };
    const security: Array<[string, string]> = [];
    if (o.frameDeny) security.push(['x-frame-options', 'DENY']);
    else if (o.customFrameOptionsValue) security.push(['x-frame-options', o.customFrameOptionsValue]);
    if (o.contentTypeNosniff) security.push(['x-content-type-options', 'nosniff']);
    if (o.customBrowserXSSValue) security.push(['x-xss-protection', o.customBrowserXSSValue]);
    else if (o.browserXssFilter) security.push(['x-xss-protection', '1; mode=block']);
    if (o.contentSecurityPolicy) security.push(['content-security-policy', o.contentSecurityPolicy]);
    if (o.contentSecurityPolicyReportOnly) security.push(['content-security-policy-report-only', o.contentSecurityPolicyReportOnly]);
    if (o.referrerPolicy) security.push(['referrer-policy', o.referrerPolicy]);
    if (o.permissionsPolicy) security.push(['permissions-policy', o.permissionsPolicy]);
    const sts = o.stsSeconds
      ? `max-age=${o.stsSeconds}${o.stsIncludeSubdomains ? '; includeSubDomains' : ''}${o.stsPreload ? '; preload' : ''}`
      : undefined;
    const allowedHosts = o.allowedHosts?.length ? new Set(o.allowedHosts.map((h) => h.toLowerCase())) : undefined;

    return (next) => (ex) => {
      if (allowedHosts && !o.isDevelopment && !allowedHosts.has(ex.facts.host)) {
        ex.respond(400, { 'content-type': 'text/plain; charset=utf-8' }, 'Bad Host\n');
        return;
      }
      const originHeader = ex.requestHeaders.origin as string | undefined;
      const allowOrigin = cors ? allowedOrigin(originHeader) : undefined;
      if (cors && ex.method === 'OPTIONS' && originHeader && ex.requestHeaders['access-control-request-method']) {
        // A CORS preflight: answered here, never forwarded.
        const h: HeaderMap = {};
        if (allowOrigin) {
          h['access-control-allow-origin'] = allowOrigin;
          if (o.accessControlAllowCredentials) h['access-control-allow-credentials'] = 'true';
          if (o.accessControlAllowMethods?.length) h['access-control-allow-methods'] = o.accessControlAllowMethods.join(', ');
          if (o.accessControlAllowHeaders?.length) h['access-control-allow-headers'] = o.accessControlAllowHeaders.join(', ');
          if (o.accessControlMaxAge !== undefined) h['access-control-max-age'] = String(o.accessControlMaxAge);
        }
        if (o.addVaryHeader) h.vary = 'Origin';
        ex.respond(200, h);
        return;
      }
      for (const [k, v] of reqSet) {
        if (v === '') delete ex.requestHeaders[k];
        else ex.requestHeaders[k] = v;
      }
      const https = ex.scheme === 'https' || ex.requestHeaders['x-forwarded-proto'] === 'https';
      ex.onResponseHeaders((_status, out) => {
        for (const [k, v] of security) out[k] = v;
        if (sts && (https || o.forceSTSHeader)) out['strict-transport-security'] = sts;
        if (allowOrigin) {
          out['access-control-allow-origin'] = allowOrigin;
          if (o.accessControlAllowCredentials) out['access-control-allow-credentials'] = 'true';
          if (o.accessControlExposeHeaders?.length) out['access-control-expose-headers'] = o.accessControlExposeHeaders.join(', ');
        }
        if (cors && o.addVaryHeader) {
          const vary = out.vary;
          out.vary = vary ? `${Array.isArray(vary) ? vary.join(', ') : vary}, Origin` : 'Origin';
        }
        for (const [k, v] of resSet) out[k] = v === '' ? undefined : v;
      });
      return next(ex);
    };
  },
};
