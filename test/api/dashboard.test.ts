/**
 * The dashboard against one real Portico (api.insecure on an admin entrypoint,
 * and api@internal behind a user router) and one headless Chromium: the
 * routers of the running configuration render, a router added to the file
 * provider's directory appears without a reload, an invalid middleware shows
 * its error with file and line, a service whose health check fails shows the
 * server down, keyboard navigation reaches every page, certificates show their
 * expiry, and the page fits a narrow window and follows dark mode. HTTP side:
 * redirects, Content-Type, CSP, ETag/304 and precompressed bodies.
 *
 * PORTICO_DASHBOARD_SCREENSHOTS=docs/images writes the documentation's
 * screenshots (otherwise they go to a temporary directory and are only checked
 * to be real PNGs).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { freePort } from '../support/free-port.js';
import { TestPki } from '../support/pki.js';

/** A GET with exactly the headers given (fetch would add and undo Accept-Encoding). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
  });
}

const NAV = [
  '#/',
  '#/entrypoints',
  '#/http/routers',
  '#/http/services',
  '#/http/middlewares',
  '#/tcp/routers',
  '#/tcp/services',
  '#/tcp/middlewares',
  '#/udp/routers',
  '#/udp/services',
  '#/certificates',
  '#/errors',
];

describe('dashboard', () => {
  let p: Harness;
  let backend: Backend;
  let downUrl: string;
  let browser: Browser;
  let page: Page;
  let base: string;
  let badLine: number;
  const shots = process.env.PORTICO_DASHBOARD_SCREENSHOTS
    ? resolve(process.env.PORTICO_DASHBOARD_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), 'portico-dashboard-'));

  beforeAll(async () => {
    backend = await startBackend();
    downUrl = `http://127.0.0.1:${await freePort()}`;
    const cert = new TestPki().issue('app', ['app.test', 'www.app.test']);
    const dynamic = `http:
  routers:
    app:
      rule: Host(\`app.test\`) && PathPrefix(\`/shop\`)
      entryPoints: [web]
      middlewares: [add-prefix]
      service: pool
      tls: {}
    blog:
      rule: Host(\`blog.test\`)
      entryPoints: [web]
      service: pool
    uses-broken:
      rule: Host(\`broken.test\`)
      entryPoints: [web]
      middlewares: [two-kinds]
      service: pool
    dash:
      rule: PathPrefix(\`/dashboard\`) || PathPrefix(\`/api\`)
      entryPoints: [web]
      service: api@internal
    prefixed:
      rule: PathPrefix(\`/portico/\`)
      entryPoints: [web]
      middlewares: [strip-portico]
      service: api@internal
  services:
    pool:
      loadBalancer:
        servers: [{ url: "${backend.url}" }, { url: "${downUrl}" }]
        healthCheck: { path: /status?code=200, interval: 200ms, timeout: 1s }
  middlewares:
    add-prefix:
      addPrefix: { prefix: /v1 }
    strip-portico:
      stripPrefix: { prefixes: [/portico] }
    two-kinds:
      addPrefix: { prefix: /v2 }
      stripPrefix: { prefixes: [/x] }
tls:
  certificates:
    - { certFile: "${cert.certFile}", keyFile: "${cert.keyFile}" }
`;
    badLine = dynamic.split('\n').indexOf('    two-kinds:') + 1;
    p = await startPortico(
      { entryPoints: { web: { address: '127.0.0.1:0' }, admin: { address: '127.0.0.1:0' } }, api: { insecure: true, entryPoint: 'admin' } },
      { 'dyn.yaml': dynamic },
    );
    await p.server.nextApply(1);
    base = `http://127.0.0.1:${p.port('admin')}`;
    // Bounded wait until the health check has marked the closed port DOWN.
    const end = Date.now() + 10_000;
    while (Date.now() < end && JSON.parse((await get(`${base}/api/http/services/pool@file`)).body.toString()).serverStatus?.[downUrl] !== 'DOWN')
      await new Promise((r) => setTimeout(r, 100));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    mkdirSync(shots, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await p?.stop();
    await backend?.close();
  });

  test('HTTP: redirects to /dashboard/, Content-Type, CSP, ETag and 304, precompressed, unknown files 404', async () => {
    const root = await get(`${base}/`);
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('dashboard/');
    expect((await get(`${base}/dashboard`)).headers.location).toBe('dashboard/');
    const html = await get(`${base}/dashboard/`);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toMatch(/^default-src 'self';/);
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    expect(html.headers['cache-control']).toBe('no-cache');
    expect(html.body.toString()).toContain('<script type="module" src="dashboard.js">');
    const etag = html.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(`${base}/dashboard/`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const js = await get(`${base}/dashboard/dashboard.js`, { 'accept-encoding': 'gzip' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(js.body).toString()).toBe(readFileSync('dashboard/dashboard.js', 'utf8'));
    expect(js.headers.etag).not.toBe((await get(`${base}/dashboard/dashboard.js`)).headers.etag);
    expect((await get(`${base}/dashboard/dashboard.css`)).headers['content-type']).toBe('text/css; charset=utf-8');
    for (const hidden of ['/dashboard/tsconfig.json', '/dashboard/README.md', '/dashboard/nope.js', '/dashboard/../package.json'])
      expect((await get(`${base}${hidden}`)).status, hidden).toBe(404);
    // Behind a user router on another entrypoint, api@internal serves the dashboard too.
    const viaUser = await get(`http://127.0.0.1:${p.port('web')}/dashboard/`);
    expect(viaUser.status).toBe(200);
    expect(viaUser.headers.etag).toBe(etag);
  });

  test('under a prefix: a router with stripPrefix in front of api@internal serves the page, its redirect and the API it reads', async () => {
    const web = `http://127.0.0.1:${p.port('web')}`;
    const redirect = await get(`${web}/portico/dashboard`);
    expect(redirect.status).toBe(301);
    expect(new URL(redirect.headers.location!, `${web}/portico/dashboard`).pathname).toBe('/portico/dashboard/');
    expect((await get(`${web}/portico/dashboard/`)).headers['content-type']).toBe('text/html; charset=utf-8');
    expect(JSON.parse((await get(`${web}/portico/api/version`)).body.toString()).Version).toMatch(/^\d+\./);
    await page.goto(`${web}/portico/dashboard/#/http/routers`);
    await page.locator('td[data-label="Name"]').getByRole('link', { name: 'prefixed@file', exact: true }).waitFor({ timeout: 10_000 });
  });

  test('/api/certificates: the served certificates with expiry, the default included, never the key', async () => {
    const certs = JSON.parse((await get(`${base}/api/certificates`)).body.toString()) as Array<Record<string, unknown>>;
    const app = certs.find((c) => c.name === 'app.test');
    expect(app).toMatchObject({ sans: ['app.test', 'www.app.test'], issuer: 'CN=Portico Test CA', status: 'valid', default: false, keyType: 'ec' });
    expect(Date.parse(app!.notAfter as string) - Date.now()).toBeGreaterThan(86_400_000);
    expect(certs.filter((c) => c.default)).toHaveLength(1);
    expect(JSON.stringify(certs)).not.toMatch(/PRIVATE KEY|keyPem/);
    expect(JSON.parse((await get(`${base}/api/certificates?search=WWW.APP`)).body.toString()).map((c: { name: string }) => c.name)).toEqual(['app.test']);
  });

  test('overview renders the counts, and the routers page the routers of the running config', async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    await page.getByRole('link', { name: 'HTTP routers' }).first().waitFor();
    const routers = JSON.parse((await get(`${base}/api/http/routers`)).body.toString()) as Array<{ name: string }>;
    await expect.poll(() => page.locator('.card', { hasText: 'HTTP routers' }).locator('.big').textContent(), { timeout: 10_000 }).toBe(String(routers.length));
    await page.screenshot({ path: join(shots, 'dashboard-overview.png') });

    await page.goto(`${base}/dashboard/?refresh=1#/http/routers`);
    const table = page.getByRole('table');
    await table.waitFor();
    const names = table.locator('td[data-label="Name"]');
    for (const { name } of routers) await expect.poll(() => names.getByRole('link', { name, exact: true }).count(), { timeout: 5_000 }).toBe(1);
    const app = table.getByRole('row', { name: /app@file/ });
    expect(await app.textContent()).toContain('Host(`app.test`) && PathPrefix(`/shop`)');
    expect(await app.textContent()).toContain('add-prefix@file');
    expect(await app.textContent()).toContain('options: default');
    // The name links to the router's own API URL: its raw configuration.
    expect(await names.getByRole('link', { name: 'app@file', exact: true }).getAttribute('href')).toBe('../api/http/routers/app%40file');
    expect(await app.getByRole('link', { name: 'pool@file', exact: true }).getAttribute('href')).toBe('../api/http/services/pool%40file');
    await page.screenshot({ path: join(shots, 'dashboard-routers.png'), fullPage: true });
  });

  test('a router added to the file provider appears without a reload', async () => {
    await page.goto(`${base}/dashboard/?refresh=1#/http/routers`);
    await page.getByRole('table').waitFor();
    await page.evaluate('window.portico_same_document = true');
    await p.writeDynamic('late.yaml', `http:\n  routers:\n    late:\n      rule: Path(\`/late\`)\n      entryPoints: [web]\n      service: pool\n`);
    await page.locator('td[data-label="Name"]').getByRole('link', { name: 'late@file', exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.portico_same_document')).toBe(true);
  });

  test('an invalid middleware shows its error with file and line', async () => {
    await page.goto(`${base}/dashboard/#/errors`);
    const row = page.getByRole('row', { name: /two-kinds/ }).first();
    await row.waitFor({ timeout: 10_000 });
    const text = await row.textContent();
    expect(text).toContain(`${join(p.dynamicDir, 'dyn.yaml')}:${badLine}`);
    expect(text).toContain('must have exactly one type key');
    // The navigation counts the errors.
    expect(Number(await page.locator('#error-count').textContent())).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(shots, 'dashboard-errors.png'), fullPage: true });
  });

  test('a service with a failing health check shows that server down', async () => {
    await page.goto(`${base}/dashboard/#/http/services`);
    const row = page.getByRole('row', { name: /pool@file/ });
    await row.waitFor({ timeout: 10_000 });
    const servers = row.getByRole('listitem').filter({ hasText: '127.0.0.1' });
    expect(await servers.filter({ hasText: downUrl }).locator('.status').textContent()).toBe('DOWN');
    expect(await servers.filter({ hasText: backend.url }).locator('.status').textContent()).toBe('UP');
    await page.screenshot({ path: join(shots, 'dashboard-services.png'), fullPage: true });
  });

  test('certificates page lists the certificate with its expiry and the default one', async () => {
    await page.goto(`${base}/dashboard/#/certificates`);
    const row = page.getByRole('row', { name: /app\.test/ }).first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/in [01] days/);
    expect(await page.getByRole('table').textContent()).toContain('(default certificate)');
  });

  test('keyboard: Tab reaches every page link, Enter opens each page', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.getByRole('table').or(page.locator('.card').first()).first().waitFor();
    const reached = new Set<string>();
    for (let i = 0; i < 30 && reached.size < NAV.length; i++) {
      await page.keyboard.press('Tab');
      const href = await page.evaluate('document.activeElement?.closest("nav") ? document.activeElement.getAttribute("href") : null');
      if (typeof href === 'string') reached.add(href);
    }
    expect([...reached].sort()).toEqual([...NAV].sort());
    for (const href of NAV) {
      const link = page.locator(`nav a[href="${href}"]`);
      await link.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => link.getAttribute('aria-current')).toBe('page');
      expect(await page.locator('h1').textContent()).toBe(await link.evaluate((a) => (a.firstChild as { textContent: string | null }).textContent?.trim()));
      // Focus moved to the page for the next Tab.
      if (href !== '#/') expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    }
  });

  test('when the API stops answering the page says so (once, as an alert), keeps what it showed, and recovers', async () => {
    await page.goto(`${base}/dashboard/?refresh=1#/http/routers`);
    const names = page.locator('td[data-label="Name"]');
    await names.getByRole('link', { name: 'app@file', exact: true }).waitFor();
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toMatch(/^Cannot reach the API/);
    expect(await names.getByRole('link', { name: 'app@file', exact: true }).count()).toBe(1);
    await page.unroute('**/api/**');
    await expect.poll(() => page.locator('#refresh').textContent(), { timeout: 10_000 }).toMatch(/^Updated /);
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  test('a narrow window has no sideways scroll; dark mode follows prefers-color-scheme', async () => {
    const narrow = await browser.newPage({ viewport: { width: 380, height: 800 } });
    await narrow.goto(`${base}/dashboard/#/`);
    await narrow.locator('.card').first().waitFor();
    expect(await narrow.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const light = await narrow.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    await narrow.emulateMedia({ colorScheme: 'dark' });
    const dark = await narrow.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    expect(dark).not.toBe(light);
    await narrow.goto(`${base}/dashboard/#/http/routers`);
    await narrow.getByRole('table').waitFor();
    await narrow.screenshot({ path: join(shots, 'dashboard-dark-routers.png') });
    await narrow.close();
    for (const name of ['overview', 'routers', 'errors'])
      expect(
        readFileSync(join(shots, `dashboard-${name}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
  });
});

describe('api.dashboard: false', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startPortico(
      { entryPoints: { web: { address: '127.0.0.1:0' }, admin: { address: '127.0.0.1:0' } }, api: { insecure: true, entryPoint: 'admin', dashboard: false } },
      { 'r.yaml': `http:\n  routers:\n    api:\n      rule: PathPrefix(\`/\`)\n      entryPoints: [web]\n      service: api@internal\n` },
    );
    await p.server.nextApply(1);
  });
  afterAll(() => p?.stop());

  test('no dashboard router on the internal entrypoint, and api@internal answers its paths as the API (404)', async () => {
    const admin = `http://127.0.0.1:${p.port('admin')}`;
    expect((await get(`${admin}/`)).status).toBe(404);
    expect((await get(`${admin}/dashboard/`)).status).toBe(404);
    expect((await get(`${admin}/api/version`)).status).toBe(200);
    const viaUser = await get(`http://127.0.0.1:${p.port('web')}/dashboard/`);
    expect(viaUser.status).toBe(404);
    expect(viaUser.headers['content-type']).toBe('application/json');
    expect((await get(`http://127.0.0.1:${p.port('web')}/`)).status).toBe(404);
  });
});
