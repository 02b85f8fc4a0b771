/**
 * The Helm chart, rendered by the real helm v4 binary: lint, then `helm template`
 * for each Service layout (using the values files users copy from
 * examples/kubernetes/) and for the DaemonSet, HPA and default-certificate
 * options. Every rendered object is validated against the Kubernetes schemas
 * (kubernetes-models) or our CRD schemas, and the static configuration in the
 * ConfigMap against Portico's own static-config validator.
 */
import { join } from 'node:path';
import yaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { startPortico } from '../support/portico-harness.js';
import { helm, helmBinary } from './helm-binary.js';
import { KubernetesObjectValidator, type KubernetesObject } from './kubernetes-object-validator.js';

const repo = join(import.meta.dirname, '..', '..');
const chart = join(repo, 'charts', 'portico');
const examples = join(repo, 'examples', 'kubernetes');
const validator = new KubernetesObjectValidator();

type Obj = KubernetesObject & { spec?: any; data?: Record<string, string> };

function render(args: string[] = []): Obj[] {
  const out = helm(['template', 'edge', chart, '--namespace', 'portico', ...args], repo);
  return (yaml.loadAll(out) as Array<Obj | null>).filter((o): o is Obj => o !== null);
}

function renderError(args: string[]): string {
  try {
    render(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  return '';
}

const values = (file: string) => ['-f', join(examples, file)];
const find = (objs: Obj[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = find(objs, kind, name);
  expect(found.length, `${kind} ${name ?? ''}`).toBe(1);
  return found[0]!;
};
const staticConfig = (objs: Obj[]) => yaml.load(one(objs, 'ConfigMap').data!['portico.yaml']!) as any;
const podSpec = (objs: Obj[]) => (find(objs, 'Deployment')[0] ?? one(objs, 'DaemonSet')).spec.template.spec;
const container = (objs: Obj[]) => podSpec(objs).containers[0];

/** Every object is valid for its schema; the static config is one Portico accepts. */
function expectValid(objs: Obj[]): void {
  const problems: string[] = [];
  for (const o of objs) {
    const { problems: p, unknownKind } = validator.validate(o);
    if (unknownKind) problems.push(`${String(o.apiVersion)} ${String(o.kind)}: no schema to validate against`);
    for (const x of p) problems.push(`${String(o.kind)} ${o.metadata?.name}: ${x}`);
  }
  expect(problems).toEqual([]);
  expect(() => validateStaticConfig(staticConfig(objs), '/etc/portico', 'ConfigMap portico.yaml')).not.toThrow();
}

beforeAll(() => {
  helmBinary();
});

describe('helm chart charts/portico', () => {
  it('passes helm lint (default values and every example values file)', () => {
    expect(helm(['lint', chart], repo)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    for (const f of ['values-mixed.yaml', 'values-split-gke.yaml', 'values-split-metallb.yaml', 'values-aws-nlb.yaml', 'values-hostport-kind.yaml'])
      expect(helm(['lint', chart, ...values(f)], repo), f).toMatch(/0 chart\(s\) failed/);
  });

  it('default render: least-privilege RBAC, IngressClass, PDB, probes on /ping, hardened pod', () => {
    const objs = render();
    expectValid(objs);
    const kinds = objs.map((o) => o.kind).sort();
    expect(kinds).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'IngressClass', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);

    const rules = one(objs, 'ClusterRole').spec ?? (one(objs, 'ClusterRole') as any).rules;
    const verbsFor = (group: string, resource: string) =>
      (rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>)
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs)
        .sort();
    expect(verbsFor('', 'secrets')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('', 'services')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('discovery.k8s.io', 'endpointslices')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('networking.k8s.io', 'ingresses')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('networking.k8s.io', 'ingresses/status')).toEqual(['update']);
    expect(verbsFor('portico.dev', 'ingressroutes')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('portico.dev', 'tlsstores')).toEqual(['get', 'list', 'watch']);
    for (const tcpKind of ['ingressroutetcps', 'middlewaretcps', 'serverstransporttcps']) expect(verbsFor('portico.dev', tcpKind)).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('', 'events')).toEqual(['create']);
    for (const r of rules as Array<{ verbs: string[]; resources: string[] }>) {
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.verbs.filter((v) => ['delete', 'patch', 'deletecollection', 'escalate', 'bind', 'impersonate'].includes(v))).toEqual([]);
    }
    expect(verbsFor('traefik.io', 'ingressroutes')).toEqual([]);

    expect(one(objs, 'IngressClass').spec.controller).toBe('portico.dev/ingress-controller');

    const c = container(objs);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/ping', port: 'portico' });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/ping', port: 'portico' });
    expect(c.args).toEqual(['--config', '/etc/portico/portico.yaml']);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.securityContext.capabilities.add).toBeUndefined();
    expect(podSpec(objs).securityContext.runAsNonRoot).toBe(true);
    expect(podSpec(objs).securityContext.sysctls).toBeUndefined();
    expect(c.ports.find((p: any) => p.name === 'portico').containerPort).toBe(9000);

    const cfg = staticConfig(objs);
    expect(cfg.ping).toEqual({ entryPoint: 'portico' });
    expect(cfg.metrics).toEqual({ prometheus: { entryPoint: 'portico' } });
    expect(cfg.entryPoints.portico.address).toBe(':9000');
    expect(cfg.entryPoints.websecure.http3).toEqual({ enabled: true, advertisedPort: 443 });
    expect(cfg.entryPoints.web.http.redirections.entryPoint).toEqual({ to: 'websecure', scheme: 'https', permanent: true });
    expect(cfg.providers.kubernetesIngress).toEqual({ ingressClass: 'portico', publishedService: 'portico/edge-portico' });
    expect(cfg.accessLog).toBeUndefined();
    // No default certificate configured → no TLSStore rendered.
    expect(find(objs, 'TLSStore')).toEqual([]);
  });

  it('layout mixed: one LoadBalancer Service with TCP and UDP on 443', () => {
    const objs = render(values('values-mixed.yaml'));
    expectValid(objs);
    const services = find(objs, 'Service');
    expect(services.length).toBe(1);
    const ports = services[0]!.spec.ports as Array<{ port: number; protocol: string; targetPort: string }>;
    expect(services[0]!.spec.type).toBe('LoadBalancer');
    expect(ports.filter((p) => p.port === 443).map((p) => p.protocol).sort()).toEqual(['TCP', 'UDP']);
    expect(ports.find((p) => p.protocol === 'UDP')!.targetPort).toBe('http3');
    expect(container(objs).ports.find((p: any) => p.name === 'http3')).toMatchObject({ containerPort: 8443, protocol: 'UDP' });
    expect(services[0]!.spec.externalTrafficPolicy).toBe('Local');
  });

  it('layout split: a TCP Service and a UDP Service on the same IP (GKE)', () => {
    const objs = render(values('values-split-gke.yaml'));
    expectValid(objs);
    const services = find(objs, 'Service');
    expect(services.map((s) => s.metadata!.name).sort()).toEqual(['edge-portico', 'edge-portico-udp']);
    const tcp = one(objs, 'Service', 'edge-portico');
    const udp = one(objs, 'Service', 'edge-portico-udp');
    expect(new Set(tcp.spec.ports.map((p: any) => p.protocol))).toEqual(new Set(['TCP']));
    expect(udp.spec.ports).toEqual([{ name: 'http3', port: 443, targetPort: 'http3', protocol: 'UDP' }]);
    expect(tcp.spec.loadBalancerIP).toBe('203.0.113.10');
    expect(udp.spec.loadBalancerIP).toBe(tcp.spec.loadBalancerIP);
  });

  it('layout split with a shared-IP annotation puts the same annotation on both Services (MetalLB)', () => {
    const objs = render(values('values-split-metallb.yaml'));
    expectValid(objs);
    const [a, b] = find(objs, 'Service');
    expect(a!.metadata!.annotations!['metallb.io/allow-shared-ip']).toBe('portico');
    expect(b!.metadata!.annotations!['metallb.io/allow-shared-ip']).toBe('portico');
  });

  it('layout split without a shared address fails with what to set', () => {
    expect(renderError(['--set', 'service.layout=split'])).toMatch(/needs service.loadBalancerIP or service.split.sharedIPAnnotations/);
  });

  it('layout aws-nlb: NLB class and annotations, pod annotation for server-ID injection, QUIC-LB connection IDs in the config', () => {
    const objs = render(values('values-aws-nlb.yaml'));
    expectValid(objs);
    const svc = one(objs, 'Service');
    expect(svc.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
    expect(svc.metadata!.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-quic-enabled-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener': 'true',
      'service.beta.kubernetes.io/aws-load-balancer-disable-nlb-sg': 'true',
      'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
    });
    expect(svc.spec.ports.filter((p: any) => p.port === 443).map((p: any) => p.protocol).sort()).toEqual(['TCP', 'UDP']);
    const template = (find(objs, 'Deployment')[0]!).spec.template;
    expect(template.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-quic-enabled-containers']).toBe(template.spec.containers[0].name);
    expect(staticConfig(objs).entryPoints.websecure.http3.connectionIds).toEqual({
      type: 'quic-lb',
      serverIdEnv: 'AWS_LBC_QUIC_SERVER_ID',
      configRotation: 0,
      nonceLength: 7,
    });
    // The namespace label is documented, and rendered only when the chart manages the Namespace.
    expect(find(objs, 'Namespace')).toEqual([]);
    const managed = render([...values('values-aws-nlb.yaml'), '--set', 'namespace.manage=true']);
    expectValid(managed);
    expect(one(managed, 'Namespace', 'portico').metadata!.labels!['elbv2.k8s.aws/quic-server-id-inject']).toBe('enabled');
  });

  it('layout hostport: DaemonSet taking TCP 80/443 and UDP 443 on the node, no LoadBalancer', () => {
    const objs = render(values('values-hostport-kind.yaml'));
    expectValid(objs);
    expect(find(objs, 'Service')).toEqual([]);
    expect(find(objs, 'Deployment')).toEqual([]);
    expect(find(objs, 'PodDisruptionBudget')).toEqual([]);
    const ports = container(objs).ports as Array<{ name: string; hostPort?: number; containerPort: number; protocol: string }>;
    expect(ports.find((p) => p.name === 'websecure')).toMatchObject({ hostPort: 443, containerPort: 8443, protocol: 'TCP' });
    expect(ports.find((p) => p.name === 'http3')).toMatchObject({ hostPort: 443, containerPort: 8443, protocol: 'UDP' });
    expect(ports.find((p) => p.name === 'web')).toMatchObject({ hostPort: 80, protocol: 'TCP' });
    expect(ports.find((p) => p.name === 'portico')!.hostPort).toBeUndefined();
    // hostPort maps 443 → 8443, so no privilege is needed.
    expect(container(objs).securityContext.capabilities.add).toBeUndefined();
    expect(podSpec(objs).securityContext.runAsNonRoot).toBe(true);
  });

  it('binding a port below 1024 uses the unprivileged-port sysctl, or NET_BIND_SERVICE when asked or with hostNetwork', () => {
    const sysctl = render(['--set', 'ports.websecure.port=443']);
    expectValid(sysctl);
    expect(podSpec(sysctl).securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    expect(container(sysctl).securityContext.capabilities.add).toBeUndefined();

    const capability = render(['--set', 'ports.websecure.port=443', '--set', 'securityContext.unprivilegedPortSysctl=false']);
    expectValid(capability);
    expect(podSpec(capability).securityContext.sysctls).toBeUndefined();
    expect(container(capability).securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });

    const hostNetwork = render([...values('values-hostport-kind.yaml'), '--set', 'service.hostport.hostNetwork=true', '--set', 'ports.websecure.port=443', '--set', 'ports.web.port=80']);
    expectValid(hostNetwork);
    expect(podSpec(hostNetwork).hostNetwork).toBe(true);
    expect(podSpec(hostNetwork).securityContext.sysctls).toBeUndefined();
    expect(container(hostNetwork).securityContext.capabilities.add).toEqual(['NET_BIND_SERVICE']);
    expect(container(hostNetwork).ports.find((p: any) => p.name === 'http3')).toMatchObject({ hostPort: 443, containerPort: 443 });
  });

  it('HTTP/3 off: no UDP anywhere and no http3 block in the config', () => {
    const objs = render(['--set', 'ports.websecure.http3.enabled=false']);
    expectValid(objs);
    expect(one(objs, 'Service').spec.ports.map((p: any) => p.protocol)).toEqual(['TCP', 'TCP']);
    expect(container(objs).ports.map((p: any) => p.protocol)).not.toContain('UDP');
    expect(staticConfig(objs).entryPoints.websecure.http3).toBeUndefined();
    expect(renderError(['--set', 'ports.websecure.http3.enabled=false', '--set', 'service.layout=aws-nlb'])).toMatch(/aws-nlb exists for QUIC/);
  });

  it('HPA option: an autoscaling/v2 HPA targets the Deployment, which then leaves replicas to it', () => {
    const objs = render(['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.maxReplicas=6']);
    expectValid(objs);
    const hpa = one(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'edge-portico' });
    expect(hpa.spec.maxReplicas).toBe(6);
    expect(one(objs, 'Deployment').spec.replicas).toBeUndefined();
    expect(renderError(['--set', 'autoscaling.enabled=true', '--set', 'kind=DaemonSet'])).toMatch(/autoscaling applies to kind=Deployment/);
  });

  it('default certificate: the chart creates the TLSStore named default pointing at the Secret', () => {
    const objs = render(['--set', 'tls.defaultCertificate.secretName=my-cert', '--set', 'tls.options.default.minVersion=VersionTLS12']);
    expectValid(objs);
    const store = one(objs, 'TLSStore');
    expect(store.apiVersion).toBe('portico.dev/v1alpha1');
    expect(store.metadata).toMatchObject({ name: 'default', namespace: 'portico' });
    expect(store.spec).toEqual({ defaultCertificate: { secretName: 'my-cert' } });
    expect(one(objs, 'TLSOption', 'default').spec).toEqual({ minVersion: 'VersionTLS12' });
  });

  it('log, access log, metrics and staticConfig values reach the static config', () => {
    const objs = render([
      '--set', 'log.level=debug', '--set', 'accessLog.enabled=true', '--set', 'metrics.prometheus.enabled=false', '--set', 'workers=2',
      '--set', 'api.insecure=true', '--set', 'ports.websecure.http3.advertisedPort=8443',
      '--set', 'staticConfig.entryPoints.websecure.http3.qlogDir=/tmp/qlog',
      '--set', 'providers.kubernetesCRD.traefikCompat=true',
    ]);
    expectValid(objs);
    const cfg = staticConfig(objs);
    expect(cfg.log.level).toBe('debug');
    expect(cfg.workers).toBe(2);
    expect(cfg.accessLog).toEqual({ format: 'json' });
    expect(cfg.metrics).toBeUndefined();
    expect(cfg.api).toEqual({ dashboard: false, insecure: true });
    expect(cfg.entryPoints.websecure.http3).toEqual({ enabled: true, advertisedPort: 8443, qlogDir: '/tmp/qlog' });
    const rules = (one(objs, 'ClusterRole') as any).rules as Array<{ apiGroups: string[]; resources: string[] }>;
    expect(rules.some((r) => r.apiGroups.includes('traefik.io') && r.resources.includes('ingressroutes'))).toBe(true);
  });

  it('rbac.acmeKubernetesStorage: Secrets stay read-only unless HA ACME storage is asked for; then Secrets and Leases can be written', () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const rulesOf = (objs: Obj[]) => (one(objs, 'ClusterRole') as any).rules as Rule[];
    const writes = (rules: Rule[], resource: string) => rules.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs);
    const off = rulesOf(render());
    expect(writes(off, 'secrets')).toEqual(['get', 'list', 'watch']);
    expect(writes(off, 'leases')).toEqual([]);
    const objs = render(['--set', 'rbac.acmeKubernetesStorage=true']);
    expectValid(objs);
    const on = rulesOf(objs);
    expect(writes(on, 'secrets')).toEqual(expect.arrayContaining(['get', 'list', 'watch', 'create', 'update']));
    expect(on.find((r) => r.resources.includes('leases'))).toMatchObject({ apiGroups: ['coordination.k8s.io'], verbs: ['get', 'list', 'watch', 'create', 'update'] });
  });

  it('dashboard: off by default; api.dashboard reaches the static config; ingressRoute.dashboard routes to api@internal and a real Portico serves it', async () => {
    expect(staticConfig(render()).api).toEqual({ dashboard: false, insecure: false });
    expect(find(render(), 'IngressRoute')).toEqual([]);
    expect(renderError(['--set', 'ingressRoute.dashboard.enabled=true'])).toContain('set api.dashboard=true too');
    const objs = render(['--set', 'api.dashboard=true', '--set', 'ingressRoute.dashboard.enabled=true', '--set', 'ingressRoute.dashboard.middlewares[0]=admins']);
    expectValid(objs);
    expect(staticConfig(objs).api).toEqual({ dashboard: true, insecure: false });
    const route = one(objs, 'IngressRoute', 'edge-portico-dashboard');
    expect(route.spec).toEqual({
      entryPoints: ['websecure'],
      routes: [{ kind: 'Rule', match: 'PathPrefix(`/dashboard`) || PathPrefix(`/api`)', middlewares: [{ name: 'admins' }], services: [{ name: 'api@internal', kind: 'TraefikService' }] }],
    });
    // The same IngressRoute without the middleware, served by a real Portico through the file provider.
    const open = one(render(['--set', 'api.dashboard=true', '--set', 'ingressRoute.dashboard.enabled=true']), 'IngressRoute');
    const p = await startPortico({ entryPoints: { websecure: { address: '127.0.0.1:0' } }, api: { dashboard: true } }, { 'dashboard.yaml': yaml.dump(open) });
    try {
      await p.server.nextApply(0);
      const res = await fetch(`http://127.0.0.1:${p.port('websecure')}/dashboard/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect((await fetch(`http://127.0.0.1:${p.port('websecure')}/api/version`)).status).toBe(200);
    } finally {
      await p.stop();
    }
  });

  it('a changed static config changes the pod template checksum (pods restart)', () => {
    const a = one(render(), 'Deployment').spec.template.metadata.annotations['checksum/config'];
    const b = one(render(['--set', 'log.level=debug']), 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it('rejects an unknown layout with the list of layouts', () => {
    expect(renderError(['--set', 'service.layout=nodeport'])).toMatch(/service.layout must be one of mixed, split, aws-nlb, hostport/);
  });

  it('ships the CRDs in crds/ (installed by helm before templates)', () => {
    const out = helm(['template', 'edge', chart, '--include-crds'], repo);
    const crds = (yaml.loadAll(out) as Obj[]).filter((o) => o?.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata!.name).sort()).toEqual([
      'ingressroutes.portico.dev', 'ingressroutetcps.portico.dev', 'ingressrouteudps.portico.dev', 'middlewares.portico.dev',
      'middlewaretcps.portico.dev', 'serverstransports.portico.dev', 'serverstransporttcps.portico.dev',
      'tlsoptions.portico.dev', 'tlsstores.portico.dev', 'traefikservices.portico.dev',
    ]);
    for (const crd of crds) expect(validator.validate(crd).problems).toEqual([]);
  });
});
