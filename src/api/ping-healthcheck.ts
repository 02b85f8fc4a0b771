/**
 * `portico healthcheck` (Traefik's `traefik healthcheck --ping`): ask the
 * running Portico's `ping@internal` whether it serves, from the same static
 * configuration — the entrypoint `ping.entryPoint` names (`portico` by
 * default), over TLS when that entrypoint has `http.tls`. Healthy is a 200
 * within the timeout; anything else is a one-line reason. Container health
 * checks run it every few seconds, so it loads nothing but node:http(s).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseListenAddress } from '../config/listen-address.js';
import type { StaticConfig } from '../config/static-config.js';

export interface HealthcheckResult {
  healthy: boolean;
  /** `OK: <url>`, or why not. */
  message: string;
}

/** The URL of /ping on its entrypoint; a wildcard listen address is reached on loopback. */
export function pingUrl(cfg: StaticConfig): string | { error: string } {
  if (!cfg.ping) return { error: 'ping is not enabled: add `ping: {}` to the static configuration (or pass --ping)' };
  const name = cfg.ping.entryPoint ?? 'portico';
  const ep = cfg.entryPoints[name];
  if (!ep) return { error: `ping.entryPoint: no entrypoint named "${name}"` };
  const { host, port } = parseListenAddress(ep.address);
  const reachable = !host || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPart = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `${ep.http?.tls ? 'https' : 'http'}://${hostPart}:${port}/ping`;
}

export function pingHealthcheck(cfg: StaticConfig, timeoutMs: number): Promise<HealthcheckResult> {
  const url = pingUrl(cfg);
  if (typeof url !== 'string') return Promise.resolve({ healthy: false, message: url.error });
  return new Promise((resolve) => {
    const done = (r: HealthcheckResult) => {
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    // Portico's own certificate is often the generated default: this probe checks liveness, not identity.
    const req = request(url, { method: 'GET', rejectUnauthorized: false, headers: { 'user-agent': 'portico-healthcheck' } }, (res) => {
      res.resume();
      if (res.statusCode === 200) done({ healthy: true, message: `OK: ${url}` });
      else done({ healthy: false, message: `bad healthcheck status: ${res.statusCode} from ${url}` });
    });
    const timer = setTimeout(() => done({ healthy: false, message: `no answer from ${url} within ${timeoutMs} ms` }), timeoutMs);
    req.on('error', (err) => done({ healthy: false, message: `error calling ${url}: ${err.message}` }));
    req.end();
  });
}
