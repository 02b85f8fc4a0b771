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
import { AccessLog } from '../observability/access-log.js';
import { generatedDefaultCertificate, type GeneratedCertificate } from '../tls/generated-default-certificate.js';
import { describeCertificate, type StoredCertificate } from '../tls/sni-certificate-store.js';
import { TcpEntryPoint } from '../entrypoint/tcp-entrypoint.js';
import type { EntryPointContext } from '../entrypoint/entrypoint-context.js';
import { IpRangeSet } from '../net/ip-range.js';
import { parseDurationMs } from '../config/duration.js';
import { parseListenAddress } from '../config/listen-address.js';
import { MiddlewareRegistry } from '../middleware/registry.js';
import { loadPlugins } from '../middleware/plugin-loader.js';
import { closeRedisConnections } from '../middleware/rate-limit/redis-token-buckets.js';
import type { ExchangeBase } from '../exchange/exchange-base.js';
import type { Exchange } from '../exchange/exchange.js';
import { startHttp3Listener, type Http3Listener } from '../entrypoint/http3-listener.js';
import { createKubernetesProviders } from './kubernetes-providers.js';
import type { WorkerRole } from './worker-role.js';
import { AggregatorRegistry } from 'prom-client';

export class PorticoServer {
  private runtime: RuntimeConfig | undefined;
  private version = 0;
  private readonly pools = new UpstreamPools();
  readonly metrics = new PorticoMetrics();
  private readonly accessLog: AccessLog | undefined;
  private readonly tcp = new Map<string, TcpEntryPoint>();
  private readonly h3 = new Map<string, Http3Listener>();
  private readonly altSvc = new Map<string, string>();
  private providers: Provider[] = [];
  private aggregator: ConfigurationAggregator | undefined;
  private generatedDefault: StoredCertificate | undefined;
  private readonly middlewares = new MiddlewareRegistry();
  private ready = false;
  private readonly internal;
  /** Ping, API, metrics and entrypoint redirections, as routers of the `internal` provider. */
  private readonly internalProvider: InternalProvider;
  /** Resolves each time a configuration version is applied (tests and `check` wait on it). */
  private applyWaiters: Array<(rt: RuntimeConfig) => void> = [];

  constructor(
    readonly config: StaticConfig,
    readonly log: Logger,
    private readonly extraProviders: Provider[] = [],
    /** Set when this process is one worker of several (`workers: N`); see worker-role.ts. */
    private readonly role?: WorkerRole,
  ) {
    this.accessLog = config.accessLog ? new AccessLog(config.accessLog) : undefined;
    const registry = this.metrics.registry;
    this.internal = createInternalServices({
      metrics: role ? () => role.clusterMetrics() : async () => ({ text: await registry.metrics(), contentType: registry.contentType }),
      runtime: () => this.runtime,
      static: config,
      isReady: () => this.ready,
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
    this.log.info({ fingerprintSha256: gen.fingerprintSha256, spkiSha256: gen.spkiSha256Base64 }, 'generated default TLS certificate (answers when no configured certificate matches)');

    for (const [name, epConfig] of Object.entries(this.config.entryPoints)) {
      const ctx = this.entryPointContext(name);
      // Redirections are routers of the internal provider now, not a closure of the listener.
      const tcp = new TcpEntryPoint(ctx, this.role?.ticketKeys);
      await tcp.listen();
      this.tcp.set(name, tcp);
      this.metrics.entryPoints.add(name, tcp.load);
      this.log.info({ entryPoint: name, address: epConfig.address, port: tcp.port, tls: ctx.tls }, 'entrypoint listening (TCP)');
      if (epConfig.http3?.enabled && (!this.role || this.role.id === 1)) {
        const result = await startHttp3Listener(ctx, tcp.port, this.log, this.role?.statelessResetKey);
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
          this.log.warn({ entryPoint: name, reason: result.reason }, 'HTTP/3 is unavailable on this entrypoint; serving HTTP/1.1 and HTTP/2 only and not advertising Alt-Svc');
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
          log: (level, msg, fields) => this.log[level](fields ?? {}, msg),
        }),
      );
    providers.push(...(await createKubernetesProviders(this.config, this.log, this.role !== undefined && this.role.id !== 1)));
    this.providers = providers;
    this.aggregator = new ConfigurationAggregator((m) => this.apply(m), 100, providers.length);
    await Promise.all(
      providers.map((p) =>
        p.start((s) => this.aggregator!.submit(s)).catch((err: Error) => {
          this.log.error({ provider: p.name, err: err.message }, 'provider failed to start; other providers keep working');
        }),
      ),
    );
    this.aggregator.flushIfComplete();
    this.ready = true;
  }

  private entryPointContext(name: string): EntryPointContext {
    const cfg = this.config.entryPoints[name]!;
    const trustedIPs = cfg.forwardedHeaders?.trustedIPs ?? [];
    const server = this;
    const requests = this.metrics.requests.forEntryPoint(name);
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
      exchangeDone: (ex, outcome) => {
        if (ex.middlewareFailure) server.reportMiddlewareFailure(name, ex);
        requests.record(ex.protocol, ex.statusCode ?? 0, (performance.now() - (ex as ExchangeBase).startedAt) / 1000);
        server.accessLog?.record(ex, outcome);
      },
      countMalformed: (kind) => server.metrics.malformed.inc({ entrypoint: name, kind }),
      log: (level, msg, fields) => server.log[level]({ entryPoint: name, ...fields }, msg),
    };
  }

