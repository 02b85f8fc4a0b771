/**
 * Traefik's `tracing` section made real with the OpenTelemetry SDK: spans
 * batched and exported over OTLP/HTTP (JSON) to `otlp.http.endpoint`, sampled
 * at `sampleRate` unless the client's `traceparent` already decided (parent
 * based, as Traefik), W3C trace context and baggage read from the client and
 * written to the backend. `start(ex)` gives each exchange its RequestTrace.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TracingConfig } from '../../config/static-config.js';
import type { Exchange } from '../../exchange/exchange.js';
import type { ExchangeBase } from '../../exchange/exchange-base.js';
import type { ExchangeTracing } from '../../exchange/exchange-trace.js';
import { RequestTrace, type TraceSettings } from './request-trace.js';
import { loadTracingModules } from './tracing-api.js';

const DEFAULT_ENDPOINT = 'https://localhost:4318';

/** The collector URL: Traefik's endpoint is scheme://host:port with an optional path; without one, OTLP's `/v1/traces`. */
export function tracesUrl(endpoint: string | undefined): string {
  const u = new URL(endpoint ?? DEFAULT_ENDPOINT);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/v1/traces';
  return u.href;
}

export class OtelTracing implements ExchangeTracing {
  private constructor(
    private readonly settings: TraceSettings,
    private readonly addInternals: boolean,
    private readonly shutdownProvider: () => Promise<void>,
  ) {}

  static async create(cfg: TracingConfig, baseDir: string): Promise<OtelTracing> {
    const { api, core, sdk, resources, exporter } = await loadTracingModules();
    const http = cfg.otlp?.http ?? {};
    const tls = http.tls;
    const read = (path: string | undefined) => (path ? readFileSync(resolve(baseDir, path)) : undefined);
    const exporterInstance = new exporter.OTLPTraceExporter({
      url: tracesUrl(http.endpoint),
      headers: http.headers,
      httpAgentOptions: tls ? { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key), rejectUnauthorized: tls.insecureSkipVerify !== true } : undefined,
    });
    const rate = cfg.sampleRate ?? 1;
    const provider = new sdk.BasicTracerProvider({
      resource: resources.resourceFromAttributes({ 'service.name': cfg.serviceName ?? 'traefik', ...cfg.resourceAttributes }),
      sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(rate) }),
      spanProcessors: [new sdk.BatchSpanProcessor(exporterInstance, { scheduledDelayMillis: 1000 })],
    });
    const propagator = new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] });
    const settings: TraceSettings = {
      api,
      tracer: provider.getTracer('portico'),
      propagator,
      requestHeaders: (cfg.capturedRequestHeaders ?? []).map((h) => h.toLowerCase()),
      responseHeaders: (cfg.capturedResponseHeaders ?? []).map((h) => h.toLowerCase()),
      safeQueryParams: new Set(cfg.safeQueryParams ?? []),
    };
    return new OtelTracing(settings, cfg.addInternals === true, () => provider.shutdown());
  }

  start(ex: Exchange, router: string | undefined): RequestTrace | undefined {
    // Portico's own routers (ping, api, metrics) are traced only with addInternals, as in Traefik.
    if (!this.addInternals && router !== undefined && router.endsWith('@internal')) return undefined;
    const trace = new RequestTrace(this.settings, ex, performance.timeOrigin + (ex as ExchangeBase).startedAt);
    // Response headers are recorded only when asked for: no hook per request otherwise.
    if (this.settings.responseHeaders.length > 0) ex.onResponseHeaders((_status, headers) => (trace.responseHeaders = headers));
    return trace;
  }

  /** The exchange is done: end its entrypoint span. */
  finish(ex: Exchange): void {
    (ex.trace as RequestTrace | undefined)?.finish(ex.statusCode ?? 0);
  }

  /** Export what is buffered and stop (at shutdown). */
  shutdown(): Promise<void> {
    return this.shutdownProvider();
  }
}
