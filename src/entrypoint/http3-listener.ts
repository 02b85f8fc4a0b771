/**
 * The UDP side of an entrypoint: a QUIC transport listening on the same port
 * number as TCP, and per connection an HTTP/3 session (src/http3) whose
 * requests the bridge runs through the shared pipeline. Certificates are
 * chosen per connection from the current TLS runtime, exactly as on TCP.
 * Closing sends GOAWAY, lets in-flight requests finish within the grace
 * period, then closes what remains.
 */
import type { QuicListenerStats } from '../observability/quic-listener-metrics.js';
import { mkdirSync } from 'node:fs';
import type { EntryPointContext } from './entrypoint-context.js';
import type { Logger } from '../observability/logger.js';
import { parseListenAddress } from '../config/listen-address.js';
import { readStatelessResetKey } from '../config/stateless-reset-key.js';
import { Http3ServerSession } from '../http3/server-session.js';
import { Http3RequestBridge } from './http3-request-bridge.js';
import { Http3RequestDeadlines } from './http3-request-deadlines.js';
import { respondingTimeouts } from './responding-timeouts.js';
import type { DeadlinePhase } from './open-connections.js';
import { RandomConnectionIdGenerator, type ConnectionIdGenerator } from '../quic/connection-id.js';
import { quicLbGeneratorFromEnv } from '../quic/quic-lb-connection-id.js';
import { WorkerConnectionIdGenerator } from '../quic/worker-connection-id.js';
import type { WorkerDatagramForwarder } from '../quic/udp/worker-forwarder.js';
import type { QuicConnection, QuicListener, QuicTransport } from '../quic/transport.js';
import { quicheTransport } from '../quic/quiche/quiche-transport.js';
import { porticoTransport } from '../quic/udp/portico-transport.js';
import { quicTlsPolicy, quicheCannotApply } from './http3-tls-policy.js';
import { quicImplementation, type QuicImplementation } from '../config/quic-implementation.js';

export interface Http3Listener extends QuicListenerStats {
  close(graceMs: number): Promise<void>;
}

/** `http3.quic`: portico (our own QUIC stack, src/quic/udp, the default) or quiche (the native binding, loaded only when chosen). */
const TRANSPORTS: Record<QuicImplementation, QuicTransport> = { quiche: quicheTransport, portico: porticoTransport };

function connectionIds(ep: EntryPointContext): ConnectionIdGenerator {
  const c = ep.config.http3?.connectionIds;
  if (c?.type === 'quic-lb')
    return quicLbGeneratorFromEnv({ serverIdEnv: c.serverIdEnv, serverId: c.serverId, configRotation: c.configRotation, nonceLength: c.nonceLength });
  return new RandomConnectionIdGenerator(16);
}

