/**
 * `portico check` and the running proxy agree on the Gateway API provider's
 * options: the built CLI refuses what Portico would refuse at start
 * (allowCrossNamespace, a malformed statusAddress) and passes Traefik's
 * options, without reaching any cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const cli = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'portico-gateway-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const check = (providers: string) => {
  const file = join(dir, `portico-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `entryPoints:\n  web: { address: ":8000" }\nproviders:\n${providers}`);
  return new Promise<{ code: number; out: string }>((done) =>
    execFile(process.execPath, [cli, 'check', '--config', file], { timeout: 20_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
};

test('portico check refuses bad kubernetesGateway options by name and accepts good ones', async () => {
  const bad = await check('  kubernetesGateway:\n    allowCrossNamespace: true\n    statusAddress: { ip: 1.2.3.4, hostname: x }\n');
  expect(bad.code, bad.out).toBe(1);
  expect(bad.out).toContain('providers.kubernetesGateway.allowCrossNamespace: not an option of the Gateway API provider');
  expect(bad.out).toContain('providers.kubernetesGateway.statusAddress: must be one of');
  const good = await check('  kubernetesGateway:\n    experimentalChannel: true\n    statusAddress: { service: { name: portico, namespace: portico } }\n');
  expect(good.code, good.out).toBe(0);
  expect(good.out).toContain('configuration OK');
});
