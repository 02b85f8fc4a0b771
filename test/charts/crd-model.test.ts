/**
 * The CRDs must not drift from the dynamic model. This test reads the
 * interfaces of src/dynamic/model.ts with the TypeScript compiler API and
 * checks, for each model type and the CRD schema node(s) it comes from, that
 * every model field has a CRD field and every CRD field has a model field —
 * except the documented differences below (Kubernetes references that the
 * provider resolves into model values). A stale exception fails too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildCrds, CRD_DIRECTORY, MIDDLEWARE_TYPES, renderCrdFiles, type Schema } from '../../scripts/generate-crds.js';
import { CrdValidator } from './crd-validator.js';

const repo = join(import.meta.dirname, '..', '..');
const modelFile = join(repo, 'src', 'dynamic', 'model.ts');
/** The tcp section's types live beside the model (tcp-model.ts). */
const tcpModelFile = join(repo, 'src', 'dynamic', 'tcp-model.ts');

// ---- the model, through the type checker ----
const program = ts.createProgram([modelFile, tcpModelFile], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext });
const checker = program.getTypeChecker();
const source = program.getSourceFile(modelFile)!;
const declarations = new Map<string, ts.Type>();
for (const file of [source, program.getSourceFile(tcpModelFile)!])
  ts.forEachChild(file, (node) => {
    if ((ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && node.name)
      declarations.set(node.name.text, checker.getTypeAtLocation(node.name));
  });

function nonNullable(type: ts.Type): ts.Type {
  return checker.getNonNullableType(type);
}

/** `Router`, `LoadBalancerService.healthCheck`, `WeightedService.services[]`. */
function modelType(path: string): ts.Type {
  const [root, ...rest] = path.split('.');
  let type = declarations.get(root!);
  if (!type) throw new Error(`model.ts declares no ${root}`);
  for (const segment of rest) {
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    const symbol = type.getProperty(name);
    if (!symbol) throw new Error(`${path}: no property ${name}`);
    type = nonNullable(checker.getTypeOfSymbolAtLocation(symbol, source));
    if (isArray) type = checker.getIndexTypeOfType(type, ts.IndexKind.Number)!;
  }
  return type;
}

function modelFields(path: string): Map<string, ts.Type> {
  const fields = new Map<string, ts.Type>();
  for (const symbol of checker.getPropertiesOfType(modelType(path)))
    fields.set(symbol.name, nonNullable(checker.getTypeOfSymbolAtLocation(symbol, source)));
  return fields;
}

/** What a schema should say for a model field's type, when that is a primitive, a string enum or a primitive array. */
function expectedSchemaType(type: ts.Type): { type: string; enum?: string[]; items?: string } | undefined {
  if (type.flags & ts.TypeFlags.String) return { type: 'string' };
  if (type.flags & ts.TypeFlags.Number) return { type: 'integer' };
  if (type.flags & ts.TypeFlags.Boolean || (type.isUnion() && type.types.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)))
    return { type: 'boolean' };
  if (type.isUnion() && type.types.every((t) => t.isStringLiteral()))
    return { type: 'string', enum: type.types.map((t) => (t as ts.StringLiteralType).value).sort() };
  if (checker.isArrayType(type)) {
    const element = expectedSchemaType(checker.getIndexTypeOfType(type, ts.IndexKind.Number)!);
    return element && !element.enum && element.type !== 'array' ? { type: 'array', items: element.type } : undefined;
  }
  return undefined;
}

