/** Keys Traefik accepts and Portico does not do are errors naming the key and saying so (issue 10), not silently dropped. */
import { expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProvider } from '../../../src/provider/file/file-provider.js';
import { loadStaticConfig, StaticConfigError } from '../../../src/config/load-static-config.js';

async function errorsOf(name: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'portico-refused-'));
  writeFileSync(join(dir, name), text);
  try {
    return (await new FileProvider({ directory: dir, watch: false }).reload()).errors.map((e) => `${e.path}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dynamic keys Portico does not do are refused with their path, reason and line', async () => {
  const errs = await errorsOf(
    'd.yaml',
    `http:
  routers:
    r:
      rule: Host(\`a\`)
      service: s
      ruleSyntax: v2
      observability: { accessLogs: false }
      tls: { certResolver: le, domains: [{ main: a.example }] }
  services:
    s:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:1" }]
        responseForwarding: { flushInterval: 100ms }
tls:
  stores:
    default: { defaultGeneratedCert: { resolver: le } }
`,
  );
  expect(errs).toEqual(
    expect.arrayContaining([
      'http.routers.r.ruleSyntax (line 6): not supported: only the v3 rule syntax is supported',
      'http.routers.r.observability (line 7): not supported: per-router observability settings are not supported',
      expect.stringMatching(/^http\.services\.s\.loadBalancer\.responseForwarding \(line 13\): /),
      expect.stringMatching(/^tls\.stores\.default\.defaultGeneratedCert \(line 16\): not supported: a default certificate from an ACME resolver/),
    ]),
  );
  // Routers ask ACME resolvers now (src/acme/): tls.certResolver and tls.domains are accepted.
  expect(errs.filter((e) => e.includes('.tls.'))).toEqual([]);
});

// The tcp and udp sections were refused whole until Portico had TCP and UDP routers; now their objects are checked like any other.
test('tcp and udp sections are read, in TOML too, and their refused keys named', async () => {
  expect(await errorsOf('u.toml', '[udp.services.dns.loadBalancer]\n')).toEqual([
    expect.stringMatching(/^udp\.services\.dns\.loadBalancer\.servers( \(line \d\))?: is required$/),
  ]);
  const tcp = await errorsOf(
    't.toml',
    '[tcp.routers.db]\nrule = "HostSNI(`*`)"\nservice = "db"\n\n[tcp.services.db.loadBalancer]\nservers = [{ address = "127.0.0.1:5432" }]\nterminationDelay = 100\n',
  );
  expect(tcp).toEqual([expect.stringMatching(/tcp\.services\.db\.loadBalancer\.terminationDelay.*not supported: terminationDelay is deprecated/)]);
});

test('ruleSyntax v3 (what Portico does) is accepted', async () => {
  expect(await errorsOf('d.yaml', 'http:\n  routers:\n    r: { rule: Host(`a`), service: s, ruleSyntax: v3 }\n')).toEqual([]);
});

test('static keys Portico does not do are refused naming the key', () => {
  try {
    loadStaticConfig({ document: { entryPoints: { web: { address: ':80', transport: { lifeCycle: { requestAcceptGraceTimeout: '5s' } } } } } });
    expect.unreachable();
  } catch (e) {
    expect((e as StaticConfigError).problems).toEqual([
      expect.stringMatching(/entryPoints\.web\.transport\.lifeCycle\.requestAcceptGraceTimeout: not supported: /),
    ]);
  }
});
