/**
 * `errors` (Traefik's custom error pages): when the response status is in
 * `status`, the response's head and body are dropped as they arrive and the
 * page is fetched instead from `service` — a GET of `query`, with `{status}`,
 * `{originalStatus}` and `{url}` filled in, carrying the client's request
 * headers (or only `errorRequestHeaders`) and the forwarding headers the
 * service adds — and the client gets the page's headers and body under the
 * original status, or its rewrite from `statusRewrites` (first matching entry).
 * With `ingressNginxHeaders` the page request also carries the headers
 * ingress-nginx sends its default backend (custom-http-errors).
 *
 * An error service that fails answers through the same path: the client
 * still gets the original status (with Portico's short error body); one that
 * sends no head within PAGE_HEAD_TIMEOUT_MS is given up on the same way, and
 * a client that leaves stops the page request.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Exchange, HeaderMap } from '../../exchange/exchange.js';
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import { DiscardingSink } from '../../exchange/failure-guarded-sink.js';
import { respondError } from '../../exchange/http-error.js';
import { stringList } from '../options-schema.js';
import { StatusRanges } from './status-ranges.js';
import { ErrorPageExchange } from './error-page-exchange.js';

interface Options {
  status: string[];
  service: string;
  query?: string;
  statusRewrites?: Record<string, number>;
  errorRequestHeaders?: string[];
  /**
   * Portico's own (not Traefik's): send the page request the headers ingress-nginx sends
   * its default backend (X-Code, X-Format, X-Original-URI, X-Namespace, X-Ingress-Name,
   * X-Service-Name, X-Service-Port, X-Request-ID), for custom-http-errors with default-backend.
   */
  ingressNginxHeaders?: { namespace: string; ingressName: string; serviceName: string; servicePort: string };
}

/** The error service has this long to start its answer; an error page is small and local, so a slow one is a broken one. */
const PAGE_HEAD_TIMEOUT_MS = 10_000;

/** Request fields that describe the client's body, which the page request (a GET without one) does not carry. */
const BODY_FIELDS = ['content-length', 'transfer-encoding', 'expect', 'trailer'];

/** Go's url.QueryEscape, which Traefik fills `{url}` with: everything but letters, digits and `-_.~` escaped, spaces as `+`. */
function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The page request's headers: the client's as they reached this middleware (all, or the named ones), without body fields. */
function pageHeaders(headers: HeaderMap, only: readonly string[] | undefined): HeaderMap {
  const out: HeaderMap = {};
  for (const name of only ?? Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined && !BODY_FIELDS.includes(name)) out[name] = Array.isArray(value) ? value.slice() : value;
  }
  return out;
}

/** What ingress-nginx's custom error location sets on the request to the default backend. */
function ingressNginxPageHeaders(nginx: NonNullable<Options['ingressNginxHeaders']>, code: number, originalUri: string, request: HeaderMap): HeaderMap {
  const first = (name: string) => {
    const v = request[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    'x-code': String(code),
    'x-format': first('accept') ?? '',
    'x-original-uri': originalUri,
    'x-namespace': nginx.namespace,
    'x-ingress-name': nginx.ingressName,
    'x-service-name': nginx.serviceName,
    'x-service-port': nginx.servicePort,
    // nginx's $req_id: the client's X-Request-ID, else 16 random bytes in hex.
    'x-request-id': first('x-request-id') || randomBytes(16).toString('hex'),
  };
}

function problemsOf(field: string, entries: readonly string[]): OptionProblem[] {
  try {
    StatusRanges.parse(entries);
    return [];
  } catch (err) {
    return [[field, (err as Error).message]];
  }
}

export const errors: MiddlewareType<Options> = {
  type: 'errors',
  optionsSchema: {
    required: ['status', 'service'],
    properties: {
      status: { ...stringList, minItems: 1 },
      service: { type: 'string', minLength: 1 },
      query: { type: 'string' },
      statusRewrites: { type: 'object', additionalProperties: { type: 'integer', minimum: 100, maximum: 599 } },
      errorRequestHeaders: stringList,
      ingressNginxHeaders: {
        type: 'object',
        additionalProperties: false,
        required: ['namespace', 'ingressName', 'serviceName', 'servicePort'],
        properties: { namespace: { type: 'string' }, ingressName: { type: 'string' }, serviceName: { type: 'string' }, servicePort: { type: 'string' } },
      },
    },
  },
  validate: (o) => [
    ...o.status.flatMap((entry, i) => problemsOf(`status[${i}]`, [entry])),
    ...Object.keys(o.statusRewrites ?? {}).flatMap((from) => problemsOf(`statusRewrites.${from}`, [from])),
  ],
  build: (o, context) => {
    if (!context.service) throw new Error('errors: this build context cannot reach services');
    const service = context.service(o.service);
    const caughtStatuses = StatusRanges.parse(o.status);
    const rewrites = Object.entries(o.statusRewrites ?? {}).map(([from, to]) => ({ from: StatusRanges.parse([from]), to }));
    const query = o.query ? `/${o.query.replace(/^\//, '')}` : '';
    const onlyHeaders = o.errorRequestHeaders?.map((h) => h.toLowerCase());

    const pageUrl = (ex: Exchange, originalUrl: string, status: number, original: number): string =>
      query
        .replace(/\{status\}/g, String(status))
        .replace(/\{originalStatus\}/g, String(original))
        .replace(/\{url\}/g, () => queryEscape(`${ex.scheme}://${ex.authority}${originalUrl}`)) || '/';

    /** Fetch the page from the error service and send it to the client under `status`. */
    const servePage = async (ex: Exchange, status: number, page: ErrorPageExchange) => {
      // The original response is over: stopping "the upstream" now means stopping the page request.
      ex.setUpstreamAbort(() => page.clientClosed());
      const timer = setTimeout(() => {
        if (page.statusCode === undefined) page.abortUpstream();
      }, PAGE_HEAD_TIMEOUT_MS);
      try {
        await service(page);
      } catch {
        // The error service's own failure; the client still gets the original status below.
      } finally {
        clearTimeout(timer);
      }
      if (ex.statusCode === undefined) respondError(ex, status);
    };

    return (next) => async (ex) => {
      const originalUrl = ex.url;
      const authority = ex.authority;
      const headers = pageHeaders(ex.requestHeaders, onlyHeaders);
      const nginx = o.ingressNginxHeaders;
      let caught: number | undefined;
      ex.interceptResponse((status, head, open) => {
        if (!caughtStatuses.contains(status)) return open(status, head);
        caught = status;
        return new DiscardingSink();
      });
      await next(ex);
      if (caught === undefined || ex.clientGone || ex.statusCode !== undefined) return;
      const original = caught;
      const status = rewrites.find((r) => r.from.contains(original))?.to ?? original;
      const page = new ErrorPageExchange(ex, status, {
        method: 'GET',
        url: pageUrl(ex, originalUrl, status, original),
        authority,
        requestHeaders: nginx ? { ...headers, ...ingressNginxPageHeaders(nginx, original, originalUrl, ex.requestHeaders) } : headers,
        body: Readable.from([]),
        hasBody: false,
      });
      await servePage(ex, status, page);
    };
  },
};
