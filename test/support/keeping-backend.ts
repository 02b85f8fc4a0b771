/**
 * A node:http backend that keeps idle connections open (as many real servers
 * do for minutes), so a connection Portico fails to release stays leaked for
 * the whole test instead of being tidied up by the backend. It counts
 * connections and the requests it is still answering.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface KeepingBackend {
  url: string;
  /** TCP connections open now. */
  readonly connections: number;
  /** Requests whose response has not finished (or whose connection has not closed). */
  readonly inFlight: number;
  readonly requests: number;
  close(): Promise<void>;
}

/** Every request gets `bodyBytes` of body (enough that a client that does not read leaves it unsent). */
export async function startKeepingBackend(bodyBytes = 64 * 1024): Promise<KeepingBackend> {
  const body = Buffer.alloc(bodyBytes, 'x');
  const sockets = new Set<Socket>();
  const state = { inFlight: 0, requests: 0 };
  const server = http.createServer({ keepAliveTimeout: 10 * 60_000, headersTimeout: 10 * 60_000 + 1000, requestTimeout: 0 }, (req, res) => {
    state.requests++;
    state.inFlight++;
    let counted = true;
    const done = () => {
      if (counted) state.inFlight--;
      counted = false;
    };
    res.once('finish', done);
    res.once('close', done);
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      res.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return sockets.size;
    },
    get inFlight() {
      return state.inFlight;
    },
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
