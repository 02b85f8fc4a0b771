/**
 * One undici Pool per (backend origin, servers transport), kept across
 * configuration reloads so keep-alive connections survive a route edit.
 * Pools no longer referenced after a reload are closed gracefully: undici
 * lets in-flight requests finish first.
 */
import { Pool } from 'undici';
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { ServersTransport } from '../dynamic/model.js';
import { parseDurationMs } from '../config/duration.js';
import { readPem } from '../tls/pem-source.js';
import type { Http2Upstream } from './http2-upstream.js';
import { BackendAdmission } from './backend-admission.js';
import type { UpstreamTimeouts } from './upstream-attempt.js';

/** Bounds that no configuration key sets yet (the server may pass others). */
export interface UpstreamPoolDefaults {
  /** A response the client has not read for this long is given up and its backend connection released (0 = never). */
  clientStallMs: number;
}

/**
 * What a server that passes nothing gets (PorticoServer today: no configuration key sets these yet).
 * Read each time a configuration is built, so a test may lower them for the Portico it starts.
 */
export const DEFAULT_UPSTREAM_POOL_DEFAULTS: UpstreamPoolDefaults = { clientStallMs: 60_000 };

/** Connections per backend when the servers transport does not say (Traefik's maxIdleConnsPerHost). */
const DEFAULT_CONNECTIONS = 256;
/** Time to obtain a backend connection, new or freed (dialTimeout). */
const DEFAULT_DIAL_TIMEOUT_MS = 30_000;

export interface ResolvedTransport {
  name: string;
  options: ServersTransport;
  baseDir: string;
}

export class UpstreamPools {
  private pools = new Map<string, Pool>();
  private generation = new Map<string, number>();
  private currentGeneration = 0;
  private admissions = new Map<string, { admission: BackendAdmission; generation: number }>();

  constructor(private readonly defaults: UpstreamPoolDefaults = DEFAULT_UPSTREAM_POOL_DEFAULTS) {}

  /** The timeouts every upstream client applies for this transport (upstream-attempt.ts). */
  timeouts(transport: ResolvedTransport | undefined): UpstreamTimeouts {
    const header = transport?.options.forwardingTimeouts?.responseHeaderTimeout;
    return { responseHeaderMs: header ? parseDurationMs(header) : 0, clientStallMs: this.defaults.clientStallMs };
  }

  /**
   * The admission gate of one backend under one transport, shared by every
   * client that reaches it (pool, trailer agent, h2 sessions) and kept across
   * reloads like the pools: at most maxIdleConnsPerHost requests in flight, as
   * many again waiting, each at most dialTimeout (the time to obtain a
   * connection, whether dialled or freed).
   */
  admission(origin: string, transport: ResolvedTransport | undefined): BackendAdmission {
    const key = poolKey(origin, transport);
    let entry = this.admissions.get(key);
    if (!entry) {
      const connections = transport?.options.maxIdleConnsPerHost ?? DEFAULT_CONNECTIONS;
      const dial = transport?.options.forwardingTimeouts?.dialTimeout;
      // The wait is always bounded: a dialTimeout of 0 (no connect limit) still queues for the default.
      const queueTimeoutMs = (dial ? parseDurationMs(dial) : 0) || DEFAULT_DIAL_TIMEOUT_MS;
      const admission = new BackendAdmission({ maxActive: connections, maxQueued: connections, queueTimeoutMs });
      entry = { admission, generation: this.currentGeneration };
      this.admissions.set(key, entry);
    }
    entry.generation = this.currentGeneration;
    return entry.admission;
  }

  /** Start a new configuration version: pools not touched during it are closed by `sweep`. */
  beginGeneration(): void {
    this.currentGeneration++;
  }

