/**
 * No Docker engine here, so the Dockerfile is checked for the facts the chart
 * relies on: the same non-root numeric user, the ports the chart's entrypoints
 * use, a HEALTHCHECK (`portico healthcheck`) that finds the chart's ping
 * entrypoint, and the entry command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { pingUrl } from '../../src/api/ping-healthcheck.js';

const repo = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
const values = yaml.load(readFileSync(join(repo, 'charts', 'portico', 'values.yaml'), 'utf8')) as any;
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('builds on Node 24 slim in two stages and prunes dev dependencies', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBe(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:24-[a-z]+-slim/);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('runs as the chart\'s non-root numeric user', () => {
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBe(`USER ${values.securityContext.runAsUser}:${values.securityContext.runAsGroup}`);
  });

  it('exposes the chart\'s entrypoint ports, HTTP/3 on UDP', () => {
    const exposed = instructions.find((l) => l.startsWith('EXPOSE '))!.split(/\s+/).slice(1);
    expect(exposed).toEqual(expect.arrayContaining([
      `${values.ports.web.port}/tcp`, `${values.ports.websecure.port}/tcp`, `${values.ports.websecure.port}/udp`, `${values.ports.portico.port}/tcp`,
    ]));
  });

  it('health-checks with `portico healthcheck` on the config the container runs (no curl in slim images)', () => {
    const hc = instructions.find((l) => l.startsWith('HEALTHCHECK '))!;
    const cmd = JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
    expect(cmd.slice(0, 3)).toEqual(['node', 'dist/src/cli.js', 'healthcheck']);
    // The same --config the image's CMD passes to the server.
    const runCmd = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(cmd.slice(3)).toEqual(runCmd);
    expect(hc).not.toMatch(/curl|wget/);
    expect(hc).toMatch(/--timeout=3s/);
  });

  it('the healthcheck asks /ping where the chart serves it (the portico entrypoint)', () => {
    // The static configuration as charts/portico/templates/configmap.yaml writes it.
    const cfg = validateStaticConfig(
      { entryPoints: { web: { address: `:${values.ports.web.port}` }, portico: { address: `:${values.ports.portico.port}` } }, ping: { entryPoint: 'portico' } },
      '/etc/portico',
      'chart',
    );
    expect(pingUrl(cfg)).toBe(`http://127.0.0.1:${values.ports.portico.port}/ping`);
    expect(readFileSync(join(repo, 'charts/portico/templates/configmap.yaml'), 'utf8')).toContain('"ping" (dict "entryPoint" "portico")');
  });

  it('starts the CLI with the config path the chart mounts', () => {
    expect(instructions).toContain('ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/src/cli.js"]');
    expect(instructions).toContain('CMD ["--config", "/etc/portico/portico.yaml"]');
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(pkg.bin.portico).toBe('dist/src/cli.js');
  });

  it('the bin, the npm scripts and the image start Node with the same flags (docs/configuration.md, "Runtime tuning")', () => {
    const shebang = readFileSync(join(repo, 'src/cli.ts'), 'utf8').split('\n', 1)[0]!;
    const flags = /^#!\/usr\/bin\/env -S node (.+)$/.exec(shebang)?.[1];
    expect(flags).toBe('--max-semi-space-size=64');
    const entry = instructions.find((l) => l.startsWith('ENTRYPOINT '))!;
    expect(JSON.parse(entry.slice('ENTRYPOINT '.length))).toEqual(['node', ...flags!.split(' '), 'dist/src/cli.js']);
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    for (const script of ['start', 'quickstart']) expect(pkg.scripts[script]).toContain(`node ${flags} dist/src/cli.js`);
    expect(readFileSync(join(repo, 'docs/configuration.md'), 'utf8')).toContain(flags);
  });

  it('.dockerignore keeps node_modules and build output out of the context', () => {
    const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored).toContain(p);
    for (const p of ['src', 'package.json', 'package-lock.json', 'tsconfig.json']) expect(ignored).not.toContain(p);
  });
});
