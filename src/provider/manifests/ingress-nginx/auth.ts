/**
 * Authentication annotations.
 *
 * - `auth-type: basic|digest` with `auth-secret` (`name` or `namespace/name`),
 *   `auth-secret-type` (`auth-file`: htpasswd lines under the key `auth`,
 *   the default; `auth-map`: one key per user, the hash as value) and
 *   `auth-realm` → `basicAuth` / `digestAuth` with the users inline.
 * - `auth-url` (+ `auth-method`, `auth-response-headers`) → `forwardAuth`.
 *   The auth request is a GET, as ingress-nginx's default; other methods and
 *   the annotations that need nginx's subrequest machinery are reported.
 * - `auth-signin` (+ `auth-signin-redirect-param`) → `authSignin` before the
 *   forwardAuth: the auth service's 401 becomes a 302 to the sign-in page
 *   with `rd=` the original URL, as ingress-nginx does.
 */
import type { Middleware } from '../../../dynamic/model.js';
import { secretValue } from '../kube-objects.js';
import { hashKind } from '../../../middleware/basic-auth/htpasswd.js';
import type { ConversionContext } from '../conversion-context.js';
import type { NginxAnnotations } from './nginx-annotations.js';
import { authSignin as authSigninType } from '../../../middleware/auth-signin/index.js';

export const AUTH_ANNOTATIONS = [
  'auth-type',
  'auth-secret',
  'auth-secret-type',
  'auth-realm',
  'auth-url',
  'auth-method',
  'auth-response-headers',
  'auth-signin',
  'auth-signin-redirect-param',
];

/** Auth annotations that need nginx machinery Portico does not have: reported when present. */
export const REFUSED_AUTH: Record<string, string> = {
  'auth-request-redirect': "Portico's forwardAuth sends X-Forwarded-* headers instead of X-Auth-Request-Redirect",
  'auth-cache-key': 'forwardAuth does not cache auth answers',
  'auth-cache-duration': 'forwardAuth does not cache auth answers',
  'auth-keepalive': 'forwardAuth manages its own connections',
  'auth-keepalive-share-vars': 'forwardAuth manages its own connections',
  'auth-keepalive-requests': 'forwardAuth manages its own connections',
  'auth-keepalive-timeout': 'forwardAuth manages its own connections',
  'auth-proxy-set-headers': 'a ConfigMap of headers for the auth request is not supported',
  'auth-always-set-cookie': 'not supported: forwardAuth copies only the cookies a Middleware lists in addAuthCookiesToResponse',
  'auth-tls-secret': 'client certificates per Ingress are not supported; use a TLSOption with clientAuth',
  'auth-tls-verify-client': 'client certificates per Ingress are not supported; use a TLSOption with clientAuth',
  'auth-tls-verify-depth': 'client certificates per Ingress are not supported; use a TLSOption with clientAuth',
  'auth-tls-error-page': 'client certificates per Ingress are not supported; use a TLSOption with clientAuth',
  'auth-tls-pass-certificate-to-upstream':
    'client certificates per Ingress are not supported; use a TLSOption with clientAuth and a passTLSClientCert Middleware',
  'auth-tls-match-cn': 'client certificates per Ingress are not supported; use a TLSOption with clientAuth',
};

