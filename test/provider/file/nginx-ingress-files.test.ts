/**
 * `portico check` (the built CLI) on a directory of Ingresses written for
 * ingress-nginx: with providers.kubernetesIngressNGINX configured the file
 * provider translates them, so check reports an unknown annotation the
 * running proxy would report (and exits non-zero); without it, they are
 * skipped as another controller's, and check passes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'portico-nginx-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  new Promise<{ code: number; out: string }>((done) =>
    execFile(process.execPath, [resolve('dist/src/cli.js'), ...args], { timeout: 45_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );

const INGRESS = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.10, ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: shop
  annotations:
    kubernetes.io/ingress.class: nginx
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/made-up: "yes"
spec:
  rules:
    - host: shop.example
      http:
        paths:
          - { path: "/app(/|$)(.*)", pathType: ImplementationSpecific, backend: { service: { name: web, port: { number: 80 } } } }
`;

describe('portico check on ingress-nginx Ingresses in files', () => {
  test('translated (and their problems reported) only when kubernetesIngressNGINX is configured', async () => {
    writeFileSync(join(dir, 'ingress.yaml'), INGRESS);
    const config = (providers: string) => {
      const file = join(dir, `portico-${providers.length}.yaml`);
      writeFileSync(file, `entryPoints: { web: { address: "127.0.0.1:0" } }\nproviders:\n  file: { filename: ${join(dir, 'ingress.yaml')} }\n${providers}`);
      return file;
    };
    const withNginx = await run(['check', '--config', config('  kubernetesIngressNGINX: { endpoint: "http://127.0.0.1:9", token: t }\n')]);
    expect(withNginx.code).not.toBe(0);
    expect(withNginx.out).toContain('metadata.annotations["nginx.ingress.kubernetes.io/made-up"]: is not an ingress-nginx annotation Portico knows');
    expect(withNginx.out).not.toContain('rewrite-target');
    const without = await run(['check', '--config', config('')]);
    expect(without.out).toMatch(/configuration OK/);
    expect(without.code).toBe(0);
  }, 100_000);
});