  get(origin: string, transport: ResolvedTransport | undefined): Pool {
    const key = poolKey(origin, transport);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, poolOptions(origin, transport));
      this.pools.set(key, pool);
    }
    this.generation.set(key, this.currentGeneration);
    return pool;
  }

  private h2 = new Map<string, { upstream: Http2Upstream; generation: number }>();
  private trailerAgents = new Map<string, { agent: http.Agent; generation: number }>();

  /**
   * A node:http keep-alive agent for the same origin and transport, for the few
   * requests undici cannot carry: those that send trailers (trailer-upstream.ts).
   * Asked for when a configuration is built, like the pools, so it lives as long
   * as a server that may use it; an agent holds no socket until a request needs one.
   */
  getTrailerAgent(origin: string, transport: ResolvedTransport | undefined): http.Agent {
    const key = poolKey(origin, transport);
    let entry = this.trailerAgents.get(key);
    if (!entry) {
      const opts = poolOptions(origin, transport);
      const common = { keepAlive: true, maxSockets: opts.connections ?? DEFAULT_CONNECTIONS, timeout: opts.keepAliveTimeout };
      const agent = origin.startsWith('https:') ? new https.Agent({ ...common, ...(opts.connect as ConnectionOptions | undefined) }) : new http.Agent(common);
      entry = { agent, generation: this.currentGeneration };
      this.trailerAgents.set(key, entry);
    }
    entry.generation = this.currentGeneration;
    return entry.agent;
  }

  /** The HTTP/2 session pool for an origin, kept across reloads like the HTTP/1.1 pools. */
  getHttp2(origin: URL, transport: ResolvedTransport | undefined, create: () => Http2Upstream): Http2Upstream {
    const key = poolKey(origin.href, transport);
    let entry = this.h2.get(key);
    if (!entry) {
      entry = { upstream: create(), generation: this.currentGeneration };
      this.h2.set(key, entry);
    }
    entry.generation = this.currentGeneration;
    return entry.upstream;
  }

  /** Close pools the latest configuration no longer uses. */
  sweep(): void {
    for (const [key, gen] of this.generation) {
      if (gen === this.currentGeneration) continue;
      const pool = this.pools.get(key);
      this.pools.delete(key);
      this.generation.delete(key);
      void pool?.close().catch(() => undefined);
    }
    for (const [key, entry] of this.h2) {
      if (entry.generation === this.currentGeneration) continue;
      this.h2.delete(key);
      entry.upstream.close();
    }
    for (const [key, entry] of this.trailerAgents) {
      if (entry.generation === this.currentGeneration) continue;
      this.trailerAgents.delete(key);
      retireAgent(entry.agent);
    }
    // Requests still holding or awaiting a slot keep their gate; it is garbage once they are done.
    for (const [key, entry] of this.admissions) if (entry.generation !== this.currentGeneration) this.admissions.delete(key);
  }

  async closeAll(): Promise<void> {
    for (const e of this.h2.values()) e.upstream.close();
    this.h2.clear();
    for (const e of this.trailerAgents.values()) e.agent.destroy();
    this.trailerAgents.clear();
    this.admissions.clear();
    const all = [...this.pools.values()];
    this.pools.clear();
    this.generation.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}

/** Like a pool's close(): idle sockets go now, a request still under way finishes and its socket closes after. */
function retireAgent(agent: http.Agent): void {
  agent.on('free', (socket) => socket.destroy());
  for (const list of Object.values(agent.freeSockets)) for (const socket of list ?? []) socket.destroy();
}

function poolKey(origin: string, transport: ResolvedTransport | undefined): string {
  return `${origin}|${transport ? transport.name + ':' + JSON.stringify(transport.options) : ''}`;
}

function poolOptions(origin: string, transport: ResolvedTransport | undefined): Pool.Options {
  const t = transport?.options;
  const timeouts = t?.forwardingTimeouts;
  const opts: Pool.Options = {
    connections: t?.maxIdleConnsPerHost ?? DEFAULT_CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: timeouts?.idleConnTimeout ? parseDurationMs(timeouts.idleConnTimeout) : 90_000,
    keepAliveMaxTimeout: 10 * 60_000,
    // responseHeaderTimeout is the attempt's, the same for every upstream client (upstream-attempt.ts).
    headersTimeout: 0,
    // Long downloads and server-sent events must not be cut: the client's idle timeout governs instead.
    bodyTimeout: 0,
    connectTimeout: timeouts?.dialTimeout ? parseDurationMs(timeouts.dialTimeout) : DEFAULT_DIAL_TIMEOUT_MS,
    maxHeaderSize: 64 * 1024,
    strictContentLength: true,
  };
  if (origin.startsWith('https:') && transport) {
    const base = transport.baseDir;
    opts.connect = {
      rejectUnauthorized: !t?.insecureSkipVerify,
      servername: t?.serverName,
      ca: t?.rootCAs?.map((ca) => readPem(ca, base)),
      cert: t?.certificates?.map((c) => readPem(c.certFile, base)),
      key: t?.certificates?.map((c) => readPem(c.keyFile, base)),
    };
  }
  return opts;
}
