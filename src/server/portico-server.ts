/**
 * Portico as a running process: starts the listeners, the providers and the
 * aggregator, and swaps in a freshly compiled runtime (routes + TLS) each time
 * the configuration changes. Listeners read the current runtime per request
 * or handshake, so a reload never restarts a listener or touches an open
 * connection; a configuration that fails to compile never replaces the
 * running one router by router — bad objects are left out and reported.
 */
import { hostname } from 'node:os';
import type { StaticConfig } from '../config/static-config.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';
import { FileProvider } from '../provider/file/file-provider.js';
import { ConfigurationAggregator } from '../dynamic/configuration-aggregator.js';
import { mergeSnapshots, type MergedConfig } from '../dynamic/merge.js';
import { buildRuntime, type RuntimeConfig } from '../runtime/runtime-config.js';
import { InternalProvider } from '../provider/internal/internal-provider.js';
import { UpstreamPools } from '../service/upstream-pools.js';
import { createInternalServices } from '../api/internal-services.js';
import { PorticoMetrics } from '../observability/metrics.js';
import { AccessLog } from '../observability/access-log/access-log.js';
import { TRAEFIK_DEFAULT_BUCKETS, TraefikMetrics } from '../observability/traefik-metrics.js';
import { OtelTracing } from '../observability/tracing/otel-tracing.js';
import { generatedDefaultCertificate, type GeneratedCertificate } from '../tls/generated-default-certificate.js';
import { describeCertificate, type StoredCertificate } from '../tls/sni-certificate-store.js';
import { TcpEntryPoint } from '../entrypoint/tcp-entrypoint.js';
import type { EntryPointContext } from '../entrypoint/entrypoint-context.js';
import { IpRangeSet } from '../net/ip-range.js';
import { parseDurationMs } from '../config/duration.js';
import { isUdpEntryPoint, parseListenAddress } from '../config/listen-address.js';
import { UdpEntryPoint } from '../entrypoint/udp-entrypoint.js';
import { MiddlewareRegistry } from '../middleware/registry.js';
import { loadPlugins } from '../middleware/plugin-loader.js';
import { closeRedisConnections } from '../middleware/rate-limit/redis-token-buckets.js';
import type { ExchangeBase } from '../exchange/exchange-base.js';
import type { Exchange } from '../exchange/exchange.js';
import { startHttp3Listener, type Http3Listener } from '../entrypoint/http3-listener.js';
import { createKubernetesProviders, nginxIngressForFiles } from './kubernetes-providers.js';
import type { WorkerRole } from './worker-role.js';
import { http3WorkerPlan } from './worker-http3.js';
import { AggregatorRegistry } from 'prom-client';
import { AcmeProvider } from '../acme/acme-provider.js';
import { certificateRequests } from '../acme/certificate-requests.js';

export class PorticoServer {
  private runtime: RuntimeConfig | undefined;
  private version = 0;
  private readonly pools = new UpstreamPools();
  readonly metrics = new PorticoMetrics();
  private readonly accessLog: AccessLog | undefined;
  /** Traefik's Prometheus families; undefined (and nothing recorded) without metrics.prometheus. */
  private readonly traefikMetrics: TraefikMetrics | undefined;
  /** OpenTelemetry, loaded at start only when `tracing` is configured. */
  private tracing: OtelTracing | undefined;
  private readonly reopenAccessLog = () => this.accessLog?.reopen();
  private readonly tcp = new Map<string, TcpEntryPoint>();
  private readonly h3 = new Map<string, Http3Listener>();
  private readonly udp = new Map<string, UdpEntryPoint>();
  private readonly altSvc = new Map<string, string>();
  private providers: Provider[] = [];
  private aggregator: ConfigurationAggregator | undefined;
  private generatedDefault: StoredCertificate | undefined;
  private readonly middlewares = new MiddlewareRegistry();
  private ready = false;
  private readonly internal;
  /** Ping, API, metrics and entrypoint redirections, as routers of the `internal` provider. */
  private readonly internalProvider: InternalProvider;
  /** The ACME resolvers (certificatesResolvers), a provider of certificates; undefined without any. */
  private readonly acme: AcmeProvider | undefined;
  /** Resolves each time a configuration version is applied (tests and `check` wait on it). */
  private applyWaiters: Array<(rt: RuntimeConfig) => void> = [];

