/**
 * Turn one parsed document of the native dynamic format into model objects,
 * checking each object on its own: an invalid router is reported with its
 * field path and left out, and everything else in the document still applies.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigError, DynamicConfig } from '../../dynamic/model.js';
import {
  dynamicFileSchema,
  middlewareSchema,
  routerSchema,
  serversTransportSchema,
  serviceSchema,
  tlsCertificateSchema,
  tlsOptionsSchema,
  tlsStoreSchema,
  udpRouterSchema,
  udpServiceSchema,
  tcpRouterSchema,
  tcpServiceSchema,
  tcpMiddlewareSchema,
  tcpServersTransportSchema,
} from '../../dynamic/dynamic-schema.js';
import { unsupportedReason } from '../../config/unsupported-key.js';
import { acceptScalarLists, listExpected } from '../../config/scalar-lists.js';
import { emptyTcpConfig } from '../../dynamic/tcp-model.js';

// verbose: errors carry their schema, so a refused key reports its reason (unsupported-key.ts).
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
/** Each compiled check's schema, for Traefik's single-value lists (config/scalar-lists.ts) before it runs. */
const schemaOf = new Map<ValidateFunction, object>();
const compile = (schema: object): ValidateFunction => {
  const validate = ajv.compile(schema);
  schemaOf.set(validate, schema);
  return validate;
};
const check = {
  file: ajv.compile(dynamicFileSchema),
  router: compile(routerSchema),
  service: compile(serviceSchema),
  middleware: compile(middlewareSchema),
  serversTransport: compile(serversTransportSchema),
  certificate: compile(tlsCertificateSchema),
  options: compile(tlsOptionsSchema),
  store: compile(tlsStoreSchema),
  udpRouter: compile(udpRouterSchema),
  udpService: compile(udpServiceSchema),
  tcpRouter: compile(tcpRouterSchema),
  tcpService: compile(tcpServiceSchema),
  tcpMiddleware: compile(tcpMiddlewareSchema),
  tcpServersTransport: compile(tcpServersTransportSchema),
};

export interface ReadContext {
  provider: string;
  source: string;
  /** Find the YAML line of a field path, when the reader can. */
  lineOf?: (path: string[]) => number | undefined;
}

/** What a type key looks like in each section whose objects have exactly one. */
const TYPE_KEY_EXAMPLES: Record<string, string> = { middlewares: 'e.g. stripPrefix, headers', services: 'e.g. loadBalancer, weighted' };

/** `section`: the dynamic section the validated object belongs to (`middlewares`), for the example a type-key error gives. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, section?: string): Array<[string, string]> {
  const typeKeys = (section && TYPE_KEY_EXAMPLES[section]) ?? 'one of the kinds this section takes';
  return (errors ?? []).map((e) => {
    const at = e.instancePath.slice(1).split('/').filter(Boolean);
    const refused = unsupportedReason(e);
    if (refused) return [at.join('.'), refused];
    if (e.keyword === 'additionalProperties') return [[...at, (e.params as { additionalProperty: string }).additionalProperty].join('.'), 'unknown field'];
    if (e.keyword === 'required') return [[...at, (e.params as { missingProperty: string }).missingProperty].join('.'), 'is required'];
    if (e.keyword === 'type' && listExpected(e.params.type)) return [at.join('.'), listExpected(e.params.type)!];
    if (e.keyword === 'maxProperties' || e.keyword === 'minProperties') return [at.join('.'), `must have exactly one type key (${typeKeys})`];
    return [at.join('.'), e.message ?? 'is invalid'];
  });
}

export function readNativeDocument(doc: unknown, into: DynamicConfig, ctx: ReadContext, errors: ConfigError[]): void {
  const err = (path: string[], message: string) =>
    errors.push({ provider: ctx.provider, source: ctx.source, path: path.join('.'), message, line: ctx.lineOf?.(path) });
  if (doc === null || doc === undefined) return;
  if (!check.file(doc)) {
    for (const [p, m] of describeAjvErrors(check.file.errors)) err(p ? p.split('.') : [], m);
    return;
  }
  type Sections = Record<string, Record<string, unknown> | null>;
  const d = doc as { http?: Sections; tcp?: Sections; udp?: Sections; tls?: Record<string, unknown> };
  const section = <T>(
    kind: 'routers' | 'services' | 'middlewares' | 'serversTransports',
    validate: ValidateFunction,
    target: Record<string, T>,
    protocol: 'http' | 'tcp' | 'udp' = 'http',
  ) => {
    const objects = d[protocol]?.[kind];
    if (!objects) return;
    for (const [name, value] of Object.entries(objects)) {
      const base = [protocol, kind, name];
      if (name.includes('@')) {
        err(base, `names may not contain "@" (it separates the provider: this object becomes "${name.split('@')[0]}@${ctx.provider}")`);
        continue;
      }
      if (target[name] !== undefined) {
        err(base, `"${name}" is defined more than once in this provider; keeping the first definition`);
        continue;
      }
      const read = acceptScalarLists(value, schemaOf.get(validate));
      if (!validate(read)) {
        for (const [p, m] of describeAjvErrors(validate.errors, kind)) err(p ? [...base, ...p.split('.')] : base, m);
        continue;
      }
      target[name] = read as T;
    }
  };
  section('routers', check.router, into.http.routers);
  section('services', check.service, into.http.services);
  section('middlewares', check.middleware, into.http.middlewares);
  section('serversTransports', check.serversTransport, into.http.serversTransports);
  section('routers', check.udpRouter, into.udp.routers, 'udp');
  section('services', check.udpService, into.udp.services, 'udp');
  const tcp = (into.tcp ??= emptyTcpConfig());
  section('routers', check.tcpRouter, tcp.routers, 'tcp');
  section('services', check.tcpService, tcp.services, 'tcp');
  section('middlewares', check.tcpMiddleware, tcp.middlewares, 'tcp');
  section('serversTransports', check.tcpServersTransport, tcp.serversTransports, 'tcp');
  const tls = d.tls;
  if (!tls) return;
  ((tls.certificates as unknown[] | null) ?? []).forEach((raw, i) => {
    const c = acceptScalarLists(raw, tlsCertificateSchema);
    if (!check.certificate(c))
      for (const [p, m] of describeAjvErrors(check.certificate.errors)) err(['tls', 'certificates', String(i), ...p.split('.').filter(Boolean)], m);
    else into.tls.certificates.push(c as DynamicConfig['tls']['certificates'][number]);
  });
  for (const [name, raw] of Object.entries((tls.options as Record<string, unknown> | null) ?? {})) {
    const o = acceptScalarLists(raw, tlsOptionsSchema);
    if (!check.options(o)) for (const [p, m] of describeAjvErrors(check.options.errors)) err(['tls', 'options', name, ...p.split('.').filter(Boolean)], m);
    else into.tls.options[name] = o as DynamicConfig['tls']['options'][string];
  }
  for (const [name, s] of Object.entries((tls.stores as Record<string, unknown> | null) ?? {})) {
    if (!check.store(s)) for (const [p, m] of describeAjvErrors(check.store.errors)) err(['tls', 'stores', name, ...p.split('.').filter(Boolean)], m);
    else into.tls.stores[name] = s as DynamicConfig['tls']['stores'][string];
  }
}
