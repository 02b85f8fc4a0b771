/**
 * `authSignin` (Portico's own, for ingress-nginx's `auth-signin`): a 401
 * from further down the chain (forwardAuth's answer) is dropped and the
 * client is sent to a sign-in page with 302, carrying where it was going
 * as ingress-nginx does: `rd=<scheme>://<Host><escaped request URI>`
 * appended unless the sign-in URL's query already has that parameter.
 * The URL may use the nginx variables people write in the annotation
 * (`$escaped_request_uri`, `$request_uri`, `$host`, …), filled per request.
 */
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import type { Exchange } from '../../exchange/exchange.js';
import { DiscardingSink } from '../../exchange/failure-guarded-sink.js';

interface Options {
  url: string;
  /** The query parameter that carries the original URL (ingress-nginx's `auth-signin-redirect-param`); `rd` by default. */
  redirectParam?: string;
}

/** nginx's set_escape_uri (what `$escaped_request_uri` is): everything but letters, digits and `-._~` percent-encoded. */
export function escapeUriComponent(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The nginx variables the URL may name, as Portico knows them for a request. */
const VARIABLES: Record<string, (ex: Exchange) => string> = {
  escaped_request_uri: (ex) => escapeUriComponent(ex.url),
  request_uri: (ex) => ex.url,
  uri: (ex) => ex.url.split('?', 1)[0]!,
  args: (ex) => (ex.url.includes('?') ? ex.url.slice(ex.url.indexOf('?') + 1) : ''),
  host: (ex) => ex.facts.host,
  http_host: (ex) => ex.authority,
  best_http_host: (ex) => ex.authority,
  scheme: (ex) => ex.scheme,
  pass_access_scheme: (ex) => ex.scheme,
};
const VARIABLE = /\$(\w+)|\$\{(\w+)\}/g;

export const authSignin: MiddlewareType<Options> = {
  type: 'authSignin',
  optionsSchema: {
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://[^\\s]+$' },
      redirectParam: { type: 'string', pattern: '^[A-Za-z0-9_.~-]+$' },
    },
  },
  validate: (o) => {
    const problems: OptionProblem[] = [];
    for (const m of o.url.matchAll(VARIABLE)) {
      const name = m[1] ?? m[2]!;
      if (!(name in VARIABLES))
        problems.push([
          'url',
          `nginx variable $${name} is not supported (known: ${Object.keys(VARIABLES)
            .map((v) => `$${v}`)
            .join(', ')})`,
        ]);
    }
    return problems;
  },
  build: (o) => {
    const param = o.redirectParam ?? 'rd';
    const query = o.url.includes('?') ? o.url.slice(o.url.indexOf('?') + 1).split('#', 1)[0]! : '';
    const hasParam = query.split('&').some((pair) => pair.split('=', 1)[0] === param);
    // As ingress-nginx builds the sign-in location: the original URL appended unless the query names the parameter already.
    const template = hasParam ? o.url : `${o.url}${o.url.includes('?') ? '&' : '?'}${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
    const location = (ex: Exchange) => template.replace(VARIABLE, (_all, a: string | undefined, b: string | undefined) => VARIABLES[(a ?? b)!]!(ex));
    return (next) => async (ex) => {
      // The request as the client sent it, before later middlewares rewrite it.
      const target = location(ex);
      let unauthorized = false;
      ex.interceptResponse((status, head, open) => {
        if (status !== 401) return open(status, head);
        unauthorized = true;
        return new DiscardingSink();
      });
      await next(ex);
      if (!unauthorized || ex.clientGone || ex.statusCode !== undefined) return;
      ex.respond(302, { location: target, 'content-type': 'text/plain; charset=utf-8' }, `302 Found: sign in at ${target}\n`);
    };
  },
};
