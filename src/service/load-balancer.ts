/**
 * `loadBalancer` services: smooth weighted round robin (or `p2c`) over
 * servers, each reached through a pooled upstream. A server that refused a
 * connection is skipped for a short while (or as `passiveHealthCheck` says),
 * an active health check takes servers out until they answer again, and a
 * sticky cookie keeps a client on the server it was first sent to.
 */
import type { Handler } from '../exchange/exchange.js';
import type { LoadBalancerService } from '../dynamic/model.js';
import { SmoothWeightedRoundRobin } from './smooth-weighted-round-robin.js';
import { PoolUpstream } from './pool-upstream.js';
import { announcedTrailers, TrailerUpstream } from './trailer-upstream.js';
import { Http2Upstream } from './http2-upstream.js';
import { respondError } from '../exchange/http-error.js';
import type { UpstreamPools, ResolvedTransport } from './upstream-pools.js';
import type { Exchange } from '../exchange/exchange.js';
import type { ForwardOptions, UpstreamClient, UpstreamFailure } from './upstream-client.js';
import { HealthChecker } from './health-check.js';
import type { BackendAdmission } from './backend-admission.js';
import { upstreamOverload } from '../observability/upstream-overload-metrics.js';
import { Agent } from 'undici';
import { StickySessions } from './sticky-cookie.js';
import { PowerOfTwoChoices } from './power-of-two-choices.js';
import { PassiveHealth } from './passive-health.js';
import { ServiceHealth } from './service-health.js';

export interface UpstreamServer {
  url: URL;
  /** The server's URL as configured (`url.href` once, not per request): the access log's ServiceURL. */
  href: string;
  origin: string;
  /** Send one exchange to this server (HTTP/1.1 pool, or HTTP/2 session pool). */
  forward(ex: Exchange, opts: ForwardOptions): Promise<UpstreamFailure | undefined>;
  /** Bounds the requests in flight to this server and those waiting for a connection. */
  admission: BackendAdmission;
  /** How exchanges are forwarded to this server: fixed per configuration version, so built once, not per request. */
  forwardOptions: ForwardOptions;
  /** Until this time (ms since epoch) the server is skipped after connection failures. */
  downUntil: number;
  healthy: boolean;
  /** Requests forwarded and not finished (the p2c strategy compares them). */
  inflight: number;
  /** Recent failures, for passiveHealthCheck. */
  failures?: number[];
}

const PASSIVE_DOWN_MS = 2_000;

export interface LoadBalancerDeps {
  /** Qualified service name (the default sticky cookie name derives from it). */
  serviceName: string;
  pools: UpstreamPools;
  transport: ResolvedTransport | undefined;
  serverName: string;
  /** Told when an active health check takes a server out of rotation or back in. */
  onHealthChange?: (url: string, healthy: boolean) => void;
  /** TLS options for WebSocket upgrades to https backends (same trust as the pool). */
  upgradeTls?: import('node:tls').ConnectionOptions;
}