export function basicOrDigestAuth(ann: NginxAnnotations, ctx: ConversionContext): Middleware | undefined {
  const type = ann.choice('auth-type', ['basic', 'digest'] as const);
  const secretRef = ann.string('auth-secret');
  const secretType = ann.choice('auth-secret-type', ['auth-file', 'auth-map'] as const) ?? 'auth-file';
  const realm = ann.string('auth-realm');
  if (!type) {
    if (secretRef !== undefined) ann.report('auth-secret', 'has no effect without nginx.ingress.kubernetes.io/auth-type');
    return undefined;
  }
  if (!secretRef) {
    ann.report('auth-type', 'needs nginx.ingress.kubernetes.io/auth-secret; as ingress-nginx does, every request is answered 503 until it is set');
    return closedDoor();
  }
  const [ns, name] = secretRef.includes('/') ? (secretRef.split('/', 2) as [string, string]) : [ctx.ns, secretRef];
  // Whatever goes wrong, the door stays closed (503, as ingress-nginx answers a location it refused): never open.
  if (ns !== ctx.ns && !ctx.opts.allowCrossNamespace) {
    ann.report(
      'auth-secret',
      `Secret ${ns}/${name} is in another namespace, which the provider's allowCrossNamespaceResources forbids; every request is answered 503`,
    );
    return closedDoor();
  }
  const secret = ctx.index.secrets.get(`${ns}/${name}`);
  if (!secret) {
    ann.report('auth-secret', `no Secret ${ns}/${name}; every request is answered 503 until it exists`);
    return closedDoor();
  }
  const users: string[] = [];
  if (secretType === 'auth-file') {
    const text = secretValue(secret, 'auth');
    if (text === undefined) {
      ann.report(
        'auth-secret',
        `Secret ${ns}/${name} has no key "auth" (create it with kubectl create secret generic ${name} --from-file=auth); every request is answered 503`,
      );
      return closedDoor();
    }
    users.push(
      ...text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  } else {
    for (const user of Object.keys({ ...secret.data, ...secret.stringData })) users.push(`${user}:${secretValue(secret, user)!.trim()}`);
  }
  if (type === 'basic') {
    // nginx also takes crypt(3) hashes; a user Portico cannot check is left out (and said so), never let in.
    const unusable = users.filter((u) => u.indexOf(':') <= 0 || !hashKind(u.slice(u.indexOf(':') + 1)));
    if (unusable.length) {
      ann.report(
        'auth-secret',
        `Secret ${ns}/${name}: ${unusable.map((u) => `"${u.split(':')[0]}"`).join(', ')} ${unusable.length === 1 ? 'has a' : 'have'} password hash Portico cannot check (use bcrypt, apr1 or {SHA}: htpasswd -B or -m); left out`,
      );
      users.splice(0, users.length, ...users.filter((u) => !unusable.includes(u)));
    }
  }
  if (!users.length) {
    ann.report('auth-secret', `Secret ${ns}/${name} lists no usable user; every request is answered 503`);
    return closedDoor();
  }
  const options = { users, ...(realm ? { realm } : {}) };
  return type === 'basic' ? { basicAuth: options } : { digestAuth: options };
}

export function forwardAuth(ann: NginxAnnotations): Middleware | undefined {
  const url = ann.string('auth-url');
  const method = ann.string('auth-method');
  const responseHeaders = ann.list('auth-response-headers');
  if (!url) {
    if (method !== undefined) ann.report('auth-method', 'has no effect without nginx.ingress.kubernetes.io/auth-url');
    if (responseHeaders !== undefined) ann.report('auth-response-headers', 'has no effect without nginx.ingress.kubernetes.io/auth-url');
    return undefined;
  }
  if (!/^https?:\/\/[^\s$]+$/.test(url)) {
    ann.report('auth-url', `must be an http(s) URL without nginx variables, got "${url}"; every request is answered 503 until it is fixed`);
    return closedDoor();
  }
  if (method !== undefined && method.toUpperCase() !== 'GET')
    ann.report('auth-method', `only GET is supported (Portico's forwardAuth asks with GET, or with the request's own method), got "${method}"; GET is used`);
  return { forwardAuth: { address: url, ...(responseHeaders?.length ? { authResponseHeaders: responseHeaders } : {}) } };
}

/** `auth-signin`: where a 401 from the auth service sends the client; only with `auth-url`, as in ingress-nginx. */
export function authSignin(ann: NginxAnnotations): Middleware | undefined {
  const url = ann.string('auth-signin');
  const param = ann.string('auth-signin-redirect-param');
  if (url === undefined) {
    if (param !== undefined) ann.report('auth-signin-redirect-param', 'has no effect without nginx.ingress.kubernetes.io/auth-signin');
    return undefined;
  }
  if (ann.string('auth-url') === undefined) {
    ann.report('auth-signin', 'has no effect without nginx.ingress.kubernetes.io/auth-url');
    return undefined;
  }
  // A sign-in URL Portico cannot build is dropped (and said so): the client then gets the auth service's 401, never the backend.
  const problems = authSigninType.validate!({ url });
  if (!/^https?:\/\/\S+$/.test(url) || problems.length) {
    ann.report(
      'auth-signin',
      `must be an http(s) URL${problems.length ? ` (${problems.map((p) => p[1]).join('; ')})` : ''}, got "${url}"; unauthenticated requests get the auth service's 401`,
    );
    return undefined;
  }
  if (param !== undefined && !/^[A-Za-z0-9_.~-]+$/.test(param)) {
    ann.report('auth-signin-redirect-param', `must be a query parameter name, got "${param}"; rd is used`);
    return { authSignin: { url } };
  }
  return { authSignin: { url, ...(param ? { redirectParam: param } : {}) } };
}

/** A middleware that lets nobody through: what an auth annotation Portico cannot honour becomes, so a mistake never opens a location. */
export function closedDoor(): Middleware {
  return { ipAllowList: { sourceRange: ['255.255.255.255/32'], rejectStatusCode: 503 } };
}
