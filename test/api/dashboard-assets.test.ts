/**
 * The dashboard's files and their serving, without a browser: which files are
 * public, the precompressed copies, conditional requests and content coding
 * (through the real handler on in-memory exchanges), the certificate expiry
 * states, and the hand-written ES module type-checked against the DOM.
 */
import { describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dashboardDirectory, loadDashboardAssets } from '../../src/api/dashboard-assets.js';
import { createDashboardHandler, isDashboardPath } from '../../src/api/dashboard-handler.js';
import { certificateStatus } from '../../src/api/api-certificates.js';
import { run } from '../../src/testing/memory-exchange.js';

const dir = dashboardDirectory()!;
const assets = loadDashboardAssets(dir);
const handler = createDashboardHandler(assets, 'missing');

describe('dashboard assets', () => {
  test('the page, its stylesheet, module and icon are public; the README and tsconfig are not', () => {
    expect(dir).toBeDefined();
    expect([...assets.keys()].sort()).toEqual(['dashboard.css', 'dashboard.js', 'favicon.svg', 'index.html']);
    const js = assets.get('dashboard.js')!;
    expect(js.contentType).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(js.encoded.get('gzip')!.body)).toEqual(js.identity.body);
    expect(js.encoded.get('gzip')!.body.length).toBeLessThan(js.identity.body.length / 2);
    expect(js.encoded.get('gzip')!.etag).not.toBe(js.identity.etag);
  });

  test('conditional GET, content coding, HEAD, methods, unknown files', async () => {
    const page = await run(handler, { url: '/dashboard/', headers: { 'accept-encoding': 'br, gzip;q=0.5' } });
    expect(page.statusCode).toBe(200);
    expect(page.responseHeaders['content-encoding']).toBe('gzip');
    expect(gunzipSync(page.responseBody).toString()).toBe(readFileSync(join(dir, 'index.html'), 'utf8'));
    const etag = page.responseHeaders.etag as string;
    // A list and a weak form match; another encoding's tag does not.
    expect((await run(handler, { url: '/dashboard/', headers: { 'accept-encoding': 'gzip', 'if-none-match': `"x", W/${etag}` } })).statusCode).toBe(304);
    expect((await run(handler, { url: '/dashboard/', headers: { 'if-none-match': etag } })).statusCode).toBe(200);
    const plain = await run(handler, { url: '/dashboard/dashboard.css', headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(plain.responseHeaders['content-encoding']).toBeUndefined();
    expect(plain.responseBody.toString()).toBe(readFileSync(join(dir, 'dashboard.css'), 'utf8'));
    expect((await run(handler, { url: '/dashboard/', method: 'POST' })).statusCode).toBe(405);
    expect((await run(handler, { url: '/dashboard/index.htm' })).statusCode).toBe(404);
    expect((await run(createDashboardHandler(undefined, 'the files are gone'), { url: '/dashboard/' })).responseBody.toString()).toBe('the files are gone\n');
    expect(isDashboardPath('/dashboards')).toBe(false);
    expect(isDashboardPath('/api/overview')).toBe(false);
  });

  test('certificate status: expiring at 30 days or a third of a short lifetime, expired before or after validity', () => {
    const day = 86_400_000;
    const now = Date.UTC(2026, 0, 1);
    const at = (days: number) => new Date(now + days * day);
    expect(certificateStatus(at(-60), at(31), now)).toBe('valid');
    expect(certificateStatus(at(-60), at(29), now)).toBe('expiring');
    // A 6-day certificate is not "expiring" all its life: a third of it is 2 days.
    expect(certificateStatus(at(-1), at(5), now)).toBe('valid');
    expect(certificateStatus(at(-5), at(1), now)).toBe('expiring');
    expect(certificateStatus(at(-90), at(-1), now)).toBe('expired');
    expect(certificateStatus(at(1), at(90), now)).toBe('expired');
  });

  test('dashboard.js type-checks against the DOM (tsc -p dashboard/tsconfig.json)', async () => {
    const result = await new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(dir, 'tsconfig.json')], { timeout: 60_000 }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 70_000);
});
