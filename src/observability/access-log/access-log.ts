/**
 * One line per finished exchange, as Traefik writes it: its JSON format (the
 * same field names, durations in nanoseconds), its `common` format and
 * `genericCLF`; with its filters, field and header selection, buffering and
 * reopening for log rotation (see the files beside this one). HTTP/3 requests
 * are logged like the others (`RequestProtocol: HTTP/3.0`).
 */
import { X509Certificate } from 'node:crypto';
import type { AccessLogConfig } from '../../config/static-config.js';
import type { Exchange } from '../../exchange/exchange.js';
import type { ExchangeBase } from '../../exchange/exchange-base.js';
import { accessLogFilter, type AccessLogFilter } from './access-log-filter.js';
import { AccessLogFields, canonicalHeaderName } from './access-log-fields.js';
import { AccessLogOutput } from './access-log-output.js';

type Fields = Record<string, string | number | undefined>;

export class AccessLog {
  private readonly output: AccessLogOutput;
  private readonly filter: AccessLogFilter | undefined;
  private readonly fields: AccessLogFields;
  private readonly keepsAll: boolean;
  private readonly addInternals: boolean;
  /** Traefik's RequestCount: exchanges seen by this process, logged or not. */
  private count = 0;
  /** Server URL → its host:port (ServiceAddr), parsed once per server. */
  private readonly serviceAddrs = new Map<string, string | undefined>();

  constructor(
    private readonly cfg: AccessLogConfig,
    onError: (err: Error) => void = () => undefined,
  ) {
    this.output = new AccessLogOutput(cfg.filePath, cfg.bufferingSize ?? 0, onError);
    this.filter = accessLogFilter(cfg.filters);
    this.fields = new AccessLogFields(cfg.fields);
    this.keepsAll = cfg.fields?.defaultMode !== 'drop' && Object.keys(cfg.fields?.names ?? {}).length === 0;
    this.addInternals = cfg.addInternals === true;
  }

  record(exchange: Exchange, outcome: 'ok' | 'aborted'): void {
    const ex = exchange as ExchangeBase;
    const requestCount = ++this.count;
    if (!this.addInternals && ex.routerName?.endsWith('@internal')) return;
    const durationMs = performance.now() - ex.startedAt;
    const status = ex.statusCode ?? 0;
    if (this.filter !== undefined && !this.filter(status, ex.retryAttempts, durationMs)) return;
    const f = this.lineFields(ex, outcome, requestCount, durationMs);
    if (this.cfg.format === 'json') {
      this.output.write(this.json(f));
      return;
    }
    // The common formats are fixed columns: field selection does not apply, as in Traefik.
    const time = commonLogTime(new Date(Date.now() - durationMs));
    let line = `${f.ClientHost} - ${dash(f.ClientUsername)} [${time}] "${f.RequestMethod} ${f.RequestPath} ${f.RequestProtocol}" ${status} ${dash(f.DownstreamContentSize)} ${quoted(f['request_Referer'] ?? header(ex, 'referer'))} ${quoted(f['request_User-Agent'] ?? header(ex, 'user-agent'))}`;
    if (this.cfg.format === 'common') line += ` ${requestCount} ${quoted(f.RouterName)} ${quoted(f.ServiceURL)} ${Math.round(durationMs)}ms`;
    this.output.write(line + '\n');
  }

