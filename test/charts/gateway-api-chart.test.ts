/**
 * The chart's Gateway API switches, rendered by the real helm binary: off by
 * default; gatewayAPI.installCRDs renders the upstream standard-channel CRDs
 * exactly as shipped (valid CustomResourceDefinitions); the
 * kubernetesGateway provider on renders its static configuration (accepted
 * by Portico), RBAC for the Gateway API kinds and their status
 * subresources, and a GatewayClass that the upstream schema accepts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { validateKubernetesProviderOptions } from '../../src/provider/kubernetes/provider-options.js';
import { helm } from './helm-binary.js';
import { KubernetesObjectValidator } from './kubernetes-object-validator.js';

const repo = join(import.meta.dirname, '..', '..');
const chart = join(repo, 'charts', 'portico');
const crdDir = join(chart, 'gateway-api-crds');

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown>; rules?: Array<Record<string, string[]>>; data?: Record<string, string> };
const render = (args: string[] = []): Obj[] =>
  (yaml.loadAll(helm(['template', 'edge', chart, '--namespace', 'portico', ...args], repo)) as Array<Obj | null>).filter((o): o is Obj => !!o);
const configOf = (objs: Obj[]) => yaml.load(objs.find((o) => o.kind === 'ConfigMap')!.data!['portico.yaml']!) as { providers: Record<string, Record<string, unknown>> };
const gatewayRules = (objs: Obj[]) => (objs.find((o) => o.kind === 'ClusterRole')?.rules ?? []).filter((r) => r.apiGroups!.includes('gateway.networking.k8s.io'));

describe('chart: Gateway API', () => {
  it('is off by default: no CRDs, no provider, no GatewayClass, no Gateway API RBAC', () => {
    const objs = render();
    expect(objs.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'GatewayClass')).toEqual([]);
    expect(configOf(objs).providers.kubernetesGateway).toBeUndefined();
    expect(gatewayRules(objs)).toEqual([]);
  });

  it('gatewayAPI.installCRDs renders the upstream standard-channel CRDs unmodified', () => {
    const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml'));
    const crds = render(['--set', 'gatewayAPI.installCRDs=true']).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(files.map((f) => f.replace(/^gateway\.networking\.k8s\.io_(.*)\.yaml$/, '$1.gateway.networking.k8s.io')).sort());
    for (const f of files) {
      const upstream = yaml.load(readFileSync(join(crdDir, f), 'utf8')) as Obj;
      expect(crds.find((c) => c.metadata.name === upstream.metadata.name)).toEqual(upstream);
      expect((upstream.metadata as { annotations?: Record<string, string> }).annotations?.['gateway.networking.k8s.io/channel']).toBe('standard');
    }
    const validator = new KubernetesObjectValidator();
    for (const crd of crds) expect(validator.validate(crd).problems, crd.metadata.name).toEqual([]);
  });

  it('the provider on: static configuration Portico accepts, RBAC for the kinds and their status, a GatewayClass the upstream schema accepts', () => {
    const on = ['--set', 'providers.kubernetesGateway.enabled=true', '--set', 'providers.kubernetesGateway.experimentalChannel=true'];
    expect(helm(['lint', chart, ...on, '--set', 'gatewayAPI.installCRDs=true'], repo)).toMatch(/0 chart\(s\) failed/);
    const objs = render(on);
    const cfg = configOf(objs);
    expect(cfg.providers.kubernetesGateway).toEqual({ experimentalChannel: true, statusAddress: { service: { namespace: 'portico', name: 'edge-portico' } } });
    expect(() => validateStaticConfig(cfg, '/etc/portico', 'ConfigMap portico.yaml')).not.toThrow();
    expect(validateKubernetesProviderOptions('kubernetesgateway', cfg.providers.kubernetesGateway!, 'providers.kubernetesGateway')).toEqual([]);
    const rules = gatewayRules(objs);
    const kinds = ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'tlsroutes', 'tcproutes', 'udproutes', 'referencegrants', 'backendtlspolicies'];
    expect(rules.find((r) => r.verbs!.includes('watch'))!.resources).toEqual(kinds);
    expect(rules.find((r) => r.verbs!.includes('update'))!.resources).toEqual(kinds.filter((k) => k !== 'referencegrants').map((k) => `${k}/status`));
    const core = (objs.find((o) => o.kind === 'ClusterRole')!.rules ?? []).find((r) => r.resources!.includes('namespaces'));
    expect(core?.resources).toEqual(['namespaces', 'configmaps']);

    const gatewayClass = objs.find((o) => o.kind === 'GatewayClass')!;
    expect(gatewayClass.spec).toEqual({ controllerName: 'portico.dev/gateway-controller' });
    const crd = yaml.load(readFileSync(join(crdDir, 'gateway.networking.k8s.io_gatewayclasses.yaml'), 'utf8')) as {
      spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
    };
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    const validate = ajv.compile(crd.spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema);
    expect(validate(gatewayClass), JSON.stringify(validate.errors)).toBe(true);
  });
});
