/** One line per finished exchange: JSON (Traefik's field names) or Common Log Format. */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Exchange } from '../exchange/exchange.js';
import type { ExchangeBase } from '../exchange/exchange-base.js';

export class AccessLog {
  private readonly out: WriteStream | NodeJS.WriteStream;

  constructor(private readonly cfg: { filePath?: string; format: 'json' | 'common' }) {
    this.out = cfg.filePath ? createWriteStream(cfg.filePath, { flags: 'a' }) : process.stdout;
  }

  record(ex: Exchange, outcome: 'ok' | 'aborted'): void {
    const base = ex as ExchangeBase;
    const durationNs = Math.round((performance.now() - base.startedAt) * 1e6);
    if (this.cfg.format === 'common') {
      const d = new Date();
      this.out.write(
        `${ex.facts.clientIp} - - [${d.toISOString()}] "${ex.method} ${ex.url} ${ex.protocol}" ${ex.statusCode ?? 0} ${base.responseBytes || '-'} "${ex.requestHeaders.referer ?? '-'}" "${ex.requestHeaders['user-agent'] ?? '-'}" "${ex.routerName ?? '-'}" ${Math.round(durationNs / 1e6)}ms\n`,
      );
      return;
    }
    this.out.write(
      JSON.stringify({
        time: new Date().toISOString(),
        ClientHost: ex.facts.clientIp,
        ClientPort: ex.remotePort,
        RequestMethod: ex.method,
        RequestHost: ex.facts.host,
        RequestPath: ex.url,
        RequestProtocol: ex.protocol,
        RequestScheme: ex.scheme,
        EntryPointName: ex.entryPoint,
        RouterName: ex.routerName,
        DownstreamStatus: ex.statusCode ?? 0,
        Duration: durationNs,
        TLSServerName: ex.tls?.serverName,
        Aborted: outcome === 'aborted' || undefined,
      }) + '\n',
    );
  }
}
