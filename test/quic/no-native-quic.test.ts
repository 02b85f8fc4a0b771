/**
 * Issue 8's proof that HTTP/3 needs no native QUIC: the built `portico`
 * serving HTTP/3 with the default configuration has no `.node` file of QUIC
 * mapped (/proc/<pid>/maps), and the production dependency tree
 * (`npm ls --omit=dev`) holds no `.node` file at all for QUIC. The same
 * maps check run against `quic: quiche` sees the native library, so the
 * check can tell. `quic: quiche` without the package installed is refused
 * with a message saying how to install it (config validation, shared by
 * start-up and `portico check`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quicheUnavailable } from '../../src/config/quic-implementation.js';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { spawnPortico, type PorticoProcess } from '../support/portico-harness.js';
import { gtlsclient } from '../support/gtlsclient.js';

const work = mkdtempSync(join(tmpdir(), 'portico-no-native-quic-'));
const dynamic = join(work, 'dynamic');
mkdirSync(dynamic);
writeFileSync(join(dynamic, 'routes.yaml'), 'http:\n  routers:\n    who: { rule: "PathPrefix(`/`)", service: whoami@internal }\n');
const running: PorticoProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill('SIGKILL')));
  rmSync(work, { recursive: true, force: true });
});

/** Starts the built Portico with `http3` as written (no `quic` key: the default) and checks it answers over HTTP/3. */
async function serveHttp3(name: string, http3: string, top = ''): Promise<PorticoProcess> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    `${top}entryPoints:\n  websecure:\n    address: "127.0.0.1:0"\n    http: { tls: {} }\n    http3: ${http3}\nproviders:\n  file: { directory: ${dynamic}, watch: false }\n`,
  );
  const p = await spawnPortico(file);
  running.push(p);
  const r = await gtlsclient(['127.0.0.1', String(p.udpPort), `https://localhost:${p.udpPort}/`], { timeoutMs: 20_000 });
  expect(r.code, r.out.slice(-800)).toBe(0);
  expect(r.out).toMatch(/Hostname:/); // whoami's answer came over HTTP/3
  return p;
}

/** A process and its children (a primary's workers), from /proc. */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return (
          Number(
            readFileSync(`/proc/${e}/stat`, 'utf8')
              .replace(/^.*\) /, '')
              .split(' ')[1],
          ) === pid
        );
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
  return [pid, ...children];
}

/** Mapped files of a process that are native addons (`.node`) with quic/quiche in their path. */
function nativeQuicMappings(pid: number): { all: string[]; quic: string[] } {
  const files = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter(Boolean);
  return { all: files, quic: [...new Set(files.filter((f) => /\.node$/.test(f) && /quic/i.test(f)))] };
}

describe('no native QUIC', () => {
  it('the default configuration serves HTTP/3 with no QUIC .node file mapped in the process', async () => {
    const p = await serveHttp3('default', '{}');
    const maps = nativeQuicMappings(p.pid);
    expect(
      maps.all.some((f) => /\bnode\b/.test(f)),
      'the node binary itself is in the maps',
    ).toBe(true);
    expect(maps.quic).toEqual([]);
  }, 60_000);

  it('with workers: 2 neither the primary nor any worker has a QUIC .node file mapped', async () => {
    const p = await serveHttp3('workers', '{}', 'workers: 2\n');
    const pids = processTree(p.pid);
    expect(pids.length, 'the primary and its two workers').toBeGreaterThanOrEqual(3);
    for (const pid of pids) expect(nativeQuicMappings(pid).quic, `process ${pid}`).toEqual([]);
  }, 60_000);

  it('with quic: quiche the same check finds the native library (so the check above can fail)', async () => {
    if (quicheUnavailable()) return; // the dev dependency is not installed here: nothing to compare with
    const p = await serveHttp3('quiche', '{ quic: quiche }');
    expect(nativeQuicMappings(p.pid).quic.length).toBeGreaterThan(0);
  }, 60_000);

  it('the production dependency tree (npm ls --omit=dev) has no .node file for QUIC, and no @matrixai/quic', () => {
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { encoding: 'utf8', timeout: 60_000 });
    const packages = ls.stdout.split('\n').filter(Boolean);
    expect(packages.length, ls.stderr).toBeGreaterThan(20);
    expect(packages.filter((p) => p.includes('@matrixai'))).toEqual([]);
    const nativeFiles: string[] = [];
    // Each package's own files; nested node_modules are packages of the list themselves.
    const walk = (dir: string, depth: number) => {
      if (depth > 12) return;
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory() && e.name !== 'node_modules') walk(join(dir, e.name), depth + 1);
        else if (e.isFile() && e.name.endsWith('.node')) nativeFiles.push(join(dir, e.name));
      }
    };
    for (const p of packages.slice(1)) walk(p, 0);
    expect(nativeFiles.filter((f) => /quic/i.test(f))).toEqual([]);
    // And the full tree (dev included) does have it: the walk finds .node files where they are.
    const all = spawnSync('npm', ['ls', '--parseable', '--all'], { encoding: 'utf8', timeout: 60_000 }).stdout.split('\n');
    const quicDirs = all.filter((p) => /@matrixai\/quic-linux-x64$/.test(p));
    if (quicDirs.length) {
      const before = nativeFiles.length;
      for (const d of quicDirs) walk(d, 0);
      expect(nativeFiles.length).toBeGreaterThan(before);
    }
  }, 120_000);
});

