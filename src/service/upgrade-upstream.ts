/**
 * The backend half of a WebSocket tunnel: an HTTP/1.1 Upgrade request to the
 * chosen server. A 101 splices client and backend byte streams; any other
 * answer (403, 404, …) is relayed to the client as a normal response. For
 * clients that came over HTTP/2 extended CONNECT we generate the handshake
 * key the h1 backend needs and check its accept value.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ClientTunnel, Exchange, HeaderMap } from '../exchange/exchange.js';
import { definedHeaders, stripHopByHop } from '../exchange/hop-by-hop.js';
import { addForwardedHeaders } from '../exchange/forwarded-headers.js';
import { respondError } from '../exchange/http-error.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function tunnelUpstream(
  ex: Exchange,
  tunnel: ClientTunnel,
  target: URL,
  tls: ConnectionOptions | undefined,
  opts: { passHostHeader: boolean; serverName: string },
): Promise<void> {
  const headers: HeaderMap = { ...ex.requestHeaders };
  const protocolHeader = tunnel.kind === 'h1' ? String(headers.upgrade ?? 'websocket') : 'websocket';
  stripHopByHop(headers, false);
  addForwardedHeaders(ex, headers, opts.serverName);
  let expectedAccept: string | undefined;
  if (tunnel.kind === 'h2') {
    const key = randomBytes(16).toString('base64');
    headers['sec-websocket-key'] = key;
    headers['sec-websocket-version'] ??= '13';
    expectedAccept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
  }
  headers.connection = 'Upgrade';
  headers.upgrade = protocolHeader;
  headers.host = opts.passHostHeader ? ex.authority : target.host;
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = lib.request({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (target.protocol === 'https:' ? 443 : 80),
      method: 'GET',
      path: ex.url,
      headers: { ...definedHeaders(headers), connection: 'Upgrade', upgrade: protocolHeader },
      agent: false,
      ...(tls ?? {}),
    });
    req.once('upgrade', (res, backend: Socket, backendHead: Buffer) => {
      if (expectedAccept && res.headers['sec-websocket-accept'] !== expectedAccept) {
        backend.destroy();
        respondError(ex, 502);
        return resolve();
      }
      const client = tunnel.open(res.headers as HeaderMap);
      if (backendHead.length) client.write(backendHead);
      if (tunnel.head.length) backend.write(tunnel.head);
      client.pipe(backend);
      backend.pipe(client);
      const close = () => {
        backend.destroy();
        client.destroy();
        resolve();
      };
      backend.once('close', close);
      client.once('close', close);
      backend.once('error', close);
      client.once('error', close);
    });
    req.once('response', (res) => {
      // The backend declined the upgrade: relay its answer as an ordinary response.
      const out = res.headers as HeaderMap;
      stripHopByHop(out, false);
      const sink = ex.writeHead(res.statusCode ?? 502, out);
      res.on('data', (c: Buffer) => sink.write(c));
      res.once('end', () => {
        sink.end();
        resolve();
      });
    });
    req.once('error', () => {
      respondError(ex, 502);
      resolve();
    });
    req.end();
  });
}