  private lineFields(ex: ExchangeBase, outcome: 'ok' | 'aborted', requestCount: number, durationMs: number): Fields {
    const start = new Date(Date.now() - durationMs);
    const facts = ex.facts;
    const authority = ex.authority;
    const colon = authority.lastIndexOf(':');
    const hasPort = colon > authority.lastIndexOf(']');
    const originMs = ex.originEndedAt > ex.originStartedAt && ex.originStartedAt > 0 ? ex.originEndedAt - ex.originStartedAt : undefined;
    const durationNs = Math.round(durationMs * 1e6);
    const originNs = originMs !== undefined ? Math.round(originMs * 1e6) : undefined;
    const server = ex.serverUrl;
    const length = facts.headers['content-length'];
    const clientHost = facts.clientIp;
    const f: Fields = {
      ClientAddr: ex.remoteAddress.includes(':') ? `[${ex.remoteAddress}]:${ex.remotePort}` : `${ex.remoteAddress}:${ex.remotePort}`,
      ClientHost: clientHost,
      ClientPort: String(ex.remotePort),
      ClientUsername: '-',
      DownstreamContentSize: ex.downstreamBytes(),
      DownstreamStatus: ex.statusCode ?? 0,
      Duration: durationNs,
      OriginContentSize: server !== undefined ? ex.originBytes : undefined,
      OriginDuration: originNs,
      OriginStatus: ex.originStatus,
      Overhead: originNs !== undefined ? durationNs - originNs : durationNs,
      RequestAddr: authority,
      RequestContentSize: typeof length === 'string' ? Number(length) || 0 : 0,
      RequestCount: requestCount,
      RequestHost: hasPort ? authority.slice(0, colon) : authority,
      RequestMethod: facts.method,
      RequestPath: this.fields.keepQuery && facts.query !== '' ? `${facts.path}?${facts.query}` : facts.path,
      RequestPort: hasPort ? authority.slice(colon + 1) : '-',
      RequestProtocol: ex.protocol,
      RequestScheme: ex.scheme,
      RetryAttempts: ex.retryAttempts,
      RouterName: ex.routerName,
      ServiceAddr: server !== undefined ? this.serviceAddr(server) : undefined,
      ServiceName: ex.serviceName,
      ServiceURL: server,
      StartLocal: localIso(start),
      StartUTC: start.toISOString(),
      TLSCipher: ex.tls?.cipher,
      TLSVersion: ex.tls?.version,
      TraceId: ex.trace?.traceId,
      SpanId: ex.trace?.spanId,
      entryPointName: ex.entryPoint,
    };
    const downstream = f.DownstreamContentSize as number;
    if (server !== undefined && downstream !== 0 && downstream !== ex.originBytes) f.GzipRatio = ex.originBytes / downstream;
    const peer = ex.tls?.peerCertificate;
    if (peer !== undefined) f.TLSClientSubject = clientSubject(peer);
    // Portico's own: the client left before the response was complete.
    if (outcome === 'aborted') f.Aborted = 'true';
    if (!this.fields.noHeaders) {
      const headers = facts.headers;
      for (const name in headers) {
        const mode = this.fields.header(name);
        if (mode === 'drop') continue;
        const value = headers[name];
        if (value === undefined) continue;
        f[`request_${canonicalHeaderName(name)}`] = mode === 'redact' ? 'REDACTED' : Array.isArray(value) ? value.join(',') : value;
      }
    }
    return f;
  }

  private json(f: Fields): string {
    let out: Fields = f;
    if (!this.keepsAll) {
      out = {};
      for (const k in f) if (this.fields.keeps(k)) out[k] = f[k];
    }
    // logrus's JSON formatter, which Traefik uses, adds these three.
    out.level = 'info';
    out.msg = '';
    out.time = new Date().toISOString();
    return JSON.stringify(out) + '\n';
  }

  private serviceAddr(url: string): string | undefined {
    if (this.serviceAddrs.has(url)) return this.serviceAddrs.get(url);
    const host = hostOf(url);
    if (this.serviceAddrs.size < 10_000) this.serviceAddrs.set(url, host);
    return host;
  }

  /** Log rotation: reopen the file at its path (SIGUSR1). */
  reopen(): void {
    this.output.reopen();
  }

  close(): Promise<void> {
    return this.output.close();
  }
}

/** `CN=user,O=org`, as Go's pkix.Name prints a certificate's subject (most specific last in the DER, first here). */
function clientSubject(der: Buffer): string | undefined {
  try {
    return new X509Certificate(der).subject.split('\n').reverse().join(',');
  } catch {
    return undefined;
  }
}

function header(ex: ExchangeBase, name: string): string | undefined {
  const v = ex.facts.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function dash(v: string | number | undefined): string | number {
  return v === undefined || v === '' ? '-' : v;
}

function quoted(v: string | number | undefined): string {
  return v === undefined || v === '' ? '"-"' : `"${String(v).replaceAll('"', '\\"')}"`;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

function offset(d: Date, sep: string): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${two(Math.floor(abs / 60))}${sep}${two(abs % 60)}`;
}

/** `02/Jan/2006:15:04:05 -0700`, the Common Log Format's time, in local time as Traefik writes it. */
function commonLogTime(d: Date): string {
  return `${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${offset(d, '')}`;
}

/** Local time in RFC 3339 with its offset (Traefik's StartLocal). */
function localIso(d: Date): string {
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms}${offset(d, ':')}`;
}
