/**
 * scripts/check-import-cycles.ts on fixture trees written to a temp folder
 * (never src/): a cycle between two folders through their subfolders fails
 * the check, the same imports without the way back pass, and quic/ and
 * http3/ subfolders are units of their own.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { checkImports, unitOf } from '../../scripts/check-import-cycles.js';

const exec = promisify(execFile);
const roots: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** a/sub imports b; b imports a/other: a cycle between a and b that no single folder pair of the tree shows. */
const cycleThroughSubfolders = {
  'a/sub/x.ts': "import { y } from '../../b/y.js';\nexport const x = y + 1;\n",
  'a/other/w.ts': 'export const w = 1;\n',
  'b/y.ts': 'export const y = 1;\n',
  'b/z.ts': "import type { W } from '../a/other/w-type.js';\nexport type Z = W;\n",
  'a/other/w-type.ts': 'export type W = number;\n',
};

describe('check:imports', () => {
  test('units: a subfolder is its top folder, except under quic/ and http3/', () => {
    expect(unitOf('middleware/headers/index.ts')).toBe('middleware');
    expect(unitOf('middleware/registry.ts')).toBe('middleware');
    expect(unitOf('quic/packet/header.ts')).toBe('quic/packet');
    expect(unitOf('quic/transport.ts')).toBe('quic');
    expect(unitOf('http3/qpack/decoder.ts')).toBe('http3/qpack');
    expect(unitOf('cli.ts')).toBe('cli');
  });

  test('a cycle between two folders through their subfolders, one way types only, is found with the imports that make it', () => {
    const check = checkImports(tree(cycleThroughSubfolders));
    expect(check.cycles).toHaveLength(1);
    const [cycle] = check.cycles;
    expect(cycle!.units).toEqual(['a', 'b']);
    expect(cycle!.edges.map((e) => [e.from, e.to, e.typeOnly])).toEqual([
      ['a', 'b', false],
      ['b', 'a', true],
    ]);
    expect(cycle!.edges[0]!.imports).toEqual([{ from: 'a/sub/x.ts', to: 'b/y.ts', typeOnly: false }]);
  });

  test('the same tree without the way back has no cycle; imports inside a folder never make one', () => {
    const { 'b/z.ts': _back, ...oneWay } = cycleThroughSubfolders;
    const check = checkImports(tree({ ...oneWay, 'a/sub/v.ts': "import '../other/w.js';\n", 'a/other/u.ts': "export * from '../sub/v.js';\n" }));
    expect(check.cycles).toEqual([]);
    expect(check.units).toEqual(['a', 'b']);
  });

  test('re-exports, dynamic import() and import types count', () => {
    const check = checkImports(
      tree({
        'a/x.ts': "export { y } from '../b/y.js';\n",
        'b/y.ts': "export const y = 1;\nexport async function load() { return import('../c/z.js'); }\n",
        'c/z.ts': "export let a: typeof import('../a/x.js') | undefined;\n",
      }),
    );
    expect(check.cycles.map((c) => c.units)).toEqual([['a', 'b', 'c']]);
  });

  test('quic subfolders importing each other are a cycle; both using the quic root files is not', () => {
    const layered = {
      'quic/transport.ts': 'export const version = 1;\n',
      'quic/packet/p.ts': "import { version } from '../transport.js';\nexport const p = version;\n",
      'quic/recovery/r.ts': "import { p } from '../packet/p.js';\nimport { version } from '../transport.js';\nexport const r = p + version;\n",
    };
    expect(checkImports(tree(layered)).cycles).toEqual([]);
    const check = checkImports(tree({ ...layered, 'quic/packet/q.ts': "import { r } from '../recovery/r.js';\nexport const q = r;\n" }));
    expect(check.cycles.map((c) => c.units)).toEqual([['quic/packet', 'quic/recovery']]);
  });

  test('an import leaving the root is reported', () => {
    const root = tree({ 'src/a/x.ts': "import '../../test/support/h.js';\n", 'test/support/h.ts': 'export {};\n' });
    expect(checkImports(join(root, 'src')).outside).toEqual([{ from: 'a/x.ts', to: '../test/support/h.ts', typeOnly: false }]);
  });

  test('the command exits 1 on a cycle and names it, 0 without', async () => {
    const failing = await exec(process.execPath, ['--import', 'tsx', 'scripts/check-import-cycles.ts', '--root', tree(cycleThroughSubfolders)]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in failing ? failing.code : 0).toBe(1);
    expect(failing.stderr).toMatch(/cycle between a, b:\n {2}a → b: .*a\/sub\/x\.ts → b\/y\.ts\n {2}b → a \(types only\)/);
    const { 'b/z.ts': _back, ...oneWay } = cycleThroughSubfolders;
    const passing = await exec(process.execPath, ['--import', 'tsx', 'scripts/check-import-cycles.ts', '--root', tree(oneWay)]);
    expect(passing.stdout).toMatch(/check:imports: 4 files in 2 folders of .*, no cycle/);
  }, 120_000);
});