// ---- the CRDs ----
const crds = buildCrds();
function crdNode(kind: string, path: string): Schema {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD of kind ${kind}`);
  let node: Schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
  for (const segment of path.split('.')) {
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    node = (node.properties as Record<string, Schema> | undefined)?.[name] as Schema;
    if (!node) throw new Error(`${kind} schema has no ${path}`);
    if (isArray) node = node.items as Schema;
  }
  return node;
}

interface Correspondence {
  /** Model type path. */
  model: string;
  /** CRD kind and schema paths whose properties together give the model type. */
  crd: [kind: string, ...paths: string[]];
  /** Model field → CRD field with another name. */
  renamed?: Record<string, string>;
  /** Model fields with no CRD field of their own, and where their value comes from. */
  modelOnly?: Record<string, string>;
  /** CRD fields with no model field, and what the provider does with them. */
  crdOnly?: Record<string, string>;
  /** Fields present on both sides whose types differ on purpose. */
  typeDiffers?: Record<string, string>;
}

const serviceRefOnly = {
  name: 'Kubernetes Service or TraefikService name; becomes the router/weighted service reference',
  namespace: 'Kubernetes namespace of the reference',
  kind: 'Service or TraefikService',
  port: 'Kubernetes Service port; with the EndpointSlices it becomes servers[].url',
  scheme: 'scheme of servers[].url',
  weight: 'weight within a weighted set (WeightedService.services[].weight)',
  nativeLB: 'use the cluster IP as the only server instead of endpoints',
};

const correspondences: Correspondence[] = [
  {
    model: 'Router',
    crd: ['IngressRoute', 'spec', 'spec.routes[]'],
    renamed: { rule: 'match', service: 'services' },
    crdOnly: { routes: 'each route becomes one router', kind: 'always Rule' },
    typeDiffers: {
      middlewares: 'Middleware object refs {name, namespace} become qualified middleware names',
      parentRefs: 'IngressRoute refs {name, namespace} become the router names of that IngressRoute\'s routes',
      tls: 'IngressRoute TLS is checked field by field below',
    },
  },
  {
    model: 'RouterTls',
    crd: ['IngressRoute', 'spec.tls'],
    crdOnly: { secretName: 'Secret added to tls.certificates', store: 'TLSStore ref; only default exists' },
    typeDiffers: { options: 'TLSOption ref {name, namespace} becomes the qualified option name' },
  },
  { model: 'RouterTls.domains[]', crd: ['IngressRoute', 'spec.tls.domains[]'] },
  {
    model: 'LoadBalancerService',
    crd: ['IngressRoute', 'spec.routes[].services[]'],
    modelOnly: { servers: 'from the Service\'s ready EndpointSlice addresses (or cluster IP with nativeLB)' },
    crdOnly: serviceRefOnly,
    typeDiffers: { strategy: 'the CRD also takes RoundRobin, Traefik v2\'s spelling of wrr' },
  },
  {
    model: 'LoadBalancerService.passiveHealthCheck',
    crd: ['IngressRoute', 'spec.routes[].services[].passiveHealthCheck'],
    typeDiffers: { failureWindow: 'int-or-string duration' },
  },
  { model: 'LoadBalancerService.healthCheck', crd: ['IngressRoute', 'spec.routes[].services[].healthCheck'], typeDiffers: { interval: 'int-or-string duration', timeout: 'int-or-string duration' } },
  { model: 'LoadBalancerService.sticky', crd: ['IngressRoute', 'spec.routes[].services[].sticky'] },
  { model: 'LoadBalancerService.sticky.cookie', crd: ['IngressRoute', 'spec.routes[].services[].sticky.cookie'] },
  {
    model: 'UdpRouter',
    crd: ['IngressRouteUDP', 'spec', 'spec.routes[]'],
    renamed: { service: 'services' },
    crdOnly: { routes: 'each route becomes one UDP router' },
  },
  {
    model: 'UdpLoadBalancerService',
    crd: ['IngressRouteUDP', 'spec.routes[].services[]'],
    modelOnly: { servers: "from the Service's ready EndpointSlice addresses (or cluster IP with nativeLB), as host:port" },
    crdOnly: Object.fromEntries(Object.entries(serviceRefOnly).filter(([k]) => !['kind', 'scheme'].includes(k))),
  },
  {
    model: 'TcpRouter',
    crd: ['IngressRouteTCP', 'spec', 'spec.routes[]'],
    renamed: { rule: 'match', service: 'services' },
    crdOnly: { routes: 'each route becomes one TCP router', syntax: 'only v3, the one syntax there is' },
    typeDiffers: {
      middlewares: 'MiddlewareTCP object refs {name, namespace} become qualified middleware names',
      tls: 'IngressRouteTCP TLS is checked field by field below',
    },
  },
  {
    model: 'TcpRouter.tls',
    crd: ['IngressRouteTCP', 'spec.tls'],
    crdOnly: {
      secretName: 'Secret added to tls.certificates (terminating routes)',
      store: 'TLSStore ref; only default exists',
      certResolver: 'refused naming the field: ACME orders certificates for HTTP routers only',
      domains: 'refused with certResolver',
    },
    typeDiffers: { options: 'TLSOption ref {name, namespace} becomes the qualified option name' },
  },
  {
    model: 'TcpService.loadBalancer',
    crd: ['IngressRouteTCP', 'spec.routes[].services[]'],
    modelOnly: { servers: "from the Service's ready EndpointSlice addresses (or cluster IP with nativeLB), as host:port" },
    crdOnly: {
      name: 'Kubernetes Service name',
      namespace: 'Kubernetes namespace of the Service',
      port: 'Kubernetes Service port; with the EndpointSlices it becomes servers[].address',
      weight: 'weight within the weighted set of a route with several services',
      nativeLB: 'use the cluster IP as the only server instead of endpoints',
      tls: 'servers[].tls of every server',
      nodePortLB: 'refused naming the field (Portico reads no Nodes)',
      terminationDelay: 'refused naming the field (deprecated; ServersTransportTCP has it)',
    },
  },
  { model: 'TcpMiddleware', crd: ['MiddlewareTCP', 'spec'] },
  {
    model: 'TcpServersTransport',
    crd: ['ServersTransportTCP', 'spec'],
    modelOnly: { idleTimeout: "Portico's bound on silent relays; file provider only (Traefik's CRD has no such field)" },
  },
  {
    model: 'TcpServersTransport.tls',
    crd: ['ServersTransportTCP', 'spec.tls'],
    modelOnly: { rootCAs: 'from spec.tls.rootCAsSecrets', certificates: 'from spec.tls.certificatesSecrets (kubernetes.io/tls Secrets)' },
    crdOnly: { rootCAsSecrets: 'Secrets → rootCAs as inline PEM', certificatesSecrets: 'Secrets → certificates[]', spiffe: 'refused naming the field' },
  },
  {
    model: 'Service',
    crd: ['TraefikService', 'spec'],
    modelOnly: { loadBalancer: 'built from Kubernetes Service refs in IngressRoute and TraefikService entries' },
  },
  { model: 'WeightedService', crd: ['TraefikService', 'spec.weighted'], modelOnly: { healthCheck: 'not in Traefik\'s CRD either; file provider only' } },
  {
    model: 'MirroringService',
    crd: ['TraefikService', 'spec.mirroring'],
    renamed: { service: 'name' },
    crdOnly: {
      ...Object.fromEntries(Object.entries(serviceRefOnly).filter(([k]) => k !== 'name')),
      passHostHeader: 'the main Kubernetes Service becomes its own loadBalancer service with this setting',
      serversTransport: 'as passHostHeader',
      sticky: 'as passHostHeader',
      strategy: 'as passHostHeader',
      passiveHealthCheck: 'as passHostHeader',
    },
    typeDiffers: {
      mirrors: 'service references with percent; each becomes a service name',
      healthCheck: "in the CRD the main Kubernetes Service's active check (as passHostHeader); in the model, reporting health ({}, file provider only)",
    },
  },
  {
    model: 'FailoverService',
    crd: ['TraefikService', 'spec.failover'],
    modelOnly: { healthCheck: 'not in Traefik\'s CRD either; file provider only' },
    typeDiffers: { service: 'a service reference becomes a service name', fallback: 'as service' },
  },
  {
    model: 'WeightedService.services[]',
    crd: ['TraefikService', 'spec.weighted.services[]'],
    crdOnly: {
      ...Object.fromEntries(Object.entries(serviceRefOnly).filter(([k]) => k !== 'name' && k !== 'weight')),
      passHostHeader: 'a Kubernetes Service entry becomes its own loadBalancer service with this setting',
      serversTransport: 'as passHostHeader',
      healthCheck: 'as passHostHeader',
      sticky: 'as passHostHeader',
      strategy: 'as passHostHeader',
      passiveHealthCheck: 'as passHostHeader',
    },
  },
  {
    model: 'ServersTransport',
    crd: ['ServersTransport', 'spec'],
    modelOnly: {
      certificates: 'from spec.certificatesSecrets (kubernetes.io/tls Secrets)',
      http2: 'false when spec.disableHTTP2; h2c comes from a service scheme of h2c',
    },
    crdOnly: { certificatesSecrets: 'Secrets → certificates[]', disableHTTP2: 'inverse of http2' },
    typeDiffers: { rootCAs: 'Secret/ConfigMap refs become inline PEM strings' },
  },
  {
    model: 'ServersTransport.forwardingTimeouts',
    crd: ['ServersTransport', 'spec.forwardingTimeouts'],
    typeDiffers: { dialTimeout: 'int-or-string duration', responseHeaderTimeout: 'int-or-string duration', idleConnTimeout: 'int-or-string duration' },
  },
  { model: 'TlsOptions', crd: ['TLSOption', 'spec'], typeDiffers: { clientAuth: 'checked field by field below' } },
  {
    model: 'TlsOptions.clientAuth',
    crd: ['TLSOption', 'spec.clientAuth'],
    modelOnly: { caFiles: 'from spec.clientAuth.secretNames (CA certificates in Secrets)' },
    crdOnly: { secretNames: 'Secrets → caFiles as inline PEM' },
  },
  {
    model: 'TlsStore',
    crd: ['TLSStore', 'spec'],
    crdOnly: { certificates: 'Secrets added to tls.certificates with stores [default]' },
    typeDiffers: { defaultCertificate: 'a Secret ref {secretName} becomes inline certFile/keyFile PEM' },
  },
];

describe('CRD schemas match src/dynamic/model.ts', () => {
  for (const c of correspondences) {
    it(`${c.model} ↔ ${c.crd[0]} ${c.crd.slice(1).join(' + ')}`, () => {
      const model = modelFields(c.model);
      const [kind, ...paths] = c.crd;
      const crdFields = new Map<string, Schema>();
      for (const p of paths) for (const [k, v] of Object.entries((crdNode(kind, p).properties ?? {}) as Record<string, Schema>)) crdFields.set(k, v);
      const renamed = c.renamed ?? {};
      const crdToModel = new Map(Object.entries(renamed).map(([m, k]) => [k, m]));
      const problems: string[] = [];

      for (const [field, type] of model) {
        if (c.modelOnly?.[field]) {
          if (crdFields.has(renamed[field] ?? field)) problems.push(`${field} is listed as model-only but the CRD has it`);
          continue;
        }
        const crdName = renamed[field] ?? field;
        const schema = crdFields.get(crdName);
        if (!schema) {
          problems.push(`model field ${c.model}.${field} has no CRD field ${crdName}`);
          continue;
        }
        const expected = expectedSchemaType(type);
        if (expected && !c.typeDiffers?.[field] && !renamed[field]) {
          const actual = { type: schema.type, enum: (schema.enum as string[] | undefined)?.slice().sort(), items: (schema.items as Schema | undefined)?.type };
          if (actual.type !== expected.type) problems.push(`${field}: model ${checker.typeToString(type)} but CRD type ${String(actual.type)}`);
          if (expected.enum && JSON.stringify(actual.enum) !== JSON.stringify(expected.enum))
            problems.push(`${field}: model values ${expected.enum.join('|')} but CRD enum ${actual.enum?.join('|')}`);
          if (expected.items && actual.items !== expected.items) problems.push(`${field}: model array of ${expected.items} but CRD items ${String(actual.items)}`);
        }
      }
      for (const field of crdFields.keys()) {
        const modelName = crdToModel.get(field) ?? field;
        if (model.has(modelName)) continue;
        if (!c.crdOnly?.[field]) problems.push(`CRD field ${kind} ${field} has no model field and no documented reason`);
      }
      for (const f of Object.keys(c.modelOnly ?? {})) if (!model.has(f)) problems.push(`stale model-only exception: ${f}`);
      for (const f of Object.keys(c.crdOnly ?? {})) if (!crdFields.has(f)) problems.push(`stale CRD-only exception: ${f}`);
      for (const f of Object.keys(c.typeDiffers ?? {})) if (!model.has(f)) problems.push(`stale type exception: ${f}`);
      expect(problems).toEqual([]);
    });
  }

  it('Middleware: the model is a one-key map of type → options; the CRD spec allows exactly one key, each an object', () => {
    const middleware = modelType('Middleware');
    expect(checker.getIndexInfosOfType(middleware).length).toBe(1);
    const spec = crdNode('Middleware', 'spec');
    expect(spec.minProperties).toBe(1);
    expect(spec.maxProperties).toBe(1);
    for (const [name, node] of Object.entries(spec.properties as Record<string, Schema>)) expect(node.type, name).toBe('object');
    for (const t of [...MIDDLEWARE_TYPES, 'chain', 'plugin']) expect(Object.keys(spec.properties as object)).toContain(t);
  });

  it('every model type that providers fill from CRDs is covered by a correspondence', () => {
    const covered = new Set(correspondences.map((c) => c.model.split('.')[0]));
    for (const name of ['Router', 'RouterTls', 'LoadBalancerService', 'Service', 'WeightedService', 'ServersTransport', 'TlsOptions', 'TlsStore', 'UdpRouter', 'UdpLoadBalancerService', 'TcpRouter', 'TcpService', 'TcpMiddleware', 'TcpServersTransport'])
      expect(covered, name).toContain(name);
  });
});

describe('CRD files', () => {
  it('charts/portico/crds holds exactly what scripts/generate-crds.ts writes', () => {
    for (const [name, text] of renderCrdFiles()) expect(readFileSync(join(CRD_DIRECTORY, name), 'utf8'), `${name} is stale: npx tsx scripts/generate-crds.ts`).toBe(text);
  });

  it('are structural schemas: every node has a type (or is int-or-string), properties and additionalProperties never together', () => {
    const problems: string[] = [];
    const visit = (node: Schema, at: string): void => {
      if (node['x-kubernetes-int-or-string'] === true) {
        if (JSON.stringify(node.anyOf) !== JSON.stringify([{ type: 'integer' }, { type: 'string' }])) problems.push(`${at}: int-or-string needs anyOf integer|string`);
        return;
      }
      if (typeof node.type !== 'string') problems.push(`${at}: no type`);
      if (node.properties && node.additionalProperties) problems.push(`${at}: properties and additionalProperties together`);
      if (node.type === 'array' && !node.items) problems.push(`${at}: array without items`);
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) visit(v, `${at}.${k}`);
      if (node.items) visit(node.items as Schema, `${at}[]`);
      if (node.additionalProperties && typeof node.additionalProperties === 'object') visit(node.additionalProperties as Schema, `${at}{}`);
    };
    for (const crd of crds) {
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.portico.dev`);
      visit(crd.spec.versions[0]!.schema.openAPIV3Schema, crd.spec.names.kind);
    }
    expect(problems).toEqual([]);
  });

  it('accept a Traefik-style IngressRoute and reject typos and wrong types', () => {
    const validator = new CrdValidator();
    const route = {
      apiVersion: 'portico.dev/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'whoami' },
      spec: {
        entryPoints: ['websecure'],
        routes: [{ match: 'Host(`a.example`)', kind: 'Rule', middlewares: [{ name: 'strip' }], services: [{ name: 'whoami', port: 80, healthCheck: { path: '/health', interval: '10s' } }] }],
        tls: { secretName: 'a-tls', options: { name: 'modern' } },
      },
    };
    expect(validator.validate(route)).toEqual([]);
    expect(validator.validate({ ...route, spec: { ...route.spec, routes: [{ ...route.spec.routes[0], mtach: 'x' }] } }).join('\n')).toMatch(/mtach/);
    expect(validator.validate({ ...route, spec: { ...route.spec, routes: [{ ...route.spec.routes[0], priority: 'high' }] } }).join('\n')).toMatch(/priority: must be integer/);
    expect(validator.validate({ apiVersion: 'portico.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'm' }, spec: { stripPrefix: { prefixes: ['/a'] }, headers: {} } }).join('\n')).toMatch(/more than 1 properties/);
    expect(validator.validate({ apiVersion: 'portico.dev/v1alpha1', kind: 'TLSOption', metadata: { name: 'o' }, spec: { minVersion: 'VersionTLS14' } }).join('\n')).toMatch(/allowed values/);
  });
});
