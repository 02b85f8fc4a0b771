/**
 * WebSocket entry: an HTTP/1.1 Upgrade or an HTTP/2 extended CONNECT
 * (RFC 8441) becomes an ordinary Exchange marked with `state.upgrade`, so
 * routing and middlewares (auth, allow-lists) apply as for any request; the
 * service layer then opens an HTTP/1.1 Upgrade to the backend
 * (service/upgrade-upstream.ts) and splices the two byte streams.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { EntryPointContext } from './entrypoint-context.js';
import type { NodeExchange } from './node-exchange.js';
import { dispatchExchange } from '../exchange/dispatch-exchange.js';

export interface UpgradeState {
  kind: 'h1' | 'h2';
  /** The client's byte stream once the upgrade is accepted. */
  client: Duplex;
  /** Bytes the client sent after its upgrade request (h1). */
  head: Buffer;
  /** Accept the upgrade towards the client with the backend's response headers. */
  accept(headers: Record<string, string | string[] | undefined>): void;
}

export function handleWebSocketUpgrade(ex: NodeExchange, socket: Socket, head: Buffer, ep: EntryPointContext, redirectPort: number | undefined): void {
  // A real ServerResponse bound to the upgrade socket lets middlewares answer (401, 403, 404) normally.
  const res = new ServerResponse(ex.body as IncomingMessage);
  res.assignSocket(socket);
  res.shouldKeepAlive = false;
  (ex as unknown as { res: ServerResponse }).res = res;
  const state: UpgradeState = {
    kind: 'h1',
    client: socket,
    head,
    accept(headers) {
      const lines = ['HTTP/1.1 101 Switching Protocols'];
      for (const [k, v] of Object.entries(headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      }
      res.detachSocket(socket);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    },
  };
  ex.state.upgrade = state;
  socket.once('close', () => {
    if (!ex.state.tunnelOpen) ep.exchangeDone(ex, 'aborted');
  });
  void dispatchExchange(ex, ep, redirectPort);
}

export function handleExtendedConnect(ex: NodeExchange, stream: ServerHttp2Stream, ep: EntryPointContext): void {
  const state: UpgradeState = {
    kind: 'h2',
    client: stream,
    head: Buffer.alloc(0),
    accept(headers) {
      const out: Record<string, string | string[]> = { ':status': '200' };
      for (const k of ['sec-websocket-protocol', 'sec-websocket-extensions']) {
        const v = headers[k];
        if (v !== undefined) out[k] = v;
      }
      stream.respond(out);
    },
  };
  ex.state.upgrade = state;
  void dispatchExchange(ex, ep, undefined);
}
