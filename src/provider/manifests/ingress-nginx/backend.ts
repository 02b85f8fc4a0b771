/**
 * How Portico talks to an Ingress's backends: `backend-protocol` (HTTP,
 * HTTPS, GRPC, GRPCS), `proxy-ssl-*` and the `proxy-*-timeout`s (one
 * ServersTransport per Ingress), `affinity: cookie` with `session-cookie-*`
 * (sticky cookie), `service-upstream` (the Service's ClusterIP), and the
 * request headers `upstream-vhost` and `x-forwarded-prefix` set.
 *
 * ingress-nginx does not verify a backend's certificate unless
 * `proxy-ssl-verify: "on"`, so an HTTPS or GRPCS backend is reached with
 * insecureSkipVerify by default, as before the migration.
 */
import type { Middleware, ServersTransport, Sticky } from '../../../dynamic/model.js';
import { secretValue } from '../kube-objects.js';
import { normalizeName, type ConversionContext } from '../conversion-context.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export const BACKEND_ANNOTATIONS = [
  'backend-protocol',
  'proxy-ssl-secret',
  'proxy-ssl-verify',
  'proxy-ssl-name',
  'proxy-ssl-server-name',
  'proxy-connect-timeout',
  'proxy-read-timeout',
  'affinity',
  'affinity-mode',
  'session-cookie-name',
  'session-cookie-path',
  'session-cookie-max-age',
  'session-cookie-expires',
  'session-cookie-secure',
  'session-cookie-samesite',
  'session-cookie-change-on-failure',
  'service-upstream',
  'upstream-vhost',
  'x-forwarded-prefix',
];

/** What every backend of the Ingress shares. */
export interface BackendSettings {
  /** URL scheme of the servers: http, https or h2c. */
  scheme?: string;
  /** Name of the ServersTransport this Ingress stages, if it needs one. */
  serversTransport?: string;
  sticky?: Sticky;
  nativeLB?: boolean;
}

export function backendSettings(ann: NginxAnnotations, ctx: ConversionContext): BackendSettings {
  const out: BackendSettings = {};
  const protocol = ann.choice('backend-protocol', ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'AUTO_HTTP', 'FCGI'] as const);
  if (protocol === 'FCGI') ann.report('backend-protocol', 'FastCGI backends are not supported; HTTP is used');
  const tls = protocol === 'HTTPS' || protocol === 'GRPCS';
  if (tls) out.scheme = 'https';
  else if (protocol === 'GRPC') out.scheme = 'h2c';
  else if (protocol === 'HTTP' || protocol === 'AUTO_HTTP') out.scheme = 'http';

  const transport: ServersTransport = {};
  if (protocol === 'GRPCS') transport.http2 = true;
  const verify = ann.choice('proxy-ssl-verify', ['on', 'off'] as const) ?? 'off';
  const sslSecret = ann.string('proxy-ssl-secret');
  const sslName = ann.string('proxy-ssl-name');
  const sslServerName = ann.choice('proxy-ssl-server-name', ['on', 'off'] as const);
  if (!tls) {
    for (const key of ['proxy-ssl-secret', 'proxy-ssl-verify', 'proxy-ssl-name', 'proxy-ssl-server-name'])
      if (ann.has(key)) ann.report(key, 'has no effect unless backend-protocol is HTTPS or GRPCS');
  } else {
    if (verify === 'off') transport.insecureSkipVerify = true;
    if (sslName) transport.serverName = sslName;
    if (sslServerName === 'off') ann.report('proxy-ssl-server-name', 'Portico always sends SNI to TLS backends; "off" is ignored');
    if (sslSecret) {
      const [ns, name] = sslSecret.includes('/') ? (sslSecret.split('/', 2) as [string, string]) : [ctx.ns, sslSecret];
      const secret = ns === ctx.ns || ctx.opts.allowCrossNamespace ? ctx.index.secrets.get(`${ns}/${name}`) : undefined;
      if (!secret)
        ann.report(
          'proxy-ssl-secret',
          `no Secret ${ns}/${name}${ns !== ctx.ns && !ctx.opts.allowCrossNamespace ? ' that this namespace may use (allowCrossNamespaceResources)' : ''}; ignored`,
        );
      else {
        const ca = secretValue(secret, 'ca.crt');
        const crt = secretValue(secret, 'tls.crt');
        const key = secretValue(secret, 'tls.key');
        if (ca) transport.rootCAs = [ca];
        if (crt && key) transport.certificates = [{ certFile: crt, keyFile: key }];
        if (!ca && !(crt && key)) ann.report('proxy-ssl-secret', `Secret ${ns}/${name} has neither ca.crt nor tls.crt and tls.key; ignored`);
      }
      if (verify === 'on' && !transport.rootCAs)
        ann.report('proxy-ssl-verify', 'is "on" without a ca.crt in proxy-ssl-secret: the system CAs verify the backend');
    }
  }
  const timeouts: NonNullable<ServersTransport['forwardingTimeouts']> = {};
  const connect = ann.int('proxy-connect-timeout', 1);
  if (connect !== undefined) timeouts.dialTimeout = `${connect}s`;
  // nginx's read timeout is between two reads; the wait for the response head is where it bites, and what Portico bounds.
  const read = ann.int('proxy-read-timeout', 1);
  if (read !== undefined) timeouts.responseHeaderTimeout = `${read}s`;
  if (Object.keys(timeouts).length) transport.forwardingTimeouts = timeouts;
  if (Object.keys(transport).length) {
    out.serversTransport = normalizeName(`${ctx.ns}-${ctx.name}-nginx-transport`);
    ctx.staged.http.serversTransports[out.serversTransport] = transport;
  }

  const sticky = affinity(ann);
  if (sticky) out.sticky = sticky;
  if (ann.bool('service-upstream')) out.nativeLB = true;
  return out;
}