  constructor(
    readonly config: StaticConfig,
    readonly log: Logger,
    private readonly extraProviders: Provider[] = [],
    /** Set when this process is one worker of several (`workers: N`); see worker-role.ts. */
    private readonly role?: WorkerRole,
  ) {
    this.accessLog = config.accessLog ? new AccessLog(config.accessLog, (err) => log.error({ err: err.message }, 'access log: cannot write')) : undefined;
    if (Object.keys(config.certificatesResolvers ?? {}).length) {
      // One process talks to the CA (worker 1 of several); the others follow its storage file and answer the challenges it relays.
      const orders = !role || role.id === 1;
      this.acme = new AcmeProvider(config, log, orders);
      if (role && orders) this.acme.challenges.onChange((change) => role.announceAcmeChallenge(change));
      else if (role) role.onAcmeChallenge((change) => this.acme!.challenges.apply(change));
    }
    const registry = this.metrics.registry;
    const prometheus = config.metrics?.prometheus;
    this.traefikMetrics = prometheus
      ? new TraefikMetrics(
          registry,
          {
            prefix: prometheus.prefix ?? 'traefik',
            buckets: prometheus.buckets ?? TRAEFIK_DEFAULT_BUCKETS,
            addEntryPointsLabels: prometheus.addEntryPointsLabels ?? true,
            addRoutersLabels: prometheus.addRoutersLabels ?? false,
            addServicesLabels: prometheus.addServicesLabels ?? true,
            addInternals: config.metrics?.addInternals ?? false,
          },
          {
            openConnections: () => [
              ...[...this.tcp].map(([entrypoint, t]) => ({ entrypoint, protocol: 'TCP' as const, value: t.load.openConnections() })),
              ...[...this.h3].map(([entrypoint, l]) => ({ entrypoint, protocol: 'UDP' as const, value: l.openConnections() })),
            ],
            servers: () => this.serverHealth(),
            certificates: () => this.runtime?.tls.store.certificates ?? [],
          },
        )
      : undefined;
    this.internal = createInternalServices({
      metrics: role ? () => role.clusterMetrics() : async () => ({ text: await registry.metrics(), contentType: registry.contentType }),
      runtime: () => this.runtime,
      static: config,
      isReady: () => this.ready,
      acme: this.acme,
    });
    if (role) {
      // Constructing one installs prom-client's worker-side listener; the primary then sums this registry with the others'.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
    }
    // Worker 1 serves HTTP/3 for all workers; the others advertise it while worker 1 says it is live.
    role?.onAltSvc((entryPoint, value) => (value ? this.altSvc.set(entryPoint, value) : this.altSvc.delete(entryPoint)));
    // A redirection names its target's real port (it may listen on :0 in tests): known once listening.
    this.internalProvider = new InternalProvider(config, (to) => this.port(to) || parseListenAddress(config.entryPoints[to]!.address).port);
  }

  current(): RuntimeConfig | undefined {
    return this.runtime;
  }

  /** Wait for the next applied configuration version (or the current one if `afterVersion` is older). */
  nextApply(afterVersion = this.version): Promise<RuntimeConfig> {
    if (this.runtime && this.runtime.version > afterVersion) return Promise.resolve(this.runtime);
    return new Promise((resolve) => this.applyWaiters.push(resolve));
  }

  /** Compile one configuration without listening (what `portico check` needs); returns its runtime with every error. */
  async compileOnly(merged: MergedConfig): Promise<RuntimeConfig> {
    await this.ensureGeneratedDefault();
    return this.apply(merged);
  }

