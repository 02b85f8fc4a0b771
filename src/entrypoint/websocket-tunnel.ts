/**
 * WebSocket entry: an HTTP/1.1 Upgrade or an HTTP/2 extended CONNECT
 * (RFC 8441) becomes an ordinary Exchange that offers a ClientTunnel
 * (`ex.tunnel`), so routing and middlewares (auth, allow-lists) apply as for
 * any request; the service layer then opens an HTTP/1.1 Upgrade to the
 * backend (service/upgrade-upstream.ts), opens the client's tunnel and splices
 * the two byte streams.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { ClientTunnel, HeaderMap } from '../exchange/exchange.js';
import type { EntryPointContext } from './entrypoint-context.js';
import type { NodeExchange } from './node-exchange.js';
import { dispatchExchange } from '../exchange/dispatch-exchange.js';

const NO_BYTES = Buffer.alloc(0);

/** An h1 Upgrade: accepting writes the 101 head on the raw socket, which then carries the tunnel. */
class H1UpgradeTunnel implements ClientTunnel {
  readonly kind = 'h1';
  opened = false;

  constructor(
    private readonly socket: Socket,
    readonly head: Buffer,
    private readonly res: ServerResponse,
  ) {}

  open(backendHeaders: HeaderMap): Duplex {
    if (this.opened) throw new Error('tunnel already open');
    this.opened = true;
    const lines = ['HTTP/1.1 101 Switching Protocols'];
    for (const [k, v] of Object.entries(backendHeaders)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    }
    this.res.detachSocket(this.socket);
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');
    return this.socket;
  }
}

/** An h2 extended CONNECT: accepting answers 200 on the stream, which then carries the tunnel. */
class H2ConnectTunnel implements ClientTunnel {
  readonly kind = 'h2';
  readonly head = NO_BYTES;
  opened = false;

  constructor(private readonly stream: ServerHttp2Stream) {}

  open(backendHeaders: HeaderMap): Duplex {
    if (this.opened) throw new Error('tunnel already open');
    this.opened = true;
    const out: Record<string, string | string[]> = { ':status': '200' };
    for (const k of ['sec-websocket-protocol', 'sec-websocket-extensions']) {
      const v = backendHeaders[k];
      if (v !== undefined) out[k] = v;
    }
    this.stream.respond(out);
    return this.stream;
  }
}

export function handleWebSocketUpgrade(ex: NodeExchange, socket: Socket, head: Buffer, ep: EntryPointContext): void {
  // A real ServerResponse bound to the upgrade socket lets middlewares answer (401, 403, 404) normally.
  const res = new ServerResponse(ex.body as IncomingMessage);
  res.assignSocket(socket);
  res.shouldKeepAlive = false;
  (ex as unknown as { res: ServerResponse }).res = res;
  const tunnel = new H1UpgradeTunnel(socket, head, res);
  ex.tunnel = tunnel;
  socket.once('close', () => {
    if (!tunnel.opened) ep.exchangeDone(ex, 'aborted');
  });
  void dispatchExchange(ex, ep);
}

export function handleExtendedConnect(ex: NodeExchange, stream: ServerHttp2Stream, ep: EntryPointContext): void {
  ex.tunnel = new H2ConnectTunnel(stream);
  void dispatchExchange(ex, ep);
}
