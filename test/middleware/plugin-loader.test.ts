/**
 * The loader on real module files written to a temporary directory: a good
 * plugin loads; every kind of broken one is an error naming the plugin and
 * the file, and the others still load.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugins } from '../../src/middleware/plugin-loader.js';
import { MiddlewareRegistry } from '../../src/middleware/registry.js';
import { recordingService, run } from '../../src/testing/memory-exchange.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portico-plugins-'));
  const files: Record<string, string> = {
    'good.mjs': `export default { type: 'tag', validate: (o) => (typeof o.value === 'string' ? [] : [['value', 'must be a string']]), build: ({ value }) => (next) => (ex) => { ex.requestHeaders['x-tag'] = value; return next(ex); } };`,
    'no-default.mjs': `export const type = 'x';`,
    'wrong-shape.mjs': `export default { type: 'x', build: 1 };`,
    'throws.mjs': `throw new Error('plugin exploded at import');`,
    'syntax.mjs': `export default {{;`,
    'hangs.mjs': `await new Promise(() => {}); export default {};`,
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
});

describe('loadPlugins', () => {
  test('loads a good plugin (path relative to the static config directory) and reports each broken one by name and file', async () => {
    const { types, errors } = await loadPlugins(
      {
        good: { module: './good.mjs' },
        noDefault: { module: './no-default.mjs' },
        wrongShape: { module: './wrong-shape.mjs' },
        throws: { module: './throws.mjs' },
        syntax: { module: './syntax.mjs' },
        missing: { module: './missing.js' },
        typescript: { module: './plugin.ts' },
        noModule: {} as { module: string },
      },
      dir,
    );
    expect(types.map((t) => t.type)).toEqual(['tag']);
    const byName = (n: string) => errors.find((e) => e.startsWith(`experimental.plugins.${n} `) || e.startsWith(`experimental.plugins.${n}:`));
    expect(byName('noDefault')).toBe(
      `experimental.plugins.noDefault (${join(dir, 'no-default.mjs')}): the default export must be a middleware type { type, validate, build } (use defineMiddleware from plugins/sdk); found no default export`,
    );
    expect(byName('wrongShape')).toMatch(/found an object with type, build$/);
    expect(byName('throws')).toMatch(/throws\.mjs\): plugin exploded at import$/);
    expect(byName('syntax')).toMatch(/syntax\.mjs\): .*(unexpected|syntax|token)/i);
    expect(byName('missing')).toMatch(/missing\.js\): no such file; paths are relative to the static configuration file's directory$/);
    expect(byName('typescript')).toMatch(/plugin\.ts\): plugins are loaded as compiled JavaScript/);
    expect(byName('noModule')).toMatch(/^experimental\.plugins\.noModule: set "module"/);
    expect(errors).toHaveLength(7);
  });

  test('a module that never finishes loading is an error after the timeout, not a hang', async () => {
    const started = Date.now();
    const { types, errors } = await loadPlugins({ hangs: { module: join(dir, 'hangs.mjs') } }, '/', { importTimeoutMs: 300 });
    expect(types).toEqual([]);
    expect(errors[0]).toMatch(/hangs\.mjs\): the module did not finish loading within 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a loaded plugin works through the registry, by its type or in Traefik's plugin: shape", async () => {
    const { types } = await loadPlugins({ good: { module: join(dir, 'good.mjs') } }, '/');
    const registry = new MiddlewareRegistry();
    for (const t of types) registry.register(t);
    const ctx = {
      resolve: () => {
        throw new Error('none');
      },
      onDispose: () => {},
    };
    for (const def of [{ tag: { value: 'a' } }, { plugin: { tag: { value: 'a' } } }]) {
      const r = registry.compileMiddleware('t', def as never, ctx);
      if (!('handler' in r)) throw new Error(JSON.stringify(r.errors));
      const svc = recordingService();
      await run(r.handler(svc));
      expect(svc.seen[0]!.headers['x-tag']).toBe('a');
    }
    const bad = registry.compileMiddleware('t', { plugin: { tag: {} } }, ctx);
    expect('errors' in bad && bad.errors).toEqual([['http.middlewares.t.plugin.tag.value', 'must be a string']]);
    const unknown = registry.compileMiddleware('t', { plugin: { nope: {} } }, ctx);
    expect('errors' in unknown && unknown.errors).toEqual([['http.middlewares.t.plugin', 'must name exactly one loaded plugin type (loaded: tag)']]);
  });
});
