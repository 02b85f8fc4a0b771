/**
 * Every Kubernetes manifest under examples/ (recursively: kubernetes/, quickstart/,
 * and whatever is added later) is valid: built-in kinds against the Kubernetes
 * schemas, IngressRoute & co. against our CRD schemas. Manifests under the Traefik
 * groups (traefik.io, traefik.containo.us) are checked with the same schemas, since
 * Portico reads them unchanged. Helm values files and non-manifest YAML are skipped
 * (they have no apiVersion/kind); kind cluster configs are skipped by group.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { KubernetesObjectValidator, type KubernetesObject } from '../charts/kubernetes-object-validator.js';

const repo = join(import.meta.dirname, '..', '..');
const examplesDir = join(repo, 'examples');
/** API groups of configuration files that are not Kubernetes objects. */
const notKubernetes = ['kind.x-k8s.io', 'k3d.io', 'ctlptl.dev'];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function manifests(file: string): KubernetesObject[] {
  const docs = yaml.loadAll(readFileSync(file, 'utf8')) as unknown[];
  const out: KubernetesObject[] = [];
  for (const doc of docs) {
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) continue;
    const o = doc as KubernetesObject & { items?: KubernetesObject[] };
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') continue;
    if (notKubernetes.some((g) => String(o.apiVersion).startsWith(`${g}/`))) continue;
    if (o.kind === 'List' && Array.isArray(o.items)) out.push(...o.items);
    else out.push(o);
  }
  return out;
}

const validator = new KubernetesObjectValidator();
const files = yamlFiles(examplesDir);

describe('Kubernetes manifests in examples/', () => {
  it('finds the Kubernetes examples', () => {
    const names = files.map((f) => relative(examplesDir, f));
    expect(names).toContain(join('kubernetes', 'whoami-ingressroute.yaml'));
    expect(names).toContain(join('kubernetes', 'default-certificate.yaml'));
  });

  for (const file of files) {
    const objects = manifests(file);
    if (objects.length === 0) continue;
    it(`${relative(repo, file)}: ${objects.map((o) => `${String(o.kind)}/${o.metadata?.name ?? '?'}`).join(', ')}`, () => {
      const problems: string[] = [];
      for (const o of objects) {
        const { problems: p, unknownKind } = validator.validate(o);
        if (unknownKind) problems.push(`${String(o.apiVersion)} ${String(o.kind)}: no schema known for this kind`);
        for (const x of p) problems.push(`${String(o.kind)}/${o.metadata?.name}: ${x}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('the default-certificate example is the TLSStore named default with a Secret reference', () => {
    const store = manifests(join(examplesDir, 'kubernetes', 'default-certificate.yaml')).find((o) => o.kind === 'TLSStore') as any;
    expect(store.metadata.name).toBe('default');
    expect(store.spec.defaultCertificate.secretName).toBeTruthy();
  });

  it('the validator rejects a broken IngressRoute in a Traefik group too', () => {
    const broken = { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'x' }, spec: { routes: [{ kind: 'Rule', services: [] }] } };
    expect(validator.validate(broken).problems.join('\n')).toMatch(/match/);
  });
});
