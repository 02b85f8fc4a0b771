/**
 * docs/plugins.md followed from an empty folder outside the repository, as a
 * plugin author would, against the package `npm pack` makes of this checkout:
 * every file the guide shows is written verbatim in the order it shows them,
 * and every command it shows is run — verbatim where it can be. Three are
 * run their equivalent way: the two `npm install`s become one
 * `npm install --offline` of the packed tarball and the same TypeScript and
 * @types/node as this repository (see support/offline-lockfile.ts: no
 * network); `npx portico` gets a kernel-chosen port (an extra flag, the file
 * unchanged); `curl` is sent to that port. A command in the guide this test
 * does not know fails it, so the guide cannot drift from what is tested.
 *
 * Needs `npm run build` first (the package ships dist/).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { guideSteps } from './support/guide-steps.js';
import { offlineProject } from './support/offline-lockfile.js';

const exec = promisify(execFile);
const repo = resolve('.');
const guide = readFileSync(join(repo, 'docs/plugins.md'), 'utf8');
let work: string;
let tarball: string;

beforeAll(async () => {
  for (const built of ['dist/plugins/sdk/index.d.ts', 'dist/src/testing/index.d.ts', 'dist/src/cli.js'])
    if (!existsSync(join(repo, built))) throw new Error(`${built} is missing: run npm run build first`);
  work = mkdtempSync(join(tmpdir(), 'portico-plugin-author-'));
  // Where the guide has the checkout's package: ../portico/ beside the plugin's folder.
  // --ignore-scripts: `prepare` would rebuild dist, which the test run already did.
  mkdirSync(join(work, 'portico'));
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'portico')], { cwd: repo, maxBuffer: 64 << 20 });
  tarball = `../portico/${(JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename}`;
}, 60_000);

// The project's node_modules is some 120 MB: give its removal time on a busy machine.
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

async function sh(command: string, cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await exec('sh', ['-c', command], { cwd, maxBuffer: 64 << 20, timeout: 120_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${command}\` failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

/** Run `portico` from the project as the guide does, on a free port; resolves when it has applied the configuration. */
async function startPortico(command: string, cwd: string): Promise<{ port: number; log: () => string; stop: () => Promise<void> }> {
  // Its own process group: `npx` runs portico as a child and does not pass SIGTERM on, so the whole group is stopped.
  const child = spawn('sh', ['-c', `exec ${command} --entryPoints.web.address=127.0.0.1:0`], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // the group is already gone
    }
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && child.exitCode === null && !/configuration applied.*routers=1/.test(log)) await new Promise((r) => setTimeout(r, 50));
  const port = Number(/entrypoint listening \(TCP\).*port=(\d+)/.exec(log)?.[1]);
  if (!port || !/configuration applied.*routers=1/.test(log)) {
    await stop();
    throw new Error(`portico did not start serving the router within 20 s:\n${log}`);
  }
  return { port, log: () => log, stop };
}

test('docs/plugins.md, from an empty folder: install the packed Portico, write, test, type-check and load a plugin', async () => {
  const project = join(work, 'served-by');
  mkdirSync(project);
  const steps = guideSteps(guide);
  const commands = steps.flatMap((s) => (s.kind === 'command' ? [s.command] : []));
  // What this test knows how to follow; the guide says exactly these, in this order.
  expect(commands).toEqual([
    'npm install ../portico/portico-0.1.0.tgz',
    'npm install --save-dev typescript @types/node',
    'npx tsc',
    'node --test dist/served-by.test.js',
    'npx portico --config portico.yaml',
    'curl -si http://127.0.0.1:8080/hello',
  ]);
  expect(steps.filter((s) => s.kind === 'file').map((s) => (s as { path: string }).path)).toEqual([
    'package.json',
    'tsconfig.json',
    'src/served-by.ts',
    'src/served-by.test.ts',
    'portico.yaml',
    'dynamic.yaml',
  ]);

  let portico: Awaited<ReturnType<typeof startPortico>> | undefined;
  try {
    for (const step of steps) {
      if (step.kind === 'file') {
        mkdirSync(dirname(join(project, step.path)), { recursive: true });
        writeFileSync(join(project, step.path), step.content);
      } else if (step.command === `npm install ${tarball}`) {
        const written = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Record<string, unknown>;
        const offline = offlineProject(repo, tarball, written, ['typescript', '@types/node']);
        writeFileSync(join(project, 'package.json'), JSON.stringify(offline.packageJson, null, 2));
        writeFileSync(join(project, 'package-lock.json'), JSON.stringify(offline.packageLock, null, 2));
        await sh('npm install --offline --no-audit --no-fund', project);
        expect(existsSync(join(project, 'node_modules/portico/dist/plugins/sdk/index.d.ts'))).toBe(true);
      } else if (step.command === 'npm install --save-dev typescript @types/node') {
        expect(existsSync(join(project, 'node_modules/typescript/bin/tsc'))).toBe(true); // installed with portico above
      } else if (step.command.startsWith('npx portico ')) {
        portico = await startPortico(step.command, project);
      } else if (step.command.startsWith('curl ')) {
        expect(portico, 'the guide starts Portico before curl').toBeDefined();
        const out = await sh(step.command.replace('127.0.0.1:8080', `127.0.0.1:${portico!.port}`), project);
        expect(out).toMatch(/^HTTP\/1\.1 200/);
        expect(out).toMatch(/^x-served-by: edge-1\r?$/im);
        expect(out).toMatch(/^GET \/hello HTTP\/1\.1/m); // whoami's echo of the request
      } else {
        const out = await sh(step.command, project);
        if (step.command.startsWith('node --test')) expect(out).toMatch(/^# pass 4$/m);
      }
    }
  } finally {
    await portico?.stop();
  }
}, 240_000);
