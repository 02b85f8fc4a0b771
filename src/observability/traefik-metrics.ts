/**
 * Traefik's Prometheus families, so its Grafana dashboards work on Portico:
 * `<prefix>_entrypoint_*`, `_router_*`, `_service_*` request counters,
 * duration histograms and byte counters labelled code, method, protocol,
 * plus open connections, config reloads, server up, retries and certificate
 * expiry. The hot path only adds to plain numbers found through small
 * integer-keyed maps (no label strings built, no prom-client child lookups);
 * the families are rendered when scraped, as request-metrics.ts does.
 */
import { X509Certificate } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { ExchangeBase } from '../exchange/exchange-base.js';
import type { StoredCertificate } from '../tls/sni-certificate-store.js';
import { scrapeTimeMetric, type MetricValue } from './scrape-time-metric.js';

export interface PrometheusOptions {
  /** Family name prefix without the underscore: `traefik` keeps Traefik's dashboards working. */
  prefix: string;
  buckets: readonly number[];
  addEntryPointsLabels: boolean;
  addRoutersLabels: boolean;
  addServicesLabels: boolean;
  /** Count requests to Portico's own routers and services (`…@internal`: ping, api, metrics) too. */
  addInternals: boolean;
}

export const TRAEFIK_DEFAULT_BUCKETS = [0.1, 0.3, 1.2, 5] as const;

/** What the families read at scrape time from the running server. */
export interface TraefikMetricsSources {
  /** Open connections by entrypoint and transport (`TCP`, `UDP`). */
  openConnections(): Array<{ entrypoint: string; protocol: 'TCP' | 'UDP'; value: number }>;
  /** Each load-balancer server's health, by service. */
  servers(): Array<{ service: string; url: string; up: boolean }>;
  /** The certificates the current configuration serves. */
  certificates(): readonly StoredCertificate[];
}

// Traefik's `method` label: the common methods, anything else one value so a client cannot grow the series.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PRI', 'EXTENSION_METHOD'] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const PROTOCOLS = ['http', 'websocket', 'sse', 'grpc-web', 'grpc'] as const;

function methodIndex(method: string): number {
  return METHOD_INDEX.get(method) ?? METHODS.length - 1;
}

/** Traefik's `protocol` label: what the request is, not its HTTP version. */
function protocolIndex(ex: ExchangeBase): number {
  if (ex.tunnel !== undefined) return 1;
  const h = ex.facts.headers;
  const accept = h.accept;
  if (typeof accept === 'string' && accept.includes('text/event-stream')) return 2;
  const type = h['content-type'];
  if (typeof type === 'string' && type.startsWith('application/grpc')) return type.startsWith('application/grpc-web') ? 3 : 4;
  return 0;
}

/** One method × protocol × code of one scope. */
class RequestSeries {
  count = 0;
  requestBytes = 0;
  responseBytes = 0;
  sum = 0;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets: Float64Array;

  constructor(
    readonly method: string,
    readonly protocol: string,
    readonly code: string,
    bucketCount: number,
  ) {
    this.buckets = new Float64Array(bucketCount + 1);
  }
}

/** An entrypoint, a router or a service: its fixed labels and its series. */
export class ScopeSeries {
  private readonly series = new Map<number, RequestSeries>();
  /** TLS requests by `version cipher`. */
  private readonly tls = new Map<string, Map<string, number>>();

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {}

  record(method: number, protocol: number, code: number, seconds: number, requestBytes: number, responseBytes: number, tls: ExchangeBase['tls']): void {
    const key = (method * PROTOCOLS.length + protocol) * 1000 + (code >= 0 && code < 1000 ? code : 0);
    let s = this.series.get(key);
    if (s === undefined) {
      s = new RequestSeries(METHODS[method]!, PROTOCOLS[protocol]!, String(code), this.bounds.length);
      this.series.set(key, s);
    }
    s.count++;
    s.requestBytes += requestBytes;
    s.responseBytes += responseBytes;
    s.sum += seconds;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    s.buckets[i]!++;
    if (tls !== undefined) {
      const version = tls.version ?? '';
      let byCipher = this.tls.get(version);
      if (byCipher === undefined) this.tls.set(version, (byCipher = new Map()));
      const cipher = tls.cipher ?? '';
      byCipher.set(cipher, (byCipher.get(cipher) ?? 0) + 1);
    }
  }

  each(f: (s: RequestSeries) => void): void {
    for (const s of this.series.values()) f(s);
  }

  eachTls(f: (version: string, cipher: string, n: number) => void): void {
    for (const [version, byCipher] of this.tls) for (const [cipher, n] of byCipher) f(version, cipher, n);
  }
}

