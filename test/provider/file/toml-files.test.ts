import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProvider } from '../../../src/provider/file/file-provider.js';
import { tomlLineLocator } from '../../../src/config/toml-document.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-toml-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const read = (files: Record<string, string>) => new FileProvider({ directory: directory(files), watch: false }).reload();

// Traefik's documented dynamic TOML shapes: tables, arrays of tables, inline tables, dotted keys.
const TOML = `
[http.routers.api]
  rule = "Host(\`a.example\`) && PathPrefix(\`/api\`)"
  entryPoints = ["websecure"]
  service = "api"
  middlewares = ["strip"]
  priority = 10
  [http.routers.api.tls]
    options = "modern"

[http.middlewares.strip.stripPrefix]
  prefixes = ["/api"]

[http.services.api.loadBalancer]
  passHostHeader = false
  [[http.services.api.loadBalancer.servers]]
    url = "http://127.0.0.1:8081"
  [[http.services.api.loadBalancer.servers]]
    url = "http://127.0.0.1:8082"
  [http.services.api.loadBalancer.healthCheck]
    path = "/health"
    interval = "10s"

[[tls.certificates]]
  certFile = "/certs/a.crt"
  keyFile = "/certs/a.key"

[tls.options.modern]
  minVersion = "VersionTLS13"
`;

const YAML = `
http:
  routers:
    api:
      rule: "Host(\`a.example\`) && PathPrefix(\`/api\`)"
      entryPoints: [websecure]
      service: api
      middlewares: [strip]
      priority: 10
      tls: { options: modern }
  middlewares:
    strip: { stripPrefix: { prefixes: [/api] } }
  services:
    api:
      loadBalancer:
        passHostHeader: false
        servers: [{ url: "http://127.0.0.1:8081" }, { url: "http://127.0.0.1:8082" }]
        healthCheck: { path: /health, interval: 10s }
tls:
  certificates:
    - { certFile: /certs/a.crt, keyFile: /certs/a.key }
  options:
    modern: { minVersion: VersionTLS13 }
`;

describe('dynamic TOML files', () => {
  test('a TOML file gives the same configuration as the same content in YAML', async () => {
    const fromToml = await read({ 'dynamic.toml': TOML });
    const fromYaml = await read({ 'dynamic.yaml': YAML });
    expect(fromToml.errors).toEqual([]);
    expect(Object.keys(fromToml.config.http.routers)).toEqual(['api']);
    expect(fromToml.config).toEqual(fromYaml.config);
  });

  test('a schema error names file, key path and line', async () => {
    const snap = await read({ 'bad.toml': '[http.routers.api]\n  rule = "Host(`a`)"\n  service = "api"\n  servce = "typo"\n' });
    const e = snap.errors.find((x) => x.path === 'http.routers.api.servce');
    expect(e).toMatchObject({ message: 'unknown field', line: 4 });
    expect(e!.source).toMatch(/bad\.toml$/);
  });

  test('a TOML syntax error names file and line, and the other files still apply', async () => {
    const snap = await read({ 'a.toml': '[http.routers.x]\nrule = "Host(`x`)"\nrule = "again"\n', 'b.toml': TOML });
    const e = snap.errors.find((x) => x.source.endsWith('a.toml'));
    expect(e?.message).toMatch(/^TOML: /);
    expect(e?.line).toBe(3);
    expect(Object.keys(snap.config.http.routers)).toEqual(['api']);
  });
});

test('the TOML line locator finds keys under tables, arrays of tables, quoted and dotted keys', () => {
  const text = [
    '[http.routers."my.router"]',
    'rule = "x"',
    'tls.options = "o"',
    '[[tls.certificates]]',
    'certFile = "a"',
    '[[tls.certificates]]',
    "'keyFile' = 'b'",
  ].join('\n');
  const at = tomlLineLocator(text);
  expect(at(['http', 'routers', 'my.router', 'rule'])).toBe(2);
  expect(at(['http', 'routers', 'my.router', 'tls', 'options'])).toBe(3);
  expect(at(['tls', 'certificates', '1', 'keyFile'])).toBe(7);
  expect(at(['tls', 'certificates', '0', 'certFile'])).toBe(5);
  expect(at(['http', 'routers', 'my.router', 'missing'])).toBe(1);
});
