/**
 * One request's spans, as Traefik makes them: the entrypoint's SERVER span
 * (named after the method, continuing the client's `traceparent`), then
 * `Router`, one per middleware, `Service`, and the `ReverseProxy` CLIENT span
 * whose context goes to the backend in `traceparent`/`tracestate`/`baggage`.
 * Attribute names are OpenTelemetry's HTTP semantic conventions and Traefik's
 * `traefik.*` ones. Spans nest as the layers do: each new span's parent is the
 * innermost span still open.
 */
import type { Attributes, Context, Span, SpanKind as SpanKindType, TextMapPropagator, Tracer } from '@opentelemetry/api';
import type { Exchange, HeaderMap } from '../../exchange/exchange.js';
import type { ExchangeTrace, OpenSpan } from '../../exchange/exchange-trace.js';
import type { TracingApi } from './tracing-api.js';

/** What every request's trace shares: the tracer, the propagator, the configuration's lists. */
export interface TraceSettings {
  readonly api: TracingApi;
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  /** Lower-case header names to record as `http.request.header.<name>` / `http.response.header.<name>`. */
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly safeQueryParams: ReadonlySet<string>;
}

const SERVER = 1 as SpanKindType;
const CLIENT = 2 as SpanKindType;
const INTERNAL = 0 as SpanKindType;
const ERROR = 2;

const headerGetter = {
  keys: (carrier: HeaderMap) => Object.keys(carrier),
  get: (carrier: HeaderMap, key: string) => carrier[key],
};
const headerSetter = {
  set: (carrier: HeaderMap, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** `a=1&token=x` → `a=1&token=REDACTED` unless `token` is a safe parameter (Traefik's safeQueryParams). */
export function redactedQuery(query: string, safe: ReadonlySet<string>): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return safe.has(name) ? pair : `${name}=REDACTED`;
    })
    .join('&');
}

function versionOf(protocol: string): string {
  return protocol === 'HTTP/2.0' ? '2' : protocol === 'HTTP/3.0' ? '3' : protocol === 'HTTP/1.0' ? '1.0' : '1.1';
}

class TraceSpan implements OpenSpan {
  private ended = false;

  constructor(
    readonly span: Span,
    readonly context: Context,
    readonly parent: TraceSpan | undefined,
    private readonly owner: RequestTrace,
    /** Status codes at or above this are errors (500 for servers and internal spans, 400 for the client span). */
    private readonly errorFrom: number,
  ) {}

  end(status?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (status !== undefined && status > 0) {
      if (status >= this.errorFrom || status >= 600 || status < 100) this.span.setStatus({ code: ERROR });
    }
    this.span.end();
    this.owner.closed(this);
  }
}

export class RequestTrace implements ExchangeTrace {
  private readonly root: TraceSpan;
  private current: TraceSpan;
  /** The response head as written, when capturedResponseHeaders asks for it (otel-tracing.ts registers the hook). */
  responseHeaders: HeaderMap | undefined;

  constructor(
    private readonly settings: TraceSettings,
    ex: Exchange,
    /** When the exchange began (ms since the epoch): routing ran before the trace was made. */
    startTime: number,
  ) {
    const { api, tracer, propagator } = settings;
    const facts = ex.facts;
    const parentContext = propagator.extract(api.ROOT_CONTEXT, facts.headers, headerGetter);
    const span = tracer.startSpan(facts.method, { kind: SERVER, startTime }, parentContext);
    this.root = new TraceSpan(span, api.trace.setSpan(parentContext, span), undefined, this, 500);
    this.current = this.root;
    // An unsampled span records nothing: its attributes are not even built (most requests at a low sampleRate).
    if (!span.isRecording()) return;
    const attributes: Attributes = {
      entry_point: ex.entryPoint,
      'http.request.method': facts.method,
      'network.protocol.version': versionOf(ex.protocol),
      'url.path': facts.path,
      'url.scheme': ex.scheme,
      'server.address': ex.authority,
      'client.address': facts.clientIp,
      'client.port': ex.remotePort,
      'network.peer.address': ex.remoteAddress,
      'network.peer.port': ex.remotePort,
    };
    if (facts.query !== '') attributes['url.query'] = redactedQuery(facts.query, settings.safeQueryParams);
    const ua = facts.headers['user-agent'];
    if (typeof ua === 'string') attributes['user_agent.original'] = ua;
    const length = facts.headers['content-length'];
    if (typeof length === 'string') attributes['http.request.body.size'] = Number(length) || 0;
    for (const name of settings.requestHeaders) {
      const v = facts.headers[name];
      if (v !== undefined) attributes[`http.request.header.${name}`] = Array.isArray(v) ? v : [v];
    }
    span.setAttributes(attributes);
  }