  /** A middleware's code threw during this exchange (it was answered 500 or aborted): say which, and count it. */
  private reportMiddlewareFailure(entryPoint: string, ex: Exchange): void {
    const { middleware, phase, error } = ex.middlewareFailure!;
    // Hooks registered after an await are outside any middleware's synchronous code: name the router instead.
    const label = middleware ?? `unknown middleware of router ${ex.routerName ?? '(none)'}`;
    this.metrics.middlewareFailures.inc({ middleware: label, phase });
    this.log.error(
      { entryPoint, middleware: label, phase, router: ex.routerName, err: error instanceof Error ? error.message : String(error), stack: (error as Error | undefined)?.stack },
      `middleware ${label} failed (${phase}); the request was ${ex.statusCode === 500 ? 'answered 500' : 'aborted'}`,
    );
  }

  /** Compile and swap in a new configuration version. */
  apply(merged: MergedConfig): RuntimeConfig {
    const rt = buildRuntime(
      merged,
      {
        static: this.config,
        pools: this.pools,
        internal: this.internal,
        middlewares: this.middlewares,
        generatedDefault: this.generatedDefault!,
        serverName: hostname(),
        onHealthChange: (service, url, healthy) =>
          this.log[healthy ? 'info' : 'warn']({ service, server: url }, healthy ? 'health check passed: server back in rotation' : 'health check failed: server out of rotation'),
      },
      ++this.version,
    );
    const previous = this.runtime;
    this.runtime = rt;
    previous?.dispose();
    rt.start();
    for (const t of this.tcp.values()) t.refreshTls();
    this.metrics.reloads.inc();
    this.metrics.configErrors.set(rt.errors.length);
    for (const e of rt.errors)
      this.log.error({ provider: e.provider, source: e.source, field: e.path, line: e.line }, `configuration error: ${e.message}`);
    const enabled = [...rt.routerStatus.values()].filter((s) => s.status === 'enabled').length;
    this.log.info({ configVersion: rt.version, routers: enabled, disabled: rt.routerStatus.size - enabled, errors: rt.errors.length }, 'configuration applied');
    const waiters = this.applyWaiters;
    this.applyWaiters = [];
    for (const w of waiters) w(rt);
    return rt;
  }

  /** Port a TCP entrypoint actually listens on (useful with `:0`). */
  port(entryPoint: string): number {
    return this.tcp.get(entryPoint)?.port ?? 0;
  }

  async stop(): Promise<void> {
    this.ready = false;
    // Worker 1 draining: the other workers stop advertising HTTP/3 now, not when it has gone.
    for (const name of this.h3.keys()) this.role?.announceAltSvc(name, null);
    this.aggregator?.stop();
    await Promise.all(this.providers.map((p) => p.stop().catch(() => undefined)));
    const graces = Object.entries(this.config.entryPoints).map(([n, c]) => [n, parseDurationMs(c.transport?.lifeCycle?.graceTimeOut ?? 10)] as const);
    await Promise.all(
      graces.flatMap(([n, grace]) => [this.tcp.get(n)?.close(grace), this.h3.get(n)?.close(grace)]),
    );
    this.runtime?.dispose();
    await Promise.all([this.pools.closeAll(), closeRedisConnections().catch(() => undefined)]);
  }
}
