/**
 * `whoami@internal`: echoes the request back (method, path, protocol, headers,
 * client address), like Traefik's whoami container, so the quickstart routes
 * somewhere real with nothing else running. `?format=json` (or Accept:
 * application/json) answers JSON; `/data?size=N` streams N bytes (downloads
 * for benchmarks, with back-pressure); a request body is read and its size reported.
 */
import { hostname } from 'node:os';
import type { Exchange, Handler } from '../../exchange/exchange.js';

const HOST = hostname();
/** Which process answered, when several serve the ports (`workers: N`): `2 (pid 4242)`. */
const WORKER = process.env.PORTICO_WORKER_ID ? `${process.env.PORTICO_WORKER_ID} (pid ${process.pid})` : undefined;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MAX_DATA = 10 * 1024 ** 3;

export const whoamiHandler: Handler = (ex) =>
  new Promise<void>((resolve) => {
    const query = new URLSearchParams(ex.url.includes('?') ? ex.url.slice(ex.url.indexOf('?') + 1) : '');
    const path = ex.url.split('?')[0]!;
    if (path.endsWith('/data') && query.has('size')) {
      streamData(ex, Math.min(Number(query.get('size')) || 0, MAX_DATA), resolve);
      return;
    }
    let received = 0;
    const done = () => {
      const accept = String(ex.requestHeaders.accept ?? '');
      const json = query.get('format') === 'json' || accept.includes('application/json');
      const info = {
        hostname: HOST,
        worker: WORKER,
        protocol: ex.protocol,
        method: ex.method,
        url: ex.url,
        host: ex.authority,
        remoteAddr: `${ex.remoteAddress}:${ex.remotePort}`,
        clientIp: ex.facts.clientIp,
        entryPoint: ex.entryPoint,
        router: ex.routerName,
        tls: ex.tls ? { serverName: ex.tls.serverName, options: ex.tls.optionsName } : undefined,
        headers: ex.requestHeaders,
        bodyBytes: received,
      };
      if (json) {
        ex.respond(200, { 'content-type': 'application/json' }, JSON.stringify(info, null, 2) + '\n');
      } else {
        const lines = [
          `Hostname: ${HOST}`,
          ...(WORKER ? [`Worker: ${WORKER}`] : []),
          `IP: ${ex.facts.clientIp}`,
          `RemoteAddr: ${info.remoteAddr}`,
          `Protocol: ${ex.protocol}`,
          `EntryPoint: ${ex.entryPoint}`,
          `Router: ${ex.routerName ?? ''}`,
          ...(ex.tls ? [`TLS: sni=${ex.tls.serverName ?? '(none)'} options=${ex.tls.optionsName}`] : []),
          `${ex.method} ${ex.url} ${ex.protocol}`,
          `Host: ${ex.authority}`,
          // Host was printed from the authority above (h1 keeps it among the headers, h2/h3 do not).
          ...Object.entries(ex.requestHeaders)
            .filter(([k, v]) => k !== 'host' && v !== undefined)
            .map(([k, v]) => `${headerCase(k)}: ${Array.isArray(v) ? v.join(', ') : v}`),
          ...(received ? [`Body-Bytes: ${received}`] : []),
        ];
        ex.respond(200, { 'content-type': 'text/plain; charset=utf-8' }, lines.join('\n') + '\n');
      }
      resolve();
    };
    if (ex.hasBody === false) return done();
    ex.body.on('data', (c: Buffer) => (received += c.length));
    ex.body.once('end', done);
    ex.body.once('error', () => resolve());
    ex.body.resume();
  });

function streamData(ex: Exchange, size: number, resolve: () => void): void {
  const sink = ex.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  let left = size;
  const pump = () => {
    while (left > 0 && !sink.destroyed) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      const ok = sink.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
      if (!ok) {
        sink.once('drain', pump);
        return;
      }
    }
    sink.end();
    resolve();
  };
  sink.once('close', resolve);
  pump();
}

function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