  get traceId(): string {
    return this.root.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.root.span.spanContext().spanId;
  }

  router(name: string, service: string | undefined, rule: string | undefined): OpenSpan {
    const opened = this.open('Router', INTERNAL, 500);
    if (opened.span.isRecording()) {
      opened.span.setAttribute('traefik.router.name', name);
      if (service !== undefined) opened.span.setAttribute('traefik.service.name', service);
      if (rule !== undefined) opened.span.setAttribute('http.route', rule);
    }
    return opened;
  }

  middleware(name: string, type: string | undefined): OpenSpan {
    const opened = this.open(type ?? name, INTERNAL, 500);
    if (opened.span.isRecording()) opened.span.setAttribute('traefik.middleware.name', name);
    return opened;
  }

  service(name: string): OpenSpan {
    const opened = this.open('Service', INTERNAL, 500);
    if (opened.span.isRecording()) opened.span.setAttribute('traefik.service.name', name);
    return opened;
  }

  upstream(url: string, method: string, headers: HeaderMap): OpenSpan {
    const opened = this.open('ReverseProxy', CLIENT, 400);
    this.settings.propagator.inject(opened.context, headers, headerSetter);
    if (opened.span.isRecording()) opened.span.setAttributes(clientAttributes(url, method, headers));
    return opened;
  }

  /** The exchange is done: the entrypoint span takes the status and the captured response headers, and ends. */
  finish(status: number): void {
    const span = this.root.span;
    const responseHeaders = this.responseHeaders;
    if (status > 0) span.setAttribute('http.response.status_code', status);
    if (responseHeaders !== undefined)
      for (const name of this.settings.responseHeaders) {
        const v = responseHeaders[name];
        if (v !== undefined) span.setAttribute(`http.response.header.${name}`, Array.isArray(v) ? v : [v]);
      }
    this.root.end(status);
  }

  private open(name: string, kind: SpanKindType, errorFrom: number): TraceSpan {
    const parent = this.current;
    const span = this.settings.tracer.startSpan(name, { kind }, parent.context);
    const opened = new TraceSpan(span, this.settings.api.trace.setSpan(parent.context, span), parent, this, errorFrom);
    this.current = opened;
    return opened;
  }

  /** A span ended: the innermost open one is its parent again (unless a sibling opened since). */
  closed(span: TraceSpan): void {
    if (this.current === span) this.current = span.parent ?? this.root;
  }
}

/** The ReverseProxy span's attributes: where the request went. */
function clientAttributes(url: string, method: string, headers: HeaderMap): Attributes {
  const attributes: Attributes = { 'http.request.method': method, 'url.full': url };
  try {
    const u = new URL(url);
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    attributes['url.scheme'] = u.protocol.slice(0, -1);
    attributes['server.address'] = u.hostname;
    attributes['server.port'] = port;
    attributes['network.peer.address'] = u.hostname;
    attributes['network.peer.port'] = port;
  } catch {
    // A server URL that does not parse has no address to record; the span still links the backend.
  }
  const ua = headers['user-agent'];
  if (typeof ua === 'string') attributes['user_agent.original'] = ua;
  return attributes;
}