  private async ensureGeneratedDefault(): Promise<GeneratedCertificate> {
    const gen = this.role?.generatedDefault ?? (await generatedDefaultCertificate());
    this.generatedDefault ??= describeCertificate(gen.certPem, gen.keyPem, 'generated default certificate');
    return gen;
  }

  async start(): Promise<void> {
    const gen = await this.ensureGeneratedDefault();
    if (this.config.tracing) this.tracing = await OtelTracing.create(this.config.tracing, this.config.baseDir);
    // logrotate's `postrotate kill -USR1`: the access log reopens its file, as Traefik's does.
    if (this.accessLog) process.on('SIGUSR1', this.reopenAccessLog);
    if (this.config.experimental?.plugins) {
      const loaded = await loadPlugins(this.config.experimental.plugins, this.config.baseDir);
      for (const t of loaded.types) {
        try {
          this.middlewares.register(t);
        } catch (err) {
          this.log.error({ plugin: t.type }, (err as Error).message);
        }
      }
      for (const e of loaded.errors) this.log.error(e);
    }
    // Portico's own routers first, so listeners can answer (ping, 404, default certificate) before providers report.
    this.apply(mergeSnapshots([this.internalProvider.snapshot()]));
    this.log.info(
      { fingerprintSha256: gen.fingerprintSha256, spkiSha256: gen.spkiSha256Base64 },
      'generated default TLS certificate (answers when no configured certificate matches)',
    );

    for (const [name, epConfig] of Object.entries(this.config.entryPoints)) {
      if (isUdpEntryPoint(epConfig)) {
        await this.startUdpEntryPoint(name);
        continue;
      }
      const ctx = this.entryPointContext(name);
      // Redirections are routers of the internal provider now, not a closure of the listener.
      const tcp = new TcpEntryPoint(ctx, this.role?.ticketKeys);
      await tcp.listen();
      this.tcp.set(name, tcp);
      this.metrics.entryPoints.add(name, tcp.load);
      this.log.info({ entryPoint: name, address: epConfig.address, port: tcp.port, tls: ctx.tls }, 'entrypoint listening (TCP)');
      const h3Plan = epConfig.http3?.enabled ? await http3WorkerPlan(this.role, name, epConfig.http3, this.log) : { serve: false as const };
      if (epConfig.http3 && h3Plan.serve) {
        const result = await startHttp3Listener(ctx, tcp.port, this.log, this.role?.statelessResetKey, h3Plan.worker, (phase) => tcp.load.countTimeout(phase));
        if (result.ok) {
          this.h3.set(name, result.listener);
          this.metrics.quic.add(name, result.listener);
          const advertised = epConfig.http3.advertisedPort ?? tcp.port;
          const value = `h3=":${advertised}"; ma=2592000`;
          this.altSvc.set(name, value);
          this.role?.announceAltSvc(name, value);
          this.log.info({ entryPoint: name, port: tcp.port }, 'entrypoint listening (UDP, HTTP/3)');
        } else {
          this.role?.announceAltSvc(name, null);
          this.log.warn(
            { entryPoint: name, reason: result.reason },
            'HTTP/3 is unavailable on this entrypoint; serving HTTP/1.1 and HTTP/2 only and not advertising Alt-Svc',
          );
        }
      }
    }

    // The internal provider first: it reports at once, with the ports the listeners now know.
    const providers: Provider[] = [this.internalProvider, ...this.extraProviders];
    const file = this.config.providers.file;
    if (file)
      providers.push(
        new FileProvider({
          ...file,
          ...(nginxIngressForFiles(this.config) ? { nginxIngress: nginxIngressForFiles(this.config) } : {}),
          log: (level, msg, fields) => this.log[level](fields ?? {}, msg),
        }),
      );
    providers.push(...(await createKubernetesProviders(this.config, this.log, this.role !== undefined && this.role.id !== 1, (ep) => this.port(ep))));
    if (this.acme) providers.push(this.acme);
    this.providers = providers;
    this.aggregator = new ConfigurationAggregator((m) => this.apply(m), 100, providers.length);
    await Promise.all(
      providers.map((p) =>
        p
          .start((s) => this.aggregator!.submit(s))
          .catch((err: Error) => {
            this.log.error({ provider: p.name, err: err.message }, 'provider failed to start; other providers keep working');
          }),
      ),
    );
    this.aggregator.flushIfComplete();
    this.ready = true;
  }