function affinity(ann: NginxAnnotations): Sticky | undefined {
  const kind = ann.string('affinity');
  const mode = ann.choice('affinity-mode', ['balanced', 'persistent'] as const);
  const cookieKeys = [
    'session-cookie-name',
    'session-cookie-path',
    'session-cookie-max-age',
    'session-cookie-expires',
    'session-cookie-secure',
    'session-cookie-samesite',
    'session-cookie-change-on-failure',
  ];
  if (kind === undefined) {
    for (const key of cookieKeys) if (ann.has(key)) ann.report(key, 'has no effect without nginx.ingress.kubernetes.io/affinity: cookie');
    if (mode) ann.report('affinity-mode', 'has no effect without nginx.ingress.kubernetes.io/affinity: cookie');
    return undefined;
  }
  if (kind !== 'cookie') {
    ann.report('affinity', `only "cookie" is supported, got "${kind}"; no affinity`);
    return undefined;
  }
  // ingress-nginx's cookie is HttpOnly, named INGRESSCOOKIE unless told otherwise.
  const cookie: NonNullable<Sticky['cookie']> = { name: ann.string('session-cookie-name') || 'INGRESSCOOKIE', httpOnly: true };
  const path = ann.string('session-cookie-path');
  if (path) cookie.path = path;
  const maxAge = ann.int('session-cookie-max-age');
  const expires = ann.int('session-cookie-expires');
  if (maxAge !== undefined || expires !== undefined) cookie.maxAge = (maxAge ?? expires)!;
  const secure = ann.bool('session-cookie-secure');
  if (secure !== undefined) cookie.secure = secure;
  const sameSite = ann.choice('session-cookie-samesite', ['None', 'Lax', 'Strict'] as const);
  if (sameSite) cookie.sameSite = sameSite.toLowerCase();
  // Portico picks another server when the sticky one is gone, which is what change-on-failure asks for; "false" cannot be honoured.
  if (ann.bool('session-cookie-change-on-failure') === false)
    ann.report('session-cookie-change-on-failure', 'Portico always moves a session whose server is gone; "false" is ignored');
  return { cookie };
}

/** `upstream-vhost` (the Host the backend sees) and `x-forwarded-prefix` → one headers middleware. */
export function requestHeaders(ann: NginxAnnotations): Middleware | undefined {
  const headers: Record<string, string> = {};
  const vhost = ann.string('upstream-vhost');
  if (vhost !== undefined) {
    if (/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(vhost)) headers.Host = vhost;
    else ann.report('upstream-vhost', `must be a host name (optionally with :port), without nginx variables, got "${vhost}"; ignored`);
  }
  const prefix = ann.string('x-forwarded-prefix');
  if (prefix !== undefined) {
    if (/^[^\s$]+$/.test(prefix)) headers['X-Forwarded-Prefix'] = prefix;
    else ann.report('x-forwarded-prefix', `must be a path without nginx variables, got "${prefix}"; ignored`);
  }
  return Object.keys(headers).length ? { headers: { customRequestHeaders: headers } } : undefined;
}
