/**
 * The access log against a real Portico and real clients: Traefik's JSON
 * fields for HTTP/1.1, HTTP/2 and HTTP/3 requests to a real backend, field and
 * header selection (keep, drop, redact), filters, the common format with
 * buffering, and log rotation (rename the file, SIGUSR1, a new file) on the
 * built `portico` process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, spawnPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { freePort } from '../support/free-port.js';
import { h3Request } from '../middleware/support/h3-request.js';
import { h1Request, h2Request } from './support/clients.js';

const work = mkdtempSync(join(tmpdir(), 'portico-access-log-'));
let backend: Backend;

const routes = (url: string) => `
http:
  routers:
    app: { rule: "PathPrefix(\`/\`)", service: app }
  services:
    app:
      loadBalancer: { servers: [{ url: "${url}" }] }
`;

/** Lines of the file once at least `n` are there (the log is written asynchronously). */
async function lines(file: string, n: number, timeoutMs = 5000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let got: string[] = [];
  while (Date.now() < end) {
    got = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

beforeAll(async () => {
  backend = await startBackend('access-log-backend');
});

afterAll(async () => {
  await backend?.close();
});

describe('JSON format, Traefik fields', () => {
  let p: Harness;
  const file = join(work, 'json.log');

  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: {} } },
        accessLog: {
          filePath: file,
          format: 'json',
          fields: { names: { StartLocal: 'drop' }, headers: { defaultMode: 'drop', names: { 'User-Agent': 'keep', Authorization: 'redact' } } },
        },
      },
      { 'routes.yaml': routes(backend.url) },
    );
  });
  afterAll(() => p?.stop());

  test('h1, h2 and h3 requests each give one line with service, origin, TLS and client fields', async () => {
    const port = p.port('websecure');
    const headers = { 'user-agent': 'obs-test', authorization: 'Bearer secret-token', cookie: 'a=b' };
    expect((await h1Request(port, '/status?code=201', { headers })).status).toBe(201);
    expect((await h2Request(port, '/status?code=202', { headers })).status).toBe(202);
    expect((await h3Request(port, '/status?code=203', { headers: Object.entries(headers) })).status).toBe(203);
    const entries = (await lines(file, 3)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toHaveLength(3);
    const byProtocol = new Map(entries.map((e) => [e.RequestProtocol, e]));
    const backendAddr = new URL(backend.url).host;
    for (const [protocol, status] of [
      ['HTTP/1.1', 201],
      ['HTTP/2.0', 202],
      ['HTTP/3.0', 203],
    ] as const) {
      const e = byProtocol.get(protocol)!;
      expect(e, protocol).toMatchObject({
        RequestMethod: 'GET',
        RequestPath: `/status?code=${status}`,
        RequestHost: 'localhost',
        RequestPort: String(port),
        RequestAddr: `localhost:${port}`,
        RequestScheme: 'https',
        DownstreamStatus: status,
        OriginStatus: status,
        // The backend's body is "status\n".
        DownstreamContentSize: 7,
        OriginContentSize: 7,
        RouterName: 'app@file',
        ServiceName: 'app@file',
        ServiceURL: backend.url,
        ServiceAddr: backendAddr,
        entryPointName: 'websecure',
        ClientHost: '127.0.0.1',
        RetryAttempts: 0,
        TLSVersion: '1.3',
        'request_User-Agent': 'obs-test',
        request_Authorization: 'REDACTED',
        level: 'info',
      });
      expect(e.ClientAddr).toBe(`127.0.0.1:${e.ClientPort}`);
      expect(e.request_Cookie, 'headers are dropped unless kept').toBeUndefined();
      expect(e.StartLocal, 'a field dropped by name').toBeUndefined();
      expect(typeof e.StartUTC).toBe('string');
      expect(e.Duration as number).toBeGreaterThan(0);
      expect(e.OriginDuration as number).toBeGreaterThan(0);
      expect(e.OriginDuration as number).toBeLessThanOrEqual(e.Duration as number);
      expect(e.Overhead).toBe((e.Duration as number) - (e.OriginDuration as number));
      expect(e.TraceId, 'no trace without tracing').toBeUndefined();
    }
    expect(byProtocol.get('HTTP/1.1')!.TLSCipher).toMatch(/^TLS_AES_/);
    expect(byProtocol.get('HTTP/2.0')!.TLSCipher).toMatch(/^TLS_AES_/);
    const counts = entries.map((e) => e.RequestCount as number).sort((a, b) => a - b);
    expect(counts[2]! - counts[0]!).toBe(2);
  }, 30_000);
});

