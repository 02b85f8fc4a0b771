/**
 * Issue 9 #6: a plugin (or built-in) that throws in any of its hooks ends that
 * request with a 500 — or aborts the stream when the head already left — and
 * never hangs it; the failure is counted with the middleware's name. Before,
 * a throw inside an onResponseHeaders hook left the request open for good.
 * Real Portico, real backend, curl as the client.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:http2';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';

// A plugin that fails where its options say: each case is one way middleware code can break.
const THROWER = `
export default {
  type: 'thrower',
  optionsSchema: { required: ['where'], properties: { where: { type: 'string' } } },
  build: ({ where }) => (next) => (ex) => {
    const boom = () => { throw new Error('thrower failed in ' + where); };
    switch (where) {
      case 'request': return boom();
      case 'request-async': return Promise.resolve().then(boom);
      case 'response-headers': ex.onResponseHeaders(boom); return next(ex);
      case 'interceptor': ex.interceptResponse(boom); return next(ex);
      case 'body-held': // holds the head until the first bytes, then fails on them
        ex.interceptResponse(() => ({ headersSent: false, destroyed: false, write: boom, end: boom, addTrailers: boom,
          once() {}, on() {}, removeListener() {}, destroy() {} }));
        return next(ex);
      case 'body-sent': // the head has gone to the client when the body transform fails
        ex.interceptResponse((status, headers, open) => {
          const sink = open(status, headers);
          sink.write('partial ');
          return { get headersSent() { return true; }, get destroyed() { return sink.destroyed; }, write: boom, end: boom,
            addTrailers: boom, once: (e, l) => sink.once(e, l), on: (e, l) => sink.on(e, l), removeListener: (e, l) => sink.removeListener(e, l),
            destroy: (e) => sink.destroy(e) };
        });
        return next(ex);
    }
    return next(ex);
  },
};
`;

const CASES = ['request', 'request-async', 'response-headers', 'interceptor', 'body-held'] as const;

let p: Harness;
let backend: Backend;
let pluginDir: string;

beforeAll(async () => {
  backend = await startBackend('failing');
  pluginDir = mkdtempSync(join(tmpdir(), 'portico-thrower-'));
  writeFileSync(join(pluginDir, 'thrower.mjs'), THROWER);
  const routers = [...CASES, 'body-sent'].map((c) => `    ${c}: { rule: PathPrefix(\`/${c}\`), service: be, middlewares: [fail-${c}] }`).join('\n');
  const middlewares = [...CASES, 'body-sent'].map((c) => `    fail-${c}: { thrower: { where: ${c} } }`).join('\n');
  p = await startPortico(
    {
      entryPoints: { web: { address: '127.0.0.1:0' }, websecure: { address: '127.0.0.1:0', http: { tls: {} } } },
      experimental: { plugins: { thrower: { module: join(pluginDir, 'thrower.mjs') } } },
    },
    {
      'fail.yaml': `
http:
  routers:
${routers}
    fine: { rule: PathPrefix(\`/fine\`), service: be }
  middlewares:
${middlewares}
  services:
    be: { loadBalancer: { servers: [{ url: "${backend.url}" }] } }
`,
    },
  );
  // Version 1 is Portico's own routers; the file's arrive with the next.
  expect((await p.server.nextApply(1)).errors).toEqual([]);
});

afterAll(async () => {
  await p?.stop();
  await backend?.close();
  rmSync(pluginDir, { recursive: true, force: true });
});

async function failures(middleware: string): Promise<number> {
  const metric = await p.server.metrics.registry.getSingleMetric('portico_middleware_failures_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.middleware === middleware).reduce((n, v) => n + v.value, 0);
}

describe('a middleware that throws', () => {
  for (const where of CASES)
    test(`in ${where}: the request ends with 500 at once, counted under the middleware's name`, async () => {
      const started = Date.now();
      const r = await curl([`http://127.0.0.1:${p.port('web')}/${where}`], 5000);
      expect(r.status).toBe(500);
      expect(r.body).toContain('500 Internal Server Error');
      expect(Date.now() - started).toBeLessThan(4000);
      expect(await failures(`fail-${where}@file`)).toBe(1);
      // Portico is still fine for everyone else.
      expect((await curl([`http://127.0.0.1:${p.port('web')}/fine`])).status).toBe(200);
    });

  test('in a body transform after the head left: the response is aborted, not left open', async () => {
    const started = Date.now();
    const r = await curl([`http://127.0.0.1:${p.port('web')}/body-sent`], 5000);
    // The head may or may not reach curl before the cut (Node flushes it with the first chunk), but the
    // response must never complete: curl 18 (partial), 52 (empty reply) or 56 (receive failure); 28 would be a hang.
    expect([18, 52, 56], `curl exit ${r.exitCode}: ${r.stderr}`).toContain(r.exitCode);
    expect(r.body).not.toContain('"method"');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await failures('fail-body-sent@file')).toBe(1);
  });

  test('over HTTP/2 as well: a throwing onResponseHeaders hook is a 500 on that stream, and the connection serves the next one', async () => {
    const before = await failures('fail-response-headers@file');
    const session = connect(`https://127.0.0.1:${p.port('websecure')}`, { rejectUnauthorized: false });
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': path });
        let status = 0;
        let body = '';
        stream.setEncoding('utf8');
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (d: string) => (body += d));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.setTimeout(4000, () => reject(new Error(`${path}: no response within 4 s`)));
      });
    try {
      const failed = await get('/response-headers');
      expect(failed).toEqual({ status: 500, body: '500 Internal Server Error\n' });
      expect((await get('/fine')).status).toBe(200);
    } finally {
      session.close();
    }
    expect(await failures('fail-response-headers@file')).toBe(before + 1);
  });
});
