/** Where no QUIC implementation can run, the entrypoint still serves h1/h2, says why once, and advertises no HTTP/3. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let p: Harness;
beforeAll(async () => {
  // An implementation name that cannot load stands in for a platform without the quiche binary.
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'not-available' } } } },
    { 'r.yaml': 'http:\n  routers:\n    who: { rule: PathPrefix(`/`), service: whoami@internal }\n' },
  );
  await p.server.nextApply(1);
});
afterAll(() => p?.stop());

test('h1 and h2 answer without Alt-Svc', async () => {
  for (const flag of ['--http1.1', '--http2']) {
    const r = await curl([flag, `https://127.0.0.1:${p.port('websecure')}/`]);
    expect(r.status).toBe(200);
    expect(r.headers['alt-svc']).toBeUndefined();
  }
});
