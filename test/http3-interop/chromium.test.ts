/**
 * Headless Chromium forced onto QUIC loads a page with sub-resources through
 * Portico; the browser's own Resource Timing says every request went over h3.
 * The certificate is Portico's generated default, accepted by SPKI pin.
 * Run over each QUIC transport (quiche, and our own stack, the default: no
 * `http3.quic` key), each with a fresh browser profile; on the default,
 * issue 8's proof: the page loaded ten times, each from a fresh profile,
 * every request over h3.
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

/** Counters of the entrypoint's QUIC listener (the server's private map of HTTP/3 listeners). */
const quicCounters = (p: Harness) =>
  (p.server as unknown as { h3: Map<string, { counters: { retriesSent: number; connectionsAccepted: number } }> }).h3.get('websecure')!.counters;
const retriesSent = (p: Harness) => quicCounters(p).retriesSent;

for (const [quic, retry, loads] of [
  ['quiche', undefined, 1],
  [undefined, undefined, 10],
  [undefined, 'always', 1],
] as const) {
  describe(`Chromium over ${quic ?? 'the default QUIC (ours)'}${retry ? `, http3.retry: ${retry}` : ''}`, () => {
    let p: Harness;
    let site: http.Server;
    let spki: string;

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
        { entryPoints: { websecure: { address: ':0', http: { tls: {} }, http3: { enabled: true, ...(quic ? { quic } : {}), ...(retry ? { retry } : {}) } } } },
        {
          'r.yaml': `http:\n  routers:\n    site: { rule: PathPrefix(\`/\`), service: site }\n  services:\n    site: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${(site.address() as AddressInfo).port}" }] } }\n`,
        },
      );
      await p.server.nextApply(1);
      spki = (await generatedDefaultCertificate()).spkiSha256Base64;
    }, 60_000);

    afterAll(async () => {
      await p?.stop();
      site?.close();
    });

    /** A browser with a fresh profile directory (playwright passes it as --user-data-dir): no cached Alt-Svc, session or connection. */
    const freshBrowser = (): Promise<BrowserContext> =>
      chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'portico-chromium-')), {
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

    test(
      `a page and its sub-resources load over HTTP/3${loads > 1 ? `, ${loads} times from fresh profiles` : ''}`,
      async () => {
        for (let load = 1; load <= loads; load++) {
          const browser = await freshBrowser();
          try {
            await loadOverH3(browser);
          } finally {
            await browser.close();
          }
        }
        // Every fresh profile opened a QUIC connection of its own (nothing carried over from the last browser).
        expect(quicCounters(p).connectionsAccepted).toBeGreaterThanOrEqual(loads);
        // With Retry on, the browser's first Initial got a Retry and it came back with the token.
        if (retry) expect(retriesSent(p)).toBeGreaterThanOrEqual(1);
        else expect(retriesSent(p)).toBe(0);
      },
      60_000 * loads,
    );

    async function loadOverH3(browser: BrowserContext): Promise<void> {
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
    }
  });
}
