/** The API is off unless asked for; ping, metrics and the API answer only where configured; the access log records exchanges. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

const route = `http:\n  routers:\n    who: { rule: PathPrefix(\`/\`), entryPoints: [websecure], service: whoami@internal }\n`;

describe('API off by default', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startPortico({ entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } }, { 'r.yaml': route });
    await p.server.nextApply(1);
  });
  afterAll(() => p?.stop());

  test('no /api, /metrics or /ping anywhere unless configured', async () => {
    const port = p.port('websecure');
    for (const path of ['/api/overview', '/api/rawdata', '/metrics', '/ping']) {
      const r = await curl([`https://127.0.0.1:${port}${path}`]);
      // The catch-all user router answers (whoami), never the internal services.
      expect(r.body, path).toMatch(/^Hostname: /);
    }
  });
});

describe('internal entrypoint with api, ping and metrics; access log', () => {
  let p: Harness;
  const logDir = mkdtempSync(join(tmpdir(), 'portico-access-'));
  const logFile = join(logDir, 'access.log');
  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } }, admin: { address: '127.0.0.1:0' } },
        api: { insecure: true, entryPoint: 'admin' },
        ping: { entryPoint: 'admin' },
        metrics: { prometheus: { entryPoint: 'admin' } },
        accessLog: { filePath: logFile, format: 'json' },
      },
      { 'r.yaml': route },
    );
    await p.server.nextApply(1);
  });
  afterAll(() => p?.stop());

  test('ping, API and metrics on the internal entrypoint only; user routers do not attach to it', async () => {
    const admin = p.port('admin');
    expect((await curl([`http://127.0.0.1:${admin}/ping`])).body).toBe('OK');
    const overview = JSON.parse((await curl([`http://127.0.0.1:${admin}/api/overview`])).body);
    expect(overview.http.routers.total).toBeGreaterThanOrEqual(1);
    const routers = JSON.parse((await curl([`http://127.0.0.1:${admin}/api/http/routers`])).body) as Array<{ name: string; status: string }>;
    expect(routers.find((r) => r.name === 'who@file')?.status).toBe('enabled');
    expect((await curl([`http://127.0.0.1:${admin}/anything`])).status).toBe(404);
    await curl([`https://127.0.0.1:${p.port('websecure')}/count-me`]);
    const metrics = (await curl([`http://127.0.0.1:${admin}/metrics`])).body;
    expect(metrics).toMatch(/portico_entrypoint_requests_total\{entrypoint="websecure",protocol="HTTP\/2\.0",code="200"\} [1-9]/);
    expect(metrics).toMatch(/portico_config_reloads_total [1-9]/);
  });

  test('access log has one JSON line per exchange with Traefik field names', async () => {
    await curl([`https://127.0.0.1:${p.port('websecure')}/logged?x=1`, '-A', 'test-agent']);
    await new Promise((r) => setTimeout(r, 200));
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const entry = lines.find((l) => l.RequestPath === '/logged?x=1');
    expect(entry).toMatchObject({
      RequestMethod: 'GET',
      RequestProtocol: 'HTTP/2.0',
      DownstreamStatus: 200,
      RouterName: 'who@file',
      entryPointName: 'websecure',
      ClientHost: '127.0.0.1',
    });
    expect(entry.Duration).toBeGreaterThan(0);
  });
});