/** The request families of one level (`entrypoint`, `router`, `service`). */
class ScopeFamilies {
  private readonly scopes = new Map<string, ScopeSeries>();

  constructor(
    registry: Registry,
    private readonly name: string,
    private readonly bounds: readonly number[],
  ) {
    const all = () => this.scopes.values();
    registry.registerMetric(
      scrapeTimeMetric(`${name}_requests_total`, 'How many HTTP requests processed, partitioned by status code, method and protocol.', 'counter', () =>
        collect(all(), (s, labels, out) => out.push({ labels, value: s.count })),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(`${name}_requests_tls_total`, 'How many HTTP requests with TLS processed, partitioned by TLS version and cipher.', 'counter', () => {
        const out: MetricValue[] = [];
        for (const scope of all()) scope.eachTls((tls_version, tls_cipher, value) => out.push({ labels: { ...scope.labels, tls_version, tls_cipher }, value }));
        return out;
      }),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        `${name}_request_duration_seconds`,
        'How long it took to process the request, partitioned by status code, method and protocol.',
        'histogram',
        () =>
          collect(all(), (s, labels, out) => {
            let cumulative = 0;
            for (let i = 0; i <= this.bounds.length; i++) {
              cumulative += s.buckets[i]!;
              out.push({
                labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', ...labels },
                value: cumulative,
                metricName: `${this.name}_request_duration_seconds_bucket`,
              });
            }
            out.push({ labels, value: s.sum, metricName: `${this.name}_request_duration_seconds_sum` });
            out.push({ labels, value: s.count, metricName: `${this.name}_request_duration_seconds_count` });
          }),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(`${name}_requests_bytes_total`, 'The total size of requests in bytes, partitioned by status code, method and protocol.', 'counter', () =>
        collect(all(), (s, labels, out) => out.push({ labels, value: s.requestBytes })),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        `${name}_responses_bytes_total`,
        'The total size of responses in bytes, partitioned by status code, method and protocol.',
        'counter',
        () => collect(all(), (s, labels, out) => out.push({ labels, value: s.responseBytes })),
      ),
    );
  }

  /** The scope for these labels, created on first use; callers cache it (one per entrypoint, router, service). */
  scope(key: string, labels: Record<string, string>): ScopeSeries {
    let s = this.scopes.get(key);
    if (s === undefined) this.scopes.set(key, (s = new ScopeSeries(labels, this.bounds)));
    return s;
  }
}

function collect(scopes: Iterable<ScopeSeries>, f: (s: RequestSeries, labels: Record<string, string>, out: MetricValue[]) => void): MetricValue[] {
  const out: MetricValue[] = [];
  for (const scope of scopes) scope.each((s) => f(s, { ...scope.labels, method: s.method, protocol: s.protocol, code: s.code }, out));
  return out;
}

interface CertificateLabels {
  cn: string;
  serial: string;
  sans: string;
}

export class TraefikMetrics {
  private readonly entryPoints: ScopeFamilies | undefined;
  private readonly routers: ScopeFamilies | undefined;
  private readonly services: ScopeFamilies | undefined;
  /** Scopes by router / service name: one Map lookup per request, no label object built. */
  private readonly routerScopes = new Map<string, ScopeSeries>();
  private readonly serviceScopes = new Map<string, ScopeSeries>();
  private readonly retries = new Map<string, number>();
  private reloads = 0;
  private lastReloadSuccess = 0;
  private readonly certificateLabels = new Map<string, CertificateLabels>();

