/**
 * Headless Chromium forced onto QUIC loads a page with sub-resources through
 * Portico; the browser's own Resource Timing says every request went over h3.
 * The certificate is Portico's generated default, accepted by SPKI pin.
 * Run over each QUIC transport (quiche, and our own stack: `http3.quic:
 * portico`), each with a fresh browser profile.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { generatedDefaultCertificate } from '../../src/tls/generated-default-certificate.js';

/** Retries sent by the entrypoint's QUIC listener (the server's private map of HTTP/3 listeners). */
const retriesSent = (p: Harness) =>
  (p.server as unknown as { h3: Map<string, { counters: { retriesSent: number } }> }).h3.get('websecure')!.counters.retriesSent;

for (const [quic, retry] of [
  ['quiche', undefined],
  ['portico', undefined],
  ['portico', 'always'],
] as const) {
  describe(`Chromium over ${quic}${retry ? `, http3.retry: ${retry}` : ''}`, () => {
    let p: Harness;
    let site: http.Server;
    let browser: BrowserContext;

    beforeAll(async () => {
      site = http.createServer((req, res) => {
        if (req.url === '/') {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<!doctype html><link rel="stylesheet" href="/style.css"><script src="/app.js"></script><img src="/logo.svg"><p id="p">loading</p>');
        }
        if (req.url === '/style.css') return res.writeHead(200, { 'content-type': 'text/css' }).end('p { color: green }');
        if (req.url === '/app.js')
          return res
            .writeHead(200, { 'content-type': 'text/javascript' })
            .end('addEventListener("load", () => { document.getElementById("p").textContent = "loaded"; });');
        if (req.url === '/logo.svg')
          return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
        res.writeHead(404).end();
      });
      await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
      p = await startPortico(
        // `:0` = both address families: Chromium resolves localhost to ::1 first.
        { entryPoints: { websecure: { address: ':0', http: { tls: {} }, http3: { enabled: true, quic, ...(retry ? { retry } : {}) } } } },
        {
          'r.yaml': `http:\n  routers:\n    site: { rule: PathPrefix(\`/\`), service: site }\n  services:\n    site: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${(site.address() as AddressInfo).port}" }] } }\n`,
        },
      );
      await p.server.nextApply(1);
      const spki = (await generatedDefaultCertificate()).spkiSha256Base64;
      // A fresh profile directory per run (playwright passes it as --user-data-dir).
      browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'portico-chromium-')), {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--enable-quic',
          `--origin-to-force-quic-on=localhost:${p.port('websecure')}`,
          `--ignore-certificate-errors-spki-list=${spki}`,
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await p?.stop();
      site?.close();
    });

    test('a page and its sub-resources load over HTTP/3', async () => {
      const page = await browser.newPage();
      const response = await page.goto(`https://localhost:${p.port('websecure')}/`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      // Strings, not functions: they run in the page, whose DOM types this Node project does not load.
      await page.waitForFunction(`document.getElementById('p')?.textContent === 'loaded'`);
      const protocols = await page.evaluate<Array<[string, string]>>(
        `[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => [new URL(e.name).pathname, e.nextHopProtocol])`,
      );
      // The page and its three sub-resources (Chromium may add /favicon.ico).
      const paths = new Set(protocols.map(([path]) => path));
      for (const want of ['/', '/app.js', '/logo.svg', '/style.css']) expect(paths.has(want), want).toBe(true);
      for (const [path, proto] of protocols) expect(proto, path).toBe('h3');
      // With Retry on, the browser's first Initial got a Retry and it came back with the token.
      if (retry) expect(retriesSent(p)).toBeGreaterThanOrEqual(1);
      else expect(retriesSent(p)).toBe(0);
    }, 60_000);
  });
}
