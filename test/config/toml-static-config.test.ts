import { expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStaticConfig, StaticConfigError } from '../../src/config/load-static-config.js';

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-static-toml-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof StaticConfigError) return e.problems;
    throw e;
  }
  return [];
};

test('a TOML static file is read like the same YAML file', () => {
  const toml = file(
    'portico.toml',
    `[entryPoints.web]
  address = ":8080"
  [entryPoints.web.http.redirections.entryPoint]
    to = "websecure"
    scheme = "https"
[entryPoints.websecure]
  address = ":8443"
  [entryPoints.websecure.http.tls]
  [entryPoints.websecure.http3]
    advertisedPort = 443
[log]
  level = "debug"
[providers.file]
  directory = "dynamic"
  watch = true
`,
  );
  const yaml = file(
    'portico.yaml',
    `entryPoints:
  web:
    address: ":8080"
    http: { redirections: { entryPoint: { to: websecure, scheme: https } } }
  websecure:
    address: ":8443"
    http: { tls: {} }
    http3: { advertisedPort: 443 }
log: { level: debug }
providers: { file: { directory: dynamic, watch: true } }
`,
  );
  const fromToml = loadStaticConfig({ file: toml });
  const fromYaml = loadStaticConfig({ file: yaml });
  expect(fromToml.entryPoints.websecure!.http3).toEqual({ enabled: true, advertisedPort: 443 });
  expect(fromToml.log.level).toBe('debug');
  // Same content, same result (the file provider directory resolves next to each file: compare names only).
  expect({ ...fromToml, baseDir: '', providers: {} }).toEqual({ ...fromYaml, baseDir: '', providers: {} });
  expect(fromToml.providers.file!.directory!.endsWith('/dynamic')).toBe(true);
});

test('TOML static errors name file, line and key', () => {
  const p = file('portico.toml', '[entryPoints.web]\naddress = ":80"\n\n[log]\nlevel = "loud"\n[entryPoints.web.transport]\nbogus = 1\n');
  const errs = problems(() => loadStaticConfig({ file: p }));
  expect(errs).toContain(`${p}:5: log.level: must be equal to one of the allowed values`);
  expect(errs).toContain(`${p}:7: entryPoints.web.transport.bogus: unknown option`);
});

test('a TOML syntax error names file and line', () => {
  const p = file('portico.toml', '[entryPoints.web]\naddress = ":80"\naddress = ":81"\n');
  const errs = problems(() => loadStaticConfig({ file: p }));
  expect(errs).toHaveLength(1);
  expect(errs[0]).toMatch(new RegExp(`^${p.replaceAll('.', '\\.')}:3: TOML: `));
});

test('YAML static schema errors now name the line too', () => {
  const p = file('portico.yaml', 'entryPoints:\n  web:\n    address: ":80"\n    adress: ":81"\n');
  expect(problems(() => loadStaticConfig({ file: p }))).toEqual([`${p}:4: entryPoints.web.adress: unknown option`]);
});
