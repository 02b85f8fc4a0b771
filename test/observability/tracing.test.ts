/**
 * OpenTelemetry tracing on a real Portico: requests over h1, h2 and h3 with
 * and without a client `traceparent`, spans exported over OTLP/HTTP to a real
 * receiver and checked with their parents (entrypoint → Router → middleware →
 * Service → ReverseProxy) and Traefik's attribute names, and a real backend
 * that sees a `traceparent` continuing the client's trace, and its baggage.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { h3Request } from '../middleware/support/h3-request.js';
import { h1Request, h2Request } from './support/clients.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

let backend: Backend;
let receiver: OtlpReceiver;

const routes = (url: string) => `
http:
  routers:
    app: { rule: "PathPrefix(\`/\`)", service: app, middlewares: [tag] }
  middlewares:
    tag:
      headers: { customResponseHeaders: { x-tag: "1" } }
  services:
    app:
      loadBalancer: { servers: [{ url: "${url}" }] }
`;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** What the backend's /echo saw, from its JSON body. */
function echoed(body: string): Record<string, string> {
  return (JSON.parse(body) as { headers: Record<string, string> }).headers;
}

/** The chain from the entrypoint span down, each span's parent the one before. */
function checkChain(spans: ReceivedSpan[], clientParent: string): Record<string, ReceivedSpan> {
  const by = (name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect(found, `one ${name} span in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
    return found[0]!;
  };
  const entry = by('GET');
  const router = by('Router');
  const middleware = by('headers');
  const service = by('Service');
  const proxy = by('ReverseProxy');
  expect(entry.parentSpanId).toBe(clientParent);
  expect(router.parentSpanId).toBe(entry.spanId);
  expect(middleware.parentSpanId).toBe(router.spanId);
  expect(service.parentSpanId).toBe(middleware.spanId);
  expect(proxy.parentSpanId).toBe(service.spanId);
  expect([entry.kind, router.kind, middleware.kind, service.kind, proxy.kind]).toEqual([SERVER, INTERNAL, INTERNAL, INTERNAL, CLIENT]);
  return { entry, router, middleware, service, proxy };
}

beforeAll(async () => {
  backend = await startBackend('traced-backend');
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await backend?.close();
  await receiver?.close();
});

describe('tracing with sampleRate 1', () => {
  let p: Harness;
  const accessLog = join(mkdtempSync(join(tmpdir(), 'portico-tracing-')), 'access.log');

  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: {} } },
        tracing: {
          serviceName: 'portico-under-test',
          sampleRate: 1,
          resourceAttributes: { 'deployment.environment': 'test' },
          capturedRequestHeaders: ['X-Request-Tag'],
          capturedResponseHeaders: ['Content-Type'],
          safeQueryParams: ['page'],
          otlp: { http: { endpoint: receiver.url } },
        },
        accessLog: { filePath: accessLog, format: 'json' },
      },
      { 'routes.yaml': routes(backend.url) },
    );
  });
  afterAll(() => p?.stop());

  test('h1 with a client traceparent: the trace continues to the backend, and every layer has its span', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const r = await h1Request(p.port('websecure'), '/echo?page=2&token=secret', {
      headers: { traceparent: `00-${traceId}-${clientSpan}-01`, baggage: 'tenant=acme', 'x-request-tag': 'blue' },
    });
    expect(r.status).toBe(200);
    const seen = echoed(r.body);
    const [version, backendTrace, backendParent, flags] = seen.traceparent!.split('-');
    expect([version, backendTrace, flags]).toEqual(['00', traceId, '01']);
    expect(seen.baggage).toBe('tenant=acme');

    const spans = await receiver.trace(traceId, 5);
    const { entry, router, middleware, service, proxy } = checkChain(spans, clientSpan);
    // The backend's parent is Portico's ReverseProxy span.
    expect(backendParent).toBe(proxy.spanId);
    expect(entry.resource).toMatchObject({ 'service.name': 'portico-under-test', 'deployment.environment': 'test' });
    expect(entry.attributes).toMatchObject({
      entry_point: 'websecure',
      'http.request.method': 'GET',
      'network.protocol.version': '1.1',
      'url.path': '/echo',
      'url.query': 'page=2&token=REDACTED',
      'url.scheme': 'https',
      'client.address': '127.0.0.1',
      'http.response.status_code': 200,
      'http.request.header.x-request-tag': ['blue'],
      'http.response.header.content-type': ['application/json'],
    });
    expect(router.attributes).toMatchObject({ 'traefik.router.name': 'app@file', 'traefik.service.name': 'app@file', 'http.route': 'PathPrefix(`/`)' });
    expect(middleware.attributes).toMatchObject({ 'traefik.middleware.name': 'tag@file' });
    expect(service.attributes).toMatchObject({ 'traefik.service.name': 'app@file' });
    expect(proxy.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.full': backend.url, 'server.port': backend.port });
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);

    // The access log names the trace.
    const line = readFileSync(accessLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.TraceId === traceId);
    expect(line?.SpanId).toBe(entry.spanId);
  });

  test('h2 and h3 without a traceparent: Portico starts the trace and the backend continues it', async () => {
    for (const [protocol, send] of [
      ['2', () => h2Request(p.port('websecure'), '/echo')],
      ['3', () => h3Request(p.port('websecure'), '/echo').then((r) => ({ status: r.status, body: r.body.toString('utf8') }))],
    ] as const) {
      const r = await send();
      expect(r.status, protocol).toBe(200);
      const [, traceId, parent] = echoed(r.body).traceparent!.split('-');
      const spans = await receiver.trace(traceId!, 5);
      const { entry, proxy } = checkChain(spans, '');
      expect(parent).toBe(proxy.spanId);
      expect(entry.attributes['network.protocol.version'], protocol).toBe(protocol);
    }
  });

  test('a 5xx from the backend marks the entrypoint span as an error; a 404 marks only the client span', async () => {
    for (const [code, entryStatus, proxyStatus] of [
      [503, 2, 2],
      [404, 0, 2],
    ] as const) {
      const traceId = hex(16);
      const clientSpan = hex(8);
      const r = await h1Request(p.port('websecure'), `/status?code=${code}`, { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });
      expect(r.status).toBe(code);
      const { entry, proxy } = checkChain(await receiver.trace(traceId, 5), clientSpan);
      expect([entry.statusCode, proxy.statusCode], String(code)).toEqual([entryStatus, proxyStatus]);
    }
  });
});

describe('sampling', () => {
  let p: Harness;

  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { web: { address: '127.0.0.1:0' } },
        tracing: { sampleRate: 0, otlp: { http: { endpoint: receiver.url } } },
      },
      { 'routes.yaml': routes(backend.url) },
    );
  });
  afterAll(() => p?.stop());

  test('sampleRate 0 exports nothing of its own, still propagates, and follows a sampled client', async () => {
    const r = await h1Request(p.port('web'), '/echo', { plain: true });
    const [, unsampledTrace, , flags] = echoed(r.body).traceparent!.split('-');
    expect(flags).toBe('00');
    const traceId = hex(16);
    const sampled = await h1Request(p.port('web'), '/echo', { plain: true, headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    expect(echoed(sampled.body).traceparent!.split('-')[3]).toBe('01');
    // The client decided: parent-based sampling exports its trace (the default service name is Traefik's).
    const spans = await receiver.trace(traceId, 5);
    expect(spans.find((s) => s.kind === SERVER)?.resource['service.name']).toBe('traefik');
    expect(receiver.spans.some((s) => s.traceId === unsampledTrace)).toBe(false);
  });
});