export async function startHttp3Listener(
  ep: EntryPointContext,
  port: number,
  log: Logger,
  /** Used when the entrypoint configures no key: a multi-process primary's, so a restarted worker 1 still resets its predecessor's connections. */
  defaultStatelessResetKey?: Buffer,
  /** HTTP/3 in every worker: this worker's id (stamped in its connection IDs) and the way to the others. */
  worker?: { id: number; forwarder: WorkerDatagramForwarder },
  /** A request cut by a deadline (readTimeout, writeTimeout, writeStallTimeout), for the entrypoint's metrics. */
  timedOut: (phase: DeadlinePhase) => void = () => undefined,
): Promise<{ ok: true; listener: Http3Listener } | { ok: false; reason: string }> {
  const h3 = ep.config.http3 ?? {};
  const transport = TRANSPORTS[quicImplementation(h3)] as QuicTransport | undefined;
  if (!transport) return { ok: false, reason: `unknown QUIC implementation "${h3.quic}" (available: ${Object.keys(TRANSPORTS).join(', ')})` };
  let ids: ConnectionIdGenerator;
  let statelessResetKey: Buffer | undefined;
  try {
    ids = connectionIds(ep);
    if (worker) ids = new WorkerConnectionIdGenerator(ids, worker.id);
    statelessResetKey = readStatelessResetKey(h3) ?? defaultStatelessResetKey;
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const keylogFile = h3.keylogFile ?? process.env.SSLKEYLOGFILE;
  // A key the transport cannot honour is refused by name, not ignored.
  if (h3.earlyData && transport !== porticoTransport)
    return { ok: false, reason: `http3.earlyData needs quic: portico (the ${transport.name} transport accepts no 0-RTT)` };
  if (h3.qlogDir) mkdirSync(h3.qlogDir, { recursive: true });
  const sessions = new Map<QuicConnection, { session: Http3ServerSession; bridge: Http3RequestBridge }>();
  const timeouts = respondingTimeouts(ep.config.transport);
  const deadlines = new Http3RequestDeadlines({ ...timeouts, sweepMs: 1000 }, timedOut);
  const { host } = parseListenAddress(ep.config.address);
  let listener: QuicListener;
  try {
    listener = await transport.listen({
      host,
      port,
      alpn: ['h3'],
      connectionIds: ids,
      idleTimeoutMs: timeouts.idleTimeoutMs,
      maxConnections: ep.config.transport?.maxConnections ?? 10_000,
      maxStreamsBidi: ep.config.transport?.maxConcurrentStreams ?? 250,
      keylogFile,
      qlogDir: h3.qlogDir,
      earlyData: h3.earlyData === true,
      // The SETTINGS our HTTP/3 session sends: 0-RTT relies on them (RFC 9114 §7.2.4.2).
      earlyDataContext: Buffer.from(`h3 maxFieldSectionSize=${ep.config.transport?.maxHeaderBytes ?? 64 * 1024}`),
      reusePort: worker !== undefined,
      workers: worker && ids instanceof WorkerConnectionIdGenerator ? { id: worker.id, cidOffset: ids.offset, forwarder: worker.forwarder } : undefined,
      retry: h3.retry === 'always' || h3.retry === true ? true : h3.retry === 'auto' ? 'auto' : false,
      statelessResetKey,
      selectCertificate: (serverName) => {
        const sel = ep.tlsRuntime().select(serverName);
        if (sel.refused) return undefined;
        const tls = quicTlsPolicy(sel.options);
        const cannot = transport === quicheTransport ? quicheCannotApply(tls) : undefined;
        if (cannot) {
          ep.log('debug', `HTTP/3 handshake for "${serverName ?? ''}" refused: ${cannot}`, { entryPoint: ep.name });
          return undefined;
        }
        return { certPem: sel.certificate.certPem, keyPem: sel.certificate.keyPem, fingerprint: sel.certificate.fingerprintSha256, tls };
      },
      onDrop: (reason) => ep.countMalformed(`quic-${reason}`),
      log: (level, msg, fields) => ep.log(level, msg, fields),
      onConnection: (conn) => {
        const sel = ep.tlsRuntime().select(conn.serverName);
        const bridge = new Http3RequestBridge(ep, conn, {
          peer: conn,
          tls: conn,
          localPort: conn.localPort,
          serverName: conn.serverName,
          optionsName: sel.options.name,
        });
        const session = new Http3ServerSession(conn, bridge, { maxFieldSectionSize: ep.config.transport?.maxHeaderBytes ?? 64 * 1024 });
        bridge.session = session;
        if (h3.qlogDir) traceHttp3(conn, bridge, session);
        sessions.set(conn, { session, bridge });
        deadlines.add(bridge);
        conn.events = {
          established: () => session.start(),
          handshakeComplete: () => bridge.handshakeComplete(),
          streamData: (id, data, fin) => session.onStreamData(id, data, fin),
          streamReset: (id, code) => session.onStreamReset(id, code),
          streamStopSending: (id, code) => session.onStreamStopSending(id, code),
          closed: () => {
            bridge.connectionClosed();
            deadlines.delete(bridge);
            sessions.delete(conn);
          },
        };
      },
    });
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (keylogFile) log.warn({ entryPoint: ep.name, keylogFile }, 'QUIC key logging is on: anyone with this file can decrypt captured traffic');
  return {
    ok: true,
    listener: {
      counters: listener.counters,
      openConnections: () => listener.connections.size,
      async close(graceMs: number) {
        const drained = [...sessions.entries()].map(
          ([conn, { session, bridge }]) =>
            new Promise<void>((resolve) => {
              const events = conn.events;
              if (events) {
                const closed = events.closed;
                events.closed = (r) => {
                  closed(r);
                  resolve();
                };
              }
              // The last request in flight finished after our GOAWAY: close once its response has left.
              bridge.drained = () => closeWhenDelivered(conn, bridge.endedDuringShutdown, performance.now() + graceMs);
              session.goaway();
              if (session.activeRequestCount === 0) conn.close(0, 'shutdown');
            }),
        );
        await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, graceMs).unref())]);
        deadlines.stop();
        await listener.close();
      },
    },
  };
}