export function buildLoadBalancer(
  service: LoadBalancerService,
  deps: LoadBalancerDeps,
): { handler: Handler; servers: UpstreamServer[]; healthCheck: HealthChecker | undefined; health: ServiceHealth | undefined } {
  const passHostHeader = service.passHostHeader ?? true;
  const servers: Array<{ value: UpstreamServer; weight: number }> = service.servers.map((s) => {
    const url = new URL(s.url);
    const h2 = url.protocol === 'h2c:' || deps.transport?.options.http2 === true;
    const origin = h2 ? url.href.replace(/^h2c:/, 'http:') : url.origin;
    let forward: UpstreamServer['forward'];
    const timeouts = deps.pools.timeouts(deps.transport);
    if (h2) {
      const upstream: UpstreamClient = deps.pools.getHttp2(new URL(origin), deps.transport, () => new Http2Upstream(url, deps.upgradeTls, timeouts));
      forward = (ex, opts) => upstream.forward(ex, opts);
    } else {
      const pooled: UpstreamClient = new PoolUpstream(deps.pools.get(origin, deps.transport), timeouts, deps.transport?.options.serverName);
      // undici cannot send request trailers; the rare request that announces them takes node:http.
      const withTrailers: UpstreamClient = new TrailerUpstream(url, deps.pools.getTrailerAgent(origin, deps.transport), timeouts);
      forward = (ex, opts) => (announcedTrailers(ex) === undefined ? pooled : withTrailers).forward(ex, opts);
    }
    const serverUrl = h2 ? new URL(origin) : url;
    return {
      weight: s.weight ?? 1,
      value: {
        url: serverUrl,
        href: s.url,
        origin,
        forward,
        admission: deps.pools.admission(origin, deps.transport),
        forwardOptions: {
          passHostHeader,
          upstreamHost: url.host,
          serverName: deps.serverName,
          upgradeTarget: { url: serverUrl, tls: deps.upgradeTls },
        },
        downUntil: 0,
        healthy: true,
        inflight: 0,
      },
    };
  });
  const list = servers.map((s) => s.value);
  const rr = new SmoothWeightedRoundRobin(servers);
  const p2c = service.strategy === 'p2c' ? new PowerOfTwoChoices(list) : undefined;
  const pick = p2c ? (usable: (s: UpstreamServer) => boolean) => p2c.next(usable) : (usable: (s: UpstreamServer) => boolean) => rr.next(usable);
  const usable = (s: UpstreamServer) => s.healthy && s.downUntil <= Date.now();
  const healthy = (s: UpstreamServer) => s.healthy;
  const cookie = service.sticky?.cookie !== undefined ? (service.sticky.cookie ?? {}) : undefined;
  const sticky = cookie
    ? new StickySessions(
        cookie,
        deps.serviceName,
        list.map((s, i) => ({ member: s, name: service.servers[i]!.url })),
      )
    : undefined;
  const health = service.healthCheck ? new ServiceHealth(true) : undefined;
  const healthChanged = (server: UpstreamServer | { url: URL }, ok: boolean) => {
    deps.onHealthChange?.(server.url.href, ok);
    health?.set(list.some(healthy));
  };
  const passive =
    service.passiveHealthCheck !== undefined
      ? new PassiveHealth(service.passiveHealthCheck ?? {}, service.healthCheck !== undefined, (s) => healthChanged(s, false))
      : undefined;
  // Base path of a server URL (`http://b:80/base`) is prefixed to the request path, as Traefik does.
  const serviceName = deps.serviceName;
  const handler: Handler = async (ex) => {
    ex.serviceName = serviceName;
    if (ex.trace === undefined) return balance(ex);
    const span = ex.trace.service(serviceName);
    try {
      await balance(ex);
    } finally {
      span.end(ex.statusCode);
    }
  };
  const balance = async (ex: Exchange): Promise<void> => {
    let server = sticky?.stuck(ex, usable);
    // A retried request goes elsewhere than the servers that failed it, while there is anywhere else.
    const failedBefore = ex.upstreamRetry?.failedServers;
    if (server === undefined) {
      // Without passiveHealthCheck, a server only skipped for a refused connection is still better than a 503.
      server =
        (failedBefore !== undefined && failedBefore.size > 0 ? pick((s) => usable(s) && !failedBefore.has(s.origin)) : undefined) ??
        pick(usable) ??
        (passive ? undefined : pick(healthy));
      if (!server) {
        respondError(ex, 503);
        return;
      }
      sticky?.stick(ex, server);
    }
    if (server.url.pathname !== '/' && server.url.pathname !== '') ex.url = server.url.pathname.replace(/\/$/, '') + ex.url;
    ex.serverUrl = server.href;
    // A WebSocket tunnel has a connection of its own for its whole life, not one of the pool's.
    if (ex.tunnel !== undefined) return void (await server.forward(ex, server.forwardOptions));
    const admitted = server.admission.enter(ex);
    if (admitted !== true) {
      const outcome = await admitted;
      if (outcome !== true) {
        if (outcome !== 'client-gone') upstreamOverload.shed(ex.entryPoint, outcome);
        respondError(ex, 503);
        return;
      }
    }
    server.inflight++;
    const upstreamSpan = ex.trace?.upstream(server.href, ex.method, ex.requestHeaders);
    try {
      const failure = await server.forward(ex, server.forwardOptions);
      upstreamSpan?.end(ex.originStatus ?? 502);
      if (failure !== undefined) failedBefore?.add(server.origin);
      if (passive) passive.record(server, failure === 'connect' || failure === 'timeout' || failure === 'reset' || (ex.statusCode ?? 0) >= 500);
      else if (failure === 'connect') server.downUntil = Date.now() + PASSIVE_DOWN_MS;
    } finally {
      server.inflight--;
      server.admission.leave();
    }
  };
  let healthCheck: HealthChecker | undefined;
  if (service.healthCheck && list.length) {
    const plain = new Agent({
      connect: { rejectUnauthorized: !deps.transport?.options.insecureSkipVerify, ca: deps.upgradeTls?.ca, servername: deps.upgradeTls?.servername },
    });
    healthCheck = new HealthChecker(service.healthCheck, list, plain, healthChanged);
  }
  return { handler, servers: list, healthCheck, health };
}