  /** UDP sessions cannot move between processes: with several workers, worker 1 serves the UDP entrypoints (as it does HTTP/3). */
  private async startUdpEntryPoint(name: string): Promise<void> {
    const config = this.config.entryPoints[name]!;
    if (this.role && this.role.id !== 1) return;
    const udp = new UdpEntryPoint({
      name,
      config,
      route: () => this.runtime!.udpRoutes.get(name),
      log: (level, msg, fields) => this.log[level]({ entryPoint: name, ...fields }, msg),
    });
    await udp.listen();
    this.udp.set(name, udp);
    this.metrics.udp.add(name, udp.counters);
    this.log.info({ entryPoint: name, address: config.address, port: udp.port }, 'entrypoint listening (UDP, UDP routers)');
  }

  private entryPointContext(name: string): EntryPointContext {
    const cfg = this.config.entryPoints[name]!;
    const trustedIPs = cfg.forwardedHeaders?.trustedIPs ?? [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's method-shorthand members have a this of their own
    const server = this;
    // Off costs nothing: without metrics.prometheus, accessLog or tracing, nothing is recorded per exchange.
    const requests = this.traefikMetrics ? this.metrics.requests.forEntryPoint(name) : undefined;
    const traefik = this.traefikMetrics?.forEntryPoint(name);
    const accessLog = this.accessLog;
    const tracing = this.tracing;
    return {
      name,
      config: cfg,
      tls: !!cfg.http?.tls,
      routes: () => server.runtime!.routes.get(name)!,
      tlsRuntime: () => server.runtime!.tls,
      tcpRoutes: () => server.runtime!.tcpRoutes.get(name),
      forwarded: {
        insecure: cfg.forwardedHeaders?.insecure ?? false,
        trusted: trustedIPs.length ? new IpRangeSet(trustedIPs) : undefined,
        serverName: hostname(),
      },
      altSvc: () => server.altSvc.get(name),
      tracing,
      exchangeDone: (ex, outcome) => {
        if (ex.middlewareFailure) server.reportMiddlewareFailure(name, ex);
        if (tracing !== undefined) tracing.finish(ex);
        if (requests !== undefined) requests.record(ex.protocol, ex.statusCode ?? 0, (performance.now() - (ex as ExchangeBase).startedAt) / 1000);
        if (traefik !== undefined) traefik.record(ex as ExchangeBase);
        if (accessLog !== undefined) accessLog.record(ex, outcome);
      },
      countMalformed: (kind) => server.metrics.malformed.inc({ entrypoint: name, kind }),
      log: (level, msg, fields) => server.log[level]({ entryPoint: name, ...fields }, msg),
    };
  }

  /** Every load-balancer server's health, for `service_server_up`. */
  private serverHealth(): Array<{ service: string; url: string; up: boolean }> {
    const rt = this.runtime;
    if (!rt) return [];
    const out: Array<{ service: string; url: string; up: boolean }> = [];
    for (const service of Object.keys(rt.config.http.services)) {
      const status = rt.serverStatus(service);
      if (status) for (const [url, s] of Object.entries(status)) out.push({ service, url, up: s === 'UP' });
    }
    return out;
  }

  /** A middleware's code threw during this exchange (it was answered 500 or aborted): say which, and count it. */
  private reportMiddlewareFailure(entryPoint: string, ex: Exchange): void {
    const { middleware, phase, error } = ex.middlewareFailure!;
    // Hooks registered after an await are outside any middleware's synchronous code: name the router instead.
    const label = middleware ?? `unknown middleware of router ${ex.routerName ?? '(none)'}`;
    this.metrics.middlewareFailures.inc({ middleware: label, phase });
    this.log.error(
      {
        entryPoint,
        middleware: label,
        phase,
        router: ex.routerName,
        err: error instanceof Error ? error.message : String(error),
        stack: (error as Error | undefined)?.stack,
      },
      `middleware ${label} failed (${phase}); the request was ${ex.statusCode === 500 ? 'answered 500' : 'aborted'}`,
    );
  }

  /** Compile and swap in a new configuration version. */
  apply(merged: MergedConfig): RuntimeConfig {
    // Routers' tls.certResolver: what to order, and the routers that ask for what no resolver can give (errors, in `portico check` too).
    const resolvers = Object.entries(this.config.certificatesResolvers ?? {});
    const acmeRequests = certificateRequests(
      merged.config,
      new Set(resolvers.map(([name]) => name)),
      new Set(resolvers.filter(([, r]) => r.acme.dnsChallenge).map(([name]) => name)),
    );
    if (acmeRequests.errors.length) merged = { ...merged, errors: [...merged.errors, ...acmeRequests.errors] };
    const rt = buildRuntime(
      merged,
      {
        static: this.config,
        pools: this.pools,
        internal: this.internal,
        middlewares: this.middlewares,
        generatedDefault: this.generatedDefault!,
        alpnChallenges: this.acme?.challenges,
        serverName: hostname(),
        onHealthChange: (service, url, healthy) =>
          this.log[healthy ? 'info' : 'warn'](
            { service, server: url },
            healthy ? 'health check passed: server back in rotation' : 'health check failed: server out of rotation',
          ),
      },
      ++this.version,
    );
    const previous = this.runtime;
    this.runtime = rt;
    previous?.dispose();
    rt.start();
    for (const t of this.tcp.values()) t.refreshTls();
    this.acme?.want(acmeRequests.requests);
    this.metrics.reloads.inc();
    this.traefikMetrics?.configReloaded();
    this.metrics.configErrors.set(rt.errors.length);
    for (const e of rt.errors) this.log.error({ provider: e.provider, source: e.source, field: e.path, line: e.line }, `configuration error: ${e.message}`);
    const enabled = [...rt.routerStatus.values()].filter((s) => s.status === 'enabled').length;
    this.log.info({ configVersion: rt.version, routers: enabled, disabled: rt.routerStatus.size - enabled, errors: rt.errors.length }, 'configuration applied');
    const waiters = this.applyWaiters;
    this.applyWaiters = [];
    for (const w of waiters) w(rt);
    return rt;
  }

  /** Port an entrypoint actually listens on (useful with `:0`): TCP, or UDP for a `/udp` one. */
  port(entryPoint: string): number {
    return this.tcp.get(entryPoint)?.port ?? this.udp.get(entryPoint)?.port ?? 0;
  }

  /** A UDP entrypoint's listener (tests read its sessions). */
  udpEntryPoint(name: string): UdpEntryPoint | undefined {
    return this.udp.get(name);
  }

  async stop(): Promise<void> {
    this.ready = false;
    // Worker 1 draining: the other workers stop advertising HTTP/3 now, not when it has gone.
    for (const name of this.h3.keys()) this.role?.announceAltSvc(name, null);
    this.aggregator?.stop();
    await Promise.all(this.providers.map((p) => p.stop().catch(() => undefined)));
    const graces = Object.entries(this.config.entryPoints).map(([n, c]) => [n, parseDurationMs(c.transport?.lifeCycle?.graceTimeOut ?? 10)] as const);
    const closing = graces.flatMap(([n, grace]) => [this.tcp.get(n)?.close(grace), this.h3.get(n)?.close(grace), this.udp.get(n)?.close(grace)]);
    await Promise.all(closing.filter((c): c is Promise<void> => c !== undefined));
    this.runtime?.dispose();
    process.removeListener('SIGUSR1', this.reopenAccessLog);
    await Promise.all([
      this.pools.closeAll(),
      closeRedisConnections().catch(() => undefined),
      this.accessLog?.close(),
      this.tracing?.shutdown().catch(() => undefined),
    ]);
  }
}