describe('filters and the common format with buffering', () => {
  let p: Harness;
  const file = join(work, 'common.log');

  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { web: { address: '127.0.0.1:0' } },
        accessLog: { filePath: file, bufferingSize: 2, filters: { statusCodes: ['404', '500-502'], minDuration: '300ms' } },
      },
      { 'routes.yaml': routes(backend.url) },
    );
  });
  afterAll(() => p?.stop());

  test('only exchanges a filter keeps are written, in Traefik common format, two lines at a time', async () => {
    const port = p.port('web');
    const get = (path: string) => h1Request(port, path, { plain: true, headers: { 'user-agent': 'clf-test', referer: 'http://ref.example/' } });
    expect((await get('/status?code=200')).status).toBe(200); // no filter matches
    expect((await get('/status?code=404')).status).toBe(404); // statusCodes
    // bufferingSize 2: one kept line is held (at most a second), not yet written.
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe('');
    expect((await get('/status?code=501')).status).toBe(501); // a range
    expect((await get('/slow?ms=400')).status).toBe(200); // minDuration
    const got = await lines(file, 3);
    expect(got).toHaveLength(3);
    const clf =
      /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET (\S+) HTTP\/1\.1" (\d{3}) (\d+|-) "http:\/\/ref\.example\/" "clf-test" (\d+) "app@file" "([^"]+)" (\d+)ms$/;
    const parsed = got.map((l) => clf.exec(l));
    expect(parsed.every(Boolean), got.join('\n')).toBe(true);
    expect(parsed.map((m) => [m![1], m![2]])).toEqual([
      ['/status?code=404', '404'],
      ['/status?code=501', '501'],
      ['/slow?ms=400', '200'],
    ]);
    expect(parsed[0]![5]).toBe(backend.url);
    expect(Number(parsed[2]![6])).toBeGreaterThanOrEqual(300);
    // RequestCount counts every exchange, logged or not: the 404 was the second.
    expect(Number(parsed[0]![4])).toBe(2);
  }, 30_000);
});

describe('log rotation', () => {
  test('after the file is renamed, SIGUSR1 makes Portico write to a new file at the same path', async () => {
    const dir = mkdtempSync(join(work, 'rotate-'));
    const file = join(dir, 'access.log');
    const port = await freePort();
    writeFileSync(join(dir, 'routes.yaml'), routes(backend.url));
    const config = join(dir, 'portico.yaml');
    writeFileSync(
      config,
      `entryPoints:\n  websecure: { address: "127.0.0.1:${port}", http: { tls: {} }, http3: {} }\nproviders:\n  file: { filename: ${join(dir, 'routes.yaml')} }\naccessLog: { filePath: ${file}, format: json }\n`,
    );
    const proc = await spawnPortico(config);
    try {
      expect((await h1Request(port, '/status?code=200&n=1')).status).toBe(200);
      expect(await lines(file, 1)).toHaveLength(1);
      renameSync(file, `${file}.1`);
      // Renamed but not reopened: the process still writes to the old file (what logrotate's postrotate fixes).
      expect((await h2Request(port, '/status?code=200&n=2')).status).toBe(200);
      expect(await lines(`${file}.1`, 2)).toHaveLength(2);
      expect(proc.signal('SIGUSR1')).toBe(true);
      // The reopen happens on the signal; give it a moment, then the next request goes to the new file.
      await new Promise((r) => setTimeout(r, 300));
      expect((await h3Request(proc.udpPort, '/status?code=200&n=3')).status).toBe(200);
      const fresh = await lines(file, 1);
      expect(fresh.map((l) => JSON.parse(l).RequestPath)).toEqual(['/status?code=200&n=3']);
      expect(JSON.parse(fresh[0]!).RequestProtocol).toBe('HTTP/3.0');
      expect((await lines(`${file}.1`, 2)).map((l) => JSON.parse(l).RequestPath)).toEqual(['/status?code=200&n=1', '/status?code=200&n=2']);
      // SIGUSR1 did not stop the process (nor open Node's inspector in its place): it still serves.
      expect(proc.log()).not.toMatch(/Debugger listening/);
      expect((await h1Request(port, '/status?code=204')).status).toBe(204);
    } finally {
      await proc.kill('SIGTERM');
    }
  }, 60_000);
});