/**
 * Closes `conn` once the responses on `streams` are out: the transport holds
 * no more of them (for our stack that means acknowledged; the quiche
 * binding says only what it has not taken yet), then a few round trips for
 * what is in flight and its acknowledgement — a CONNECTION_CLOSE right away
 * would cut a response the transport has not sent. Never later than
 * `deadline` (the grace period).
 */
function closeWhenDelivered(conn: QuicConnection, streams: number[], deadline: number): void {
  const check = () => {
    if (performance.now() < deadline && streams.some((id) => conn.bufferedAmount(id) > 0)) {
      setTimeout(check, 10);
      return;
    }
    const linger = Math.min(50 + 3 * conn.stats().rttMs, Math.max(0, deadline - performance.now()));
    setTimeout(() => conn.close(0, 'shutdown'), linger);
  };
  // The session reports `drained` while the last response ends, before its exchange is recorded as ended.
  setImmediate(check);
}

/**
 * qlog HTTP/3 events for one connection (only when qlogDir is set): frames
 * parsed from the client and created by us, and request stream states.
 */
function traceHttp3(conn: QuicConnection, bridge: Http3RequestBridge, session: Http3ServerSession): void {
  const q = (name: string, data: Record<string, unknown>) => conn.qlog('http', name, data);
  const request = bridge.request.bind(bridge);
  bridge.request = (id, req) => {
    q('frame_parsed', {
      stream_id: id,
      frame: {
        frame_type: 'headers',
        headers: [[':method', req.method], [':path', req.path ?? ''], [':authority', req.authority ?? ''], ...req.headers].map(([name, value]) => ({
          name,
          value,
        })),
      },
    });
    q('stream_state_updated', { stream_id: id, stream_type: 'request', new: 'open' });
    request(id, req);
  };
  const data = bridge.data.bind(bridge);
  bridge.data = (id, chunk) => {
    q('frame_parsed', { stream_id: id, frame: { frame_type: 'data' }, length: chunk.length });
    data(id, chunk);
  };
  const end = bridge.end.bind(bridge);
  bridge.end = (id, trailers) => {
    q('stream_state_updated', { stream_id: id, new: 'half_closed_remote', trailers: trailers?.length ?? 0 });
    end(id, trailers);
  };
  const aborted = bridge.aborted.bind(bridge);
  bridge.aborted = (id, code) => {
    q('stream_state_updated', { stream_id: id, new: 'reset', error_code: code });
    aborted(id, code);
  };
  const sendHeaders = session.sendHeaders.bind(session);
  session.sendHeaders = (id, status, headers, endStream) => {
    q('frame_created', {
      stream_id: id,
      frame: { frame_type: 'headers', headers: [{ name: ':status', value: String(status) }, ...[...headers].map(([name, value]) => ({ name, value }))] },
    });
    sendHeaders(id, status, headers, endStream);
  };
  const sendData = session.sendData.bind(session);
  session.sendData = (id, chunk, endStream) => {
    if (chunk.length) q('frame_created', { stream_id: id, frame: { frame_type: 'data' }, length: chunk.length });
    if (endStream) q('stream_state_updated', { stream_id: id, new: 'closed' });
    sendData(id, chunk, endStream);
  };
}