  constructor(
    registry: Registry,
    private readonly options: PrometheusOptions,
    private readonly sources: TraefikMetricsSources,
  ) {
    const p = options.prefix;
    if (options.addEntryPointsLabels) this.entryPoints = new ScopeFamilies(registry, `${p}_entrypoint`, options.buckets);
    if (options.addRoutersLabels) this.routers = new ScopeFamilies(registry, `${p}_router`, options.buckets);
    if (options.addServicesLabels) {
      this.services = new ScopeFamilies(registry, `${p}_service`, options.buckets);
      registry.registerMetric(
        // Counted from `ex.retryAttempts`, which the retry middleware raises on each new attempt.
        scrapeTimeMetric(`${p}_service_retries_total`, 'How many request retries happened, partitioned by service.', 'counter', () =>
          [...this.retries].map(([service, value]) => ({ labels: { service }, value })),
        ),
      );
      registry.registerMetric(
        scrapeTimeMetric(
          `${p}_service_server_up`,
          'service server is up, described by gauge value of 0 or 1.',
          'gauge',
          () => sources.servers().map(({ service, url, up }) => ({ labels: { service, url }, value: up ? 1 : 0 })),
          'max',
        ),
      );
    }
    // Every worker applies every configuration and serves the same certificates: the highest worker's value, not N times it.
    registry.registerMetric(scrapeTimeMetric(`${p}_config_reloads_total`, 'Config reloads', 'counter', () => [{ labels: {}, value: this.reloads }], 'max'));
    registry.registerMetric(
      scrapeTimeMetric(`${p}_config_last_reload_success`, 'Last config reload success', 'gauge', () => [{ labels: {}, value: this.lastReloadSuccess }], 'max'),
    );
    registry.registerMetric(
      scrapeTimeMetric(`${p}_open_connections`, 'How many open connections exist, by entryPoint and protocol', 'gauge', () =>
        sources.openConnections().map(({ entrypoint, protocol, value }) => ({ labels: { entrypoint, protocol }, value })),
      ),
    );
    registry.registerMetric(
      scrapeTimeMetric(
        `${p}_tls_certs_not_after`,
        'Certificate expiration timestamp',
        'gauge',
        () => sources.certificates().map((c) => ({ labels: { ...this.describe(c) }, value: Math.floor(c.notAfter.getTime() / 1000) })),
        'max',
      ),
    );
  }

  /** What one entrypoint records into: its scope resolved once, not per request. */
  forEntryPoint(name: string): EntryPointTraefikMetrics {
    return new EntryPointTraefikMetrics(this, this.entryPoints?.scope(name, { entrypoint: name }));
  }

  /** The exchange is done: count it at each level that is on. */
  record(ex: ExchangeBase, entryPoint: ScopeSeries | undefined): void {
    const router = ex.routerName;
    if (!this.options.addInternals && router !== undefined && router.endsWith('@internal')) return;
    const seconds = (performance.now() - ex.startedAt) / 1000;
    const method = methodIndex(ex.facts.method);
    const protocol = protocolIndex(ex);
    const code = ex.statusCode ?? 0;
    // Request body bytes as declared (Content-Length); a streamed (chunked) upload counts 0.
    const length = ex.facts.headers['content-length'];
    const requestBytes = typeof length === 'string' ? Number(length) || 0 : 0;
    const responseBytes = ex.downstreamBytes();
    entryPoint?.record(method, protocol, code, seconds, requestBytes, responseBytes, ex.tls);
    if (this.routers !== undefined && router !== undefined) {
      const routerService = ex.routerService ?? '';
      let scope = this.routerScopes.get(router);
      // A reload may give the router another service: a new series, as Traefik labels it.
      if (scope === undefined || scope.labels.service !== routerService) {
        scope = this.routers.scope(`${router}\u0000${routerService}`, { router, service: routerService });
        this.routerScopes.set(router, scope);
      }
      scope.record(method, protocol, code, seconds, requestBytes, responseBytes, ex.tls);
    }
    const service = ex.serviceName;
    if (this.services !== undefined && service !== undefined) {
      let scope = this.serviceScopes.get(service);
      if (scope === undefined) {
        scope = this.services.scope(service, { service });
        this.serviceScopes.set(service, scope);
      }
      // The service's own time: from the request leaving for the server to its response's end.
      const served = ex.originEndedAt > ex.originStartedAt && ex.originStartedAt > 0 ? (ex.originEndedAt - ex.originStartedAt) / 1000 : seconds;
      scope.record(method, protocol, ex.originStatus ?? code, served, requestBytes, ex.originBytes, ex.tls);
      if (ex.retryAttempts > 0) this.retries.set(service, (this.retries.get(service) ?? 0) + ex.retryAttempts);
    }
  }

  /** A configuration version was applied. */
  configReloaded(at = Date.now()): void {
    this.reloads++;
    this.lastReloadSuccess = Math.floor(at / 1000);
  }

  private describe(c: StoredCertificate): CertificateLabels {
    let labels = this.certificateLabels.get(c.fingerprintSha256);
    if (labels === undefined) {
      const x = new X509Certificate(c.certPem);
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? '';
      labels = { cn, serial: BigInt(`0x${x.serialNumber}`).toString(), sans: c.names.join(',') };
      this.certificateLabels.set(c.fingerprintSha256, labels);
    }
    return labels;
  }
}

/** One entrypoint's recorder: the entrypoint scope found once. */
export class EntryPointTraefikMetrics {
  constructor(
    private readonly metrics: TraefikMetrics,
    private readonly scope: ScopeSeries | undefined,
  ) {}

  record(ex: ExchangeBase): void {
    this.metrics.record(ex, this.scope);
  }
}
