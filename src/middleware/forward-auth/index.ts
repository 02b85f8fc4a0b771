/**
 * `forwardAuth`: ask an authentication server about each request (Traefik v3
 * semantics). A 2xx answer lets the request through, with the headers named in
 * `authResponseHeaders` / matching `authResponseHeadersRegex` copied from the
 * answer onto it; any other answer goes to the client as is (status, headers
 * without hop-by-hop fields, body), its relative Location made absolute against
 * the auth server unless `preserveLocationHeader`. The auth server unreachable
 * or failing mid-answer: 500, as Traefik.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Exchange, HeaderMap } from '../../exchange/exchange.js';
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import { stringList } from '../options-schema.js';
import { goRegexpProblems } from '../go-regexp-option.js';
import { compileGoRegexp } from '../../router/go-regexp.js';
import { isHopByHop } from '../../exchange/hop-by-hop.js';
import { authRequestHeaders } from './auth-request-headers.js';
import { mergeAuthCookies } from './auth-cookies.js';

interface ClientTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

interface Options {
  address: string;
  tls?: ClientTlsOptions;
  trustForwardHeader?: boolean;
  authResponseHeaders?: string[];
  authResponseHeadersRegex?: string;
  authRequestHeaders?: string[];
  addAuthCookiesToResponse?: string[];
  forwardBody?: boolean;
  maxBodySize?: number;
  preserveLocationHeader?: boolean;
  preserveRequestMethod?: boolean;
}

/** Traefik's auth client gives up after 30 s. */
const AUTH_TIMEOUT_MS = 30_000;

class BodyTooLarge extends Error {}

/** Go's canonical form (`x-grant-team` → `X-Grant-Team`): what Traefik matches authResponseHeadersRegex against. */
function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function readAll(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (limit >= 0 && size > limit) {
        stream.removeAllListeners('data');
        stream.resume();
        return reject(new BodyTooLarge());
      }
      chunks.push(c);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function tlsProblems(tls: ClientTlsOptions | undefined): OptionProblem[] {
  if (!tls) return [];
  if (!!tls.cert !== !!tls.key) return [[tls.cert ? 'tls.key' : 'tls.cert', 'tls.cert and tls.key go together']];
  const problems: OptionProblem[] = [];
  for (const field of ['ca', 'cert', 'key'] as const) {
    const file = tls[field];
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push([`tls.${field}`, (err as Error).message]);
    }
  }
  return problems;
}

