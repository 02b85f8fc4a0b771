/**
 * Errors found only when the merged configuration is compiled (a router
 * naming a service no provider defines, a rule that does not parse, a chain
 * naming a missing middleware) name the
 * file and line of the field, as the schema errors found while reading do:
 * in `portico check` (the built CLI) and in a running Portico's /api/errors,
 * for YAML and TOML files alike.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import type { ConfigError } from '../../src/dynamic/model.js';

const YAML = [
  '# routers first',
  'http:',
  '  routers:',
  '    shop:',
  '      rule: Host(`shop.test`)',
  '      service: missing-svc',
  '    broken:',
  '      rule: Host(`broken.test`) &&',
  '      service: ok',
  '  services:',
  '    ok:',
  '      loadBalancer:',
  '        servers:',
  '          - url: http://127.0.0.1:1',
  '  middlewares:',
  '    outer:',
  '      chain:',
  '        middlewares:',
  '          - nope',
  '',
].join('\n');

const TOML = [
  '# a TOML file of the same provider',
  '[http.routers.cart]',
  '  rule = "Host(`cart.test`)"',
  '',
  '  service = "gone"',
  '',
  '[http.routers.cart2]',
  'rule = "Host(`cart2.test`)"',
  'service = "ok"',
  'middlewares = ["outer"]',
  '',
].join('\n');

const cli = resolve('dist/src/cli.js');
const run = (args: string[]) =>
  new Promise<{ code: number; out: string }>((done) =>
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );

describe('compile-time configuration errors carry file:line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-error-lines-'));
  let portico: Harness | undefined;
  const dynamicDir = join(dir, 'dynamic');

  beforeAll(() => {
    // The harness writes its own copies; `portico check` gets a static file naming this directory.
    mkdirSync(dynamicDir);
    writeFileSync(join(dynamicDir, 'routes.yaml'), YAML);
    writeFileSync(join(dynamicDir, 'more.toml'), TOML);
    writeFileSync(join(dir, 'portico.yaml'), `entryPoints:\n  web: { address: "127.0.0.1:0" }\nproviders:\n  file: { directory: dynamic }\n`);
  });
  afterAll(async () => {
    await portico?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('portico check names file:line for a missing service (YAML and TOML) and a bad rule', async () => {
    const { code, out } = await run(['check', '--config', join(dir, 'portico.yaml')]);
    expect(code).toBe(1);
    const yamlFile = join(dynamicDir, 'routes.yaml');
    const tomlFile = join(dynamicDir, 'more.toml');
    expect(out).toContain(`${yamlFile}:6: http.routers.shop@file.service:`);
    expect(out).toContain(`${yamlFile}:8: http.routers.broken@file.rule:`);
    expect(out).toContain(`${tomlFile}:5: http.routers.cart@file.service:`);
    expect(out).toContain(`${yamlFile}:17: http.middlewares.outer@file.chain: no middleware named "nope@file"`);
    expect(out).toMatch(/missing-svc/);
    expect(out).toContain(`${tomlFile}:10: http.routers.cart2@file.middlewares[0]: middleware "outer@file" is invalid`);
  }, 40_000);

  test('/api/errors gives the same file and line', async () => {
    portico = await startPortico(
      { entryPoints: { web: { address: '127.0.0.1:0' }, portico: { address: '127.0.0.1:0' } }, api: { insecure: true } },
      {
        'routes.yaml': YAML,
        'more.toml': TOML,
      },
    );
    const res = await fetch(`http://127.0.0.1:${portico.port('portico')}/api/errors`);
    const errors = (await res.json()) as ConfigError[];
    const at = (path: string) => errors.find((e) => e.path === path);
    expect(at('http.routers.shop@file.service')).toMatchObject({ source: join(portico.dynamicDir, 'routes.yaml'), line: 6 });
    expect(at('http.routers.broken@file.rule')).toMatchObject({ source: join(portico.dynamicDir, 'routes.yaml'), line: 8 });
    expect(at('http.middlewares.outer@file.chain')).toMatchObject({ line: 17 });
    expect(at('http.routers.cart@file.service')).toMatchObject({ source: join(portico.dynamicDir, 'more.toml'), line: 5 });
  });
});
