/**
 * Shutting down with HTTP/3 requests in flight: every connection gets
 * GOAWAY, the requests finish, and each connection closes as soon as its
 * last request is done (the session's `drained`) — shutdown does not wait
 * out lifeCycle.graceTimeOut. Over both QUIC transports, with gtlsclient as
 * the client — run without --exit-on-all-streams-close, so that it keeps
 * the connection open after its response as a browser does — and a real
 * backend that answers after 300 ms.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { execFile } from 'node:child_process';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend('h3-shutdown');
});
afterAll(async () => {
  await backend?.close();
});

describe.each(['quiche', 'portico'])('HTTP/3 shutdown over %s', (quic) => {
  test('a 300 ms request in flight finishes, and shutdown takes about that long, not the 5 s graceTimeOut', async () => {
    const p = await startPortico(
      {
        entryPoints: {
          websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic }, transport: { lifeCycle: { graceTimeOut: '5s' } } },
        },
      },
      {
        'routes.yaml': `
http:
  routers:
    be: { rule: "PathPrefix(\`/\`)", service: be, entryPoints: [websecure], tls: {} }
  services:
    be: { loadBalancer: { servers: [{ url: "${backend.url}" }] } }
`,
      },
    );
    await p.server.nextApply(1);
    const port = p.port('websecure');
    const dir = mkdtempSync(join(tmpdir(), 'portico-h3-shutdown-'));
    const request = new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'gtlsclient',
        ['-q', '--timeout=10s', `--download=${dir}`, '127.0.0.1', String(port), `https://localhost:${port}/slow?ms=300`],
        { timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      ),
    );
    // Wait until the request reached the backend, then shut down while it is in flight.
    const before = backend.requests;
    for (let i = 0; i < 200 && backend.requests === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(backend.requests).toBe(before + 1);
    const started = performance.now();
    await p.stop();
    const took = performance.now() - started;
    const r = await request;
    const files = readdirSync(dir);
    expect(files.length, r.out.slice(-2000)).toBe(1);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe('slow\n');
    // The request had under 300 ms left; the grace period is 5 s. Generous margin for a loaded CI machine.
    expect(took).toBeLessThan(2_500);
  }, 30_000);
});