export const forwardAuth: MiddlewareType<Options> = {
  type: 'forwardAuth',
  optionsSchema: {
    required: ['address'],
    properties: {
      address: { type: 'string', minLength: 1 },
      tls: {
        type: 'object',
        additionalProperties: false,
        properties: { ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, insecureSkipVerify: { type: 'boolean' } },
      },
      trustForwardHeader: { type: 'boolean' },
      authResponseHeaders: stringList,
      authResponseHeadersRegex: { type: 'string' },
      authRequestHeaders: stringList,
      addAuthCookiesToResponse: stringList,
      forwardBody: { type: 'boolean' },
      maxBodySize: { type: 'integer', minimum: -1 },
      preserveLocationHeader: { type: 'boolean' },
      preserveRequestMethod: { type: 'boolean' },
    },
  },
  validate: (o) => {
    const problems: OptionProblem[] = [];
    let url: URL | undefined;
    try {
      url = new URL(o.address);
    } catch {
      problems.push(['address', `not a URL: "${o.address}"`]);
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(['address', `must be http:// or https://, not ${url.protocol}`]);
    if (o.authResponseHeadersRegex) problems.push(...goRegexpProblems('authResponseHeadersRegex', o.authResponseHeadersRegex));
    problems.push(...tlsProblems(o.tls));
    return problems;
  },
  build: (o, context) => {
    const address = new URL(o.address);
    const secure = address.protocol === 'https:';
    const agent = secure
      ? new https.Agent({
          keepAlive: true,
          ca: o.tls?.ca ? readFileSync(o.tls.ca) : undefined,
          cert: o.tls?.cert ? readFileSync(o.tls.cert) : undefined,
          key: o.tls?.key ? readFileSync(o.tls.key) : undefined,
          rejectUnauthorized: !o.tls?.insecureSkipVerify,
        })
      : new http.Agent({ keepAlive: true });
    context.onDispose(() => agent.destroy());
    const copyNames = (o.authResponseHeaders ?? []).map((h) => h.toLowerCase());
    const copyRegex = o.authResponseHeadersRegex ? compileGoRegexp(o.authResponseHeadersRegex) : undefined;
    const cookieNames = new Set(o.addAuthCookiesToResponse ?? []);
    const maxBodySize = o.maxBodySize ?? -1;

    const ask = (ex: Exchange, body: Buffer | undefined): Promise<{ answer: IncomingMessage; body: Buffer }> =>
      new Promise((resolve, reject) => {
        const headers = authRequestHeaders(ex, o.authRequestHeaders, !!o.trustForwardHeader);
        if (body) headers['content-length'] = String(body.length);
        const req = (secure ? https : http).request(
          address,
          { method: o.preserveRequestMethod ? ex.method : 'GET', headers, agent, timeout: AUTH_TIMEOUT_MS },
          (answer) => {
            readAll(answer, -1).then((b) => resolve({ answer, body: b }), reject);
          },
        );
        req.once('timeout', () => req.destroy(new Error(`no answer from ${o.address} within ${AUTH_TIMEOUT_MS} ms`)));
        req.once('error', reject);
        req.end(body);
      });

    /** Copy the granted request headers from a 2xx answer onto the request. */
    const grant = (ex: Exchange, answer: IncomingMessage) => {
      for (const name of copyNames) {
        ex.requestHeaders[name] = undefined;
        if (answer.headers[name] !== undefined) ex.requestHeaders[name] = answer.headers[name];
      }
      if (copyRegex) {
        for (const name of Object.keys(ex.requestHeaders)) if (copyRegex.test(canonicalHeaderName(name))) ex.requestHeaders[name] = undefined;
        for (const [name, value] of Object.entries(answer.headers))
          if (value !== undefined && copyRegex.test(canonicalHeaderName(name))) ex.requestHeaders[name] = value;
      }
      const setCookies = answer.headers['set-cookie'];
      if (cookieNames.size && setCookies?.length) ex.onResponseHeaders((_status, response) => mergeAuthCookies(response, setCookies, cookieNames));
    };

    /** The auth server's refusal, passed to the client. */
    const refuse = (ex: Exchange, answer: IncomingMessage, body: Buffer) => {
      const headers: HeaderMap = {};
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !isHopByHop(name) && name !== 'content-length') headers[name] = value;
      const location = answer.headers.location;
      if (location && !o.preserveLocationHeader) {
        try {
          headers.location = new URL(location, address).toString();
        } catch {
          return ex.respond(500, {});
        }
      }
      ex.respond(answer.statusCode ?? 500, headers, body);
    };

    return (next) => async (ex) => {
      let body: Buffer | undefined;
      if (o.forwardBody) {
        try {
          body = await readAll(ex.body, maxBodySize);
        } catch (err) {
          if (err instanceof BodyTooLarge) return ex.respond(401, {});
          throw err;
        }
        ex.replaceBody(Readable.from(body.length ? [body] : []));
      }
      let result: { answer: IncomingMessage; body: Buffer };
      try {
        result = await ask(ex, body);
      } catch {
        if (ex.clientGone) return;
        return ex.respond(500, {});
      }
      const status = result.answer.statusCode ?? 500;
      if (status < 200 || status >= 300) return refuse(ex, result.answer, result.body);
      grant(ex, result.answer);
      return next(ex);
    };
  },
};
