/** A real HTTP/1.1 backend for tests: echoes what it received as JSON, with a few behaviours selected by path. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  url: string;
  port: number;
  requests: number;
  close(): Promise<void>;
}

export async function startBackend(name = 'backend'): Promise<Backend> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (chunks.length < 64) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/status') {
        res.writeHead(Number(url.searchParams.get('code') ?? 200), { 'content-type': 'text/plain' });
        return res.end('status\n');
      }
      if (url.pathname === '/slow') {
        setTimeout(() => res.end('slow\n'), Number(url.searchParams.get('ms') ?? 1000));
        return;
      }
      if (url.pathname === '/bytes') {
        const n = Number(url.searchParams.get('n') ?? 1024);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
        return res.end(Buffer.alloc(n, 0x62));
      }
      if (url.pathname === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('body\n');
        res.addTrailers({ 'x-checksum': 'abc123' });
        return res.end();
      }
      if (url.pathname === '/untyped') {
        // A body without Content-Type (Node sets none unless told), for content sniffing.
        res.writeHead(200);
        return res.end('<!DOCTYPE html><html><body>untyped</body></html>');
      }
      if (url.pathname === '/alt-svc') {
        res.writeHead(200, { 'alt-svc': 'h2=":9999"; ma=60' });
        return res.end('alt\n');
      }
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        trailers: req.trailers,
        bodyBytes: bytes,
        httpVersion: req.httpVersion,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-backend': name,
        connection: 'keep-alive, x-hop',
        'x-hop': 'secret',
        'keep-alive': 'timeout=5',
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
