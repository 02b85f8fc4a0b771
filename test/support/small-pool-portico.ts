/**
 * A real Portico with one TLS entrypoint (`websecure`, h1 and h2) routing
 * every path to one backend through a servers transport with a small pool,
 * so the hostile tests can fill it with a few dozen requests.
 */
import { startPortico, type Harness } from './portico-harness.js';

export interface SmallPoolOptions {
  /** maxIdleConnsPerHost: the pool's connections. */
  pool: number;
  /** Extra `forwardingTimeouts` of the transport (dialTimeout also bounds the wait for a free connection). */
  forwardingTimeouts?: Record<string, string>;
  /** The entrypoint's `transport` section. */
  entryPointTransport?: Record<string, unknown>;
  /** The entrypoint's `http3` section (HTTP/3 on the same port). */
  http3?: Record<string, unknown>;
}

export async function startSmallPoolPortico(backendUrl: string, o: SmallPoolOptions): Promise<{ portico: Harness; port: number }> {
  const timeouts = o.forwardingTimeouts ? `\n      forwardingTimeouts: ${JSON.stringify(o.forwardingTimeouts)}` : '';
  const portico = await startPortico(
    {
      entryPoints: {
        websecure: {
          address: '127.0.0.1:0',
          http: { tls: {} },
          ...(o.entryPointTransport ? { transport: o.entryPointTransport } : {}),
          ...(o.http3 ? { http3: o.http3 } : {}),
        },
      },
    },
    {
      'routes.yaml': `
http:
  routers:
    app: { rule: PathPrefix(\`/\`), service: app }
  services:
    app:
      loadBalancer:
        serversTransport: small
        servers: [{ url: "${backendUrl}" }]
  serversTransports:
    small:
      maxIdleConnsPerHost: ${o.pool}${timeouts}
`,
    },
  );
  await portico.server.nextApply(1);
  return { portico, port: portico.port('websecure') };
}