describe('quic: quiche without the package', () => {
  const doc = () => ({ entryPoints: { websecure: { address: ':8443', http: { tls: {} }, http3: { quic: 'quiche' } } } });

  it('is refused by name with how to install it', () => {
    const missing = quicheUnavailable(() => {
      throw Object.assign(new Error("Cannot find module '@matrixai/quic/package.json'"), { code: 'MODULE_NOT_FOUND' });
    });
    expect(missing).toMatch(/quic: quiche needs the native package @matrixai\/quic/);
    expect(missing).toMatch(/npm install @matrixai\/quic/);
    // The platform's prebuilt library missing is refused too.
    const noPrebuilt = quicheUnavailable((s) => (s.startsWith('@matrixai/quic/') ? join(work, 'fake-quic', 'package.json') : ''));
    expect(noPrebuilt).toMatch(new RegExp(`@matrixai/quic-${process.platform}-${process.arch}`));
  });

  it('an installation that has it accepts quic: quiche; the default and portico need nothing', () => {
    if (!quicheUnavailable()) expect(() => validateStaticConfig(doc(), work, 'test')).not.toThrow();
    const ours = validateStaticConfig({ entryPoints: { websecure: { address: ':8443', http: { tls: {} }, http3: {} } } }, work, 'test');
    expect(ours.entryPoints.websecure!.http3!.quic).toBeUndefined();
  });

  it('a production-like install (the build, every package but @matrixai): `portico check` and start-up refuse quic: quiche, saying how to install it; the default passes', () => {
    // The build copied beside a node_modules of links to every installed package except @matrixai's.
    const app = join(work, 'app');
    cpSync(resolve('dist'), join(app, 'dist'), { recursive: true });
    cpSync(resolve('package.json'), join(app, 'package.json'));
    const modules = realpathSync(resolve('node_modules'));
    mkdirSync(join(app, 'node_modules'));
    for (const name of readdirSync(modules)) if (name !== '@matrixai' && name !== '.bin') symlinkSync(join(modules, name), join(app, 'node_modules', name));
    const cli = join(app, 'dist', 'src', 'cli.js');
    const write = (name: string, http3: string) => {
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, `entryPoints:\n  websecure:\n    address: "127.0.0.1:0"\n    http: { tls: {} }\n    http3: ${http3}\n`);
      return file;
    };
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
    const check = run(['check', '--config', write('prod-quiche', '{ quic: quiche }')]);
    expect(check.status, check.stdout + check.stderr).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(
      /entryPoints\.websecure\.http3\.quic: quic: quiche needs the native package @matrixai\/quic.*npm install @matrixai\/quic/,
    );
    const start = run(['--config', write('prod-quiche-run', '{ quic: quiche }')]);
    expect(start.status, 'start-up refuses too (it does not serve without HTTP/3)').not.toBe(0);
    expect(start.stdout + start.stderr).toMatch(/npm install @matrixai\/quic/);
    const ours = run(['check', '--config', write('prod-default', '{}')]);
    expect(ours.status, ours.stdout + ours.stderr).toBe(0);
  }, 60_000);

  it('an unknown implementation is refused by the schema, naming the key', () => {
    const bad = { entryPoints: { websecure: { address: ':8443', http: { tls: {} }, http3: { quic: 'msquic' } } } };
    expect(() => validateStaticConfig(bad, work, 'test')).toThrow(/entryPoints\.websecure\.http3\.quic/);
  });
});
