/**
 * Traefik's Prometheus families on a real Portico: requests over HTTP/1.1,
 * HTTP/2 and HTTP/3 through a router with a middleware to a real backend,
 * then a scrape of /metrics checked family by family, label by label, value
 * by value — what Traefik's Grafana dashboards query.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { h3Request } from '../middleware/support/h3-request.js';
import { h1Request, h2Request } from './support/clients.js';
import { TestPki, type IssuedCert } from '../support/pki.js';
import { X509Certificate } from 'node:crypto';

let backend: Backend;
let p: Harness;
let port: number;
let cert: IssuedCert;

/** The value of the series with exactly these labels (order-insensitive), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[pair[1]!] = pair[2]!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const r = await h1Request(p.port('portico'), '/metrics', { plain: true });
  expect(r.status).toBe(200);
  return r.body;
}

beforeAll(async () => {
  backend = await startBackend('metrics-backend');
  cert = new TestPki().issue('app', ['app.test', 'www.app.test']);
  p = await startPortico(
    {
      entryPoints: {
        websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: {} },
        portico: { address: '127.0.0.1:0' },
      },
      metrics: { prometheus: { addRoutersLabels: true, buckets: [0.05, 0.5, 2] } },
    },
    {
      'routes.yaml': `
http:
  routers:
    app:
      rule: "PathPrefix(\`/\`)"
      service: app
      middlewares: [tag]
  middlewares:
    tag:
      headers: { customResponseHeaders: { x-tag: "1" } }
  services:
    app:
      loadBalancer: { servers: [{ url: "${backend.url}" }] }
tls:
  certificates:
    - { certFile: "${cert.certFile}", keyFile: "${cert.keyFile}" }
`,
    },
  );
  port = p.port('websecure');
}, 30_000);

afterAll(async () => {
  await p?.stop();
  await backend?.close();
});

describe('Traefik Prometheus families', () => {
  test('h1, h2 and h3 requests appear per entrypoint, router and service with code, method and protocol', async () => {
    const h1 = await h1Request(port, '/status?code=200');
    expect(h1.status).toBe(200);
    const h2 = await h2Request(port, '/echo', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
    expect(h2.status).toBe(200);
    const h3 = await h3Request(port, '/status?code=404');
    expect(h3.status).toBe(404);
    const sse = await h1Request(port, '/status?code=200', { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(200);

    const text = await scrape();
    const ep = { entrypoint: 'websecure', protocol: 'http' };
    expect(sample(text, 'traefik_entrypoint_requests_total', { ...ep, method: 'GET', code: '200' })).toBe(1);
    expect(sample(text, 'traefik_entrypoint_requests_total', { ...ep, method: 'POST', code: '200' })).toBe(1);
    expect(sample(text, 'traefik_entrypoint_requests_total', { ...ep, method: 'GET', code: '404' })).toBe(1);
    expect(sample(text, 'traefik_entrypoint_requests_total', { entrypoint: 'websecure', protocol: 'sse', method: 'GET', code: '200' })).toBe(1);
    // The backend's "status\n" body is 7 bytes; the POST carried 5.
    expect(sample(text, 'traefik_entrypoint_responses_bytes_total', { ...ep, method: 'GET', code: '404' })).toBe(7);
    expect(sample(text, 'traefik_entrypoint_requests_bytes_total', { ...ep, method: 'POST', code: '200' })).toBe(5);
    expect(sample(text, 'traefik_entrypoint_request_duration_seconds_count', { ...ep, method: 'GET', code: '200' })).toBe(1);
    expect(sample(text, 'traefik_entrypoint_request_duration_seconds_bucket', { ...ep, method: 'GET', code: '200', le: '+Inf' })).toBe(1);
    expect(sample(text, 'traefik_entrypoint_request_duration_seconds_bucket', { ...ep, method: 'GET', code: '200', le: '2' })).toBe(1);
    // h1/h2 carry the negotiated TLS version and cipher; h3 is TLS 1.3 whatever its cipher.
    expect(text).toMatch(/traefik_entrypoint_requests_tls_total\{entrypoint="websecure",tls_version="1.3",tls_cipher="TLS_AES_\w+"\} 3/);

    const router = { router: 'app@file', service: 'app@file', protocol: 'http' };
    expect(sample(text, 'traefik_router_requests_total', { ...router, method: 'GET', code: '404' })).toBe(1);
    expect(sample(text, 'traefik_router_requests_total', { ...router, method: 'POST', code: '200' })).toBe(1);
    const service = { service: 'app@file', protocol: 'http' };
    expect(sample(text, 'traefik_service_requests_total', { ...service, method: 'GET', code: '404' })).toBe(1);
    expect(sample(text, 'traefik_service_responses_bytes_total', { ...service, method: 'GET', code: '404' })).toBe(7);
    expect(sample(text, 'traefik_service_server_up', { service: 'app@file', url: backend.url })).toBe(1);
    expect(sample(text, 'traefik_service_retries_total', { service: 'app@file' })).toBeUndefined();

    expect(sample(text, 'traefik_open_connections', { entrypoint: 'websecure', protocol: 'TCP' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'traefik_open_connections', { entrypoint: 'websecure', protocol: 'UDP' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'traefik_config_reloads_total', {})).toBeGreaterThanOrEqual(2);
    const lastReload = sample(text, 'traefik_config_last_reload_success', {})!;
    expect(Math.abs(lastReload - Date.now() / 1000)).toBeLessThan(120);
    // The scrapes themselves go to metrics@internal: not counted without metrics.addInternals.
    expect(text).not.toMatch(/traefik_router_requests_total\{[^}]*internal/);
    // Portico's own families keep their names and HTTP-version protocol label.
    expect(sample(text, 'portico_entrypoint_requests_total', { entrypoint: 'websecure', protocol: 'HTTP/3.0', code: '404' })).toBe(1);
  }, 30_000);

  test('a configured certificate is listed with its names, serial and expiry', async () => {
    const x = new X509Certificate(cert.certPem);
    const text = await scrape();
    const value = sample(text, 'traefik_tls_certs_not_after', {
      cn: 'app.test',
      serial: BigInt(`0x${x.serialNumber}`).toString(),
      sans: 'app.test,www.app.test',
    });
    expect(value).toBe(Math.floor(new Date(x.validTo).getTime() / 1000));
  });
});
