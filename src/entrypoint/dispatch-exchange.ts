/**
 * The request pipeline every protocol shares once it has built an Exchange:
 * entrypoint redirection, routing, the 421 check for TLS option mismatch,
 * then the router's middleware chain and service. Protocol adapters (h1/h2
 * here, h3 in http3-entrypoint) call only this.
 */
import type { EntryPointContext } from './entrypoint-context.js';
import type { ExchangeBase } from './exchange-base.js';
import { respondError } from '../service/http-error.js';

export async function dispatchExchange(ex: ExchangeBase, ep: EntryPointContext, redirectPort: number | undefined): Promise<void> {
  try {
    if (redirectPort !== undefined) {
      const red = ep.config.http!.redirections!.entryPoint;
      const port = redirectPort === 443 ? '' : `:${redirectPort}`;
      const host = ex.facts.host.includes(':') ? `[${ex.facts.host}]` : ex.facts.host;
      const permanent = red.permanent ?? true;
      const safe = ex.method === 'GET' || ex.method === 'HEAD';
      ex.respond(permanent ? (safe ? 301 : 308) : safe ? 302 : 307, { location: `${red.scheme ?? 'https'}://${host}${port}${ex.url}` });
      return;
    }
    const hit = ep.routes().match(ex.facts);
    if (!hit) {
      respondError(ex, 404);
      return;
    }
    ex.routerName = hit.name;
    const wanted = hit.value.tlsOptions;
    if (ex.tls && wanted !== undefined && wanted !== ex.tls.optionsName) {
      // The connection was negotiated under other TLS options (SNI ≠ Host): RFC 9110 §15.5.20.
      respondError(ex, 421);
      return;
    }
    await hit.value.handler(ex);
  } catch (err) {
    ep.log('error', `request handling failed: ${(err as Error).message}`, { router: ex.routerName, stack: (err as Error).stack });
    respondError(ex, 500);
  }
}
