/**
 * Builds the static configuration from, in increasing precedence: the
 * YAML/JSON/TOML file, `PORTICO_*` environment variables, and `--a.b.c=value` flags. The
 * result is validated against static-schema.ts so that every mistake is named
 * by its path; defaults are filled in afterwards.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { Ajv } from 'ajv';
import { acceptScalarLists, listExpected } from './scalar-lists.js';
import { staticConfigSchema } from './static-schema.js';
import type { StaticConfig } from './static-config.js';
import { isUdpEntryPoint, parseListenAddress } from './listen-address.js';
import { udpEntryPointProblems } from './udp-entrypoint-rules.js';
import { parseDurationMs } from './duration.js';
import { readStatelessResetKey } from './stateless-reset-key.js';
import { quicheUnavailable } from './quic-implementation.js';
import { parseTomlDocument, tomlLineLocator } from './toml-document.js';
import { unsupportedReason } from './unsupported-key.js';
import { ACME_DNS_PROVIDERS, isAcmeDnsProvider } from './acme-dns-providers.js';
import { isSecretStorage, parseSecretStorage } from './acme-secret-storage-url.js';
import { parseIpRange } from '../net/ip-range.js';
import { yamlLineLocator } from './yaml-line-locator.js';

/** Finds the line of a key path in the file the configuration came from. */
type LineOf = (path: string[]) => number | undefined;

/** Traefik's default `caServer`. */
const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

export class StaticConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid static configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Json = Record<string, unknown>;
type SchemaNode = { type?: unknown; properties?: Record<string, SchemaNode>; additionalProperties?: unknown; items?: SchemaNode };

/** Set `value` at `segments` of `target`, matching schema property names case-insensitively. */
export function applyOverride(target: Json, segments: string[], raw: string, origin: string): void {
  let node: SchemaNode | undefined = staticConfigSchema as unknown as SchemaNode;
  let obj: Json = target;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    let key: string;
    let next: SchemaNode | undefined;
    if (node?.properties) {
      key = Object.keys(node.properties).find((k) => k.toLowerCase() === seg.toLowerCase()) ?? '';
      if (!key) throw new StaticConfigError([`${origin}: unknown option "${segments.slice(0, i + 1).join('.')}"`]);
      next = node.properties[key];
    } else if (node && typeof node.additionalProperties === 'object') {
      key = origin.startsWith('env') ? seg.toLowerCase() : seg;
      next = node.additionalProperties as SchemaNode;
    } else {
      // Free-form objects (kubernetes provider options) keep the key as written.
      key = seg;
      next = undefined;
    }
    if (i === segments.length - 1) {
      obj[key] = coerce(raw, next);
      return;
    }
    const child = obj[key];
    if (typeof child !== 'object' || child === null) obj[key] = {};
    obj = obj[key] as Json;
    node = next;
  }
  // A bare flag/env naming a section (e.g. `--api`) enables it.
}

function coerce(raw: string, node: SchemaNode | undefined): unknown {
  const types = node ? ([] as unknown[]).concat(node.type ?? []) : [];
  if (types.includes('boolean')) return raw === '' || raw.toLowerCase() === 'true';
  if (types.includes('array')) return raw === '' ? [] : raw.split(',').map((s) => s.trim());
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (types.includes('object') && (raw === '' || raw === 'true')) return {};
  if (!node) {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    if (/^\d+$/.test(raw)) return Number(raw);
    if (raw.includes(',')) return raw.split(',');
  }
  return raw;
}

export interface LoadOptions {
  /** Path of the config file; undefined means no file (flags/env only). */
  file?: string;
  /** Already-read document (used for the embedded default). */
  document?: Json;
  env?: NodeJS.ProcessEnv;
  /** `--x.y=z` overrides as [path, value] pairs. */
  flags?: Array<[string, string]>;
}

export function loadStaticConfig(options: LoadOptions): StaticConfig {
  let doc: Json = {};
  let baseDir = process.cwd();
  let lineOf: LineOf | undefined;
  if (options.file) {
    const path = resolve(options.file);
    baseDir = dirname(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new StaticConfigError([`cannot read ${path}: ${(err as Error).message}`]);
    }
    if (extname(path).toLowerCase() === '.toml') {
      const parsed = parseTomlDocument(text);
      if ('error' in parsed) throw new StaticConfigError([`${path}${parsed.line ? `:${parsed.line}` : ''}: ${parsed.error}`]);
      doc = parsed.doc;
      lineOf = tomlLineLocator(text);
    } else {
      try {
        doc = (yaml.load(text, { filename: path }) as Json | undefined) ?? {};
      } catch (err) {
        throw new StaticConfigError([`${path}: ${(err as Error).message}`]);
      }
      lineOf = yamlLineLocator(text);
    }
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new StaticConfigError([`${path}: the top level must be a mapping`]);
  } else if (options.document) {
    doc = structuredClone(options.document);
  }
  const env = options.env ?? {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('PORTICO_') || value === undefined) continue;
    const rest = name.slice('PORTICO_'.length);
    // CONFIG names the file; WORKER_ID/WORKER_COUNT are what a multi-process primary tells its workers (src/server/worker-role.ts).
    if (rest === 'CONFIG' || rest === 'CONFIGFILE' || rest === 'WORKER_ID' || rest === 'WORKER_COUNT') continue;
    applyOverride(doc, rest.split('_'), value, `env ${name}`);
  }
  for (const [path, value] of options.flags ?? []) applyOverride(doc, path.split('.'), value, `flag --${path}`);
  return validateStaticConfig(doc, baseDir, options.file ?? '(embedded)', lineOf);
}

// verbose: errors carry their schema, so a refused key reports its reason (unsupported-key.ts).
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile(staticConfigSchema);

export function validateStaticConfig(doc: Json, baseDir: string, source: string, lineOf?: LineOf): StaticConfig {
  // `file:line` when the key is written in the file (not only set by env or flag).
  const at = (path: string): string => {
    const line = path && path !== '(top level)' ? lineOf?.(path.split('.')) : undefined;
    return line ? `${source}:${line}` : source;
  };
  // `api:` with no value in YAML is null: treat as enabled-with-defaults.
  for (const k of ['accessLog', 'api', 'ping', 'tracing'] as const) if (k in doc && doc[k] === null) doc[k] = {};
  if (doc.metrics && (doc.metrics as Json).prometheus === null) (doc.metrics as Json).prometheus = {};
  const tracingOtlp = (doc.tracing as Json | undefined)?.otlp as Json | undefined;
  if (tracingOtlp?.http === null) tracingOtlp.http = {};
  const accessLog = doc.accessLog as Json | undefined;
  for (const k of ['filters', 'fields'] as const) if (accessLog?.[k] === null) delete accessLog[k];
  // `tlsChallenge:` with no value (Traefik's YAML examples) is the empty section.
  for (const r of Object.values((doc.certificatesResolvers ?? {}) as Record<string, { acme?: Json }>))
    if (r && typeof r === 'object' && r.acme && typeof r.acme === 'object' && 'tlsChallenge' in r.acme && r.acme.tlsChallenge === null)
      r.acme.tlsChallenge = {};
  // Traefik's single-value lists (`trustedIPs: 10.0.0.0/8`), as its file loader reads them.
  doc = acceptScalarLists(doc, staticConfigSchema) as Json;
  if (!validateSchema(doc)) {
    const problems = (validateSchema.errors ?? []).map((e) => {
      const path = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
      const refused = unsupportedReason(e);
      if (refused) return `${at(path)}: ${path}: ${refused}`;
      if (e.keyword === 'additionalProperties') {
        const key = `${path === '(top level)' ? '' : path + '.'}${(e.params as { additionalProperty: string }).additionalProperty}`;
        return `${at(key)}: ${key}: unknown option`;
      }
      const list = e.keyword === 'type' ? listExpected(e.params.type) : undefined;
      return `${at(path)}: ${path}: ${list ?? e.message}`;
    });
    throw new StaticConfigError(problems);
  }
  const cfg = doc as unknown as StaticConfig;
  cfg.baseDir = baseDir;
  cfg.entryPoints ??= {};
  cfg.providers ??= {};
  const log: Partial<StaticConfig['log']> = cfg.log ?? {};
  cfg.log = { ...log, level: log.level ?? 'info', format: log.format ?? 'text' };
  // Traefik writes the common format when none is given.
  if (cfg.accessLog) cfg.accessLog = { ...cfg.accessLog, format: cfg.accessLog.format ?? 'common' };
  const problems: string[] = [];
  const problem = (path: string, message: string) => problems.push(`${at(path)}: ${path}: ${message}`);
  for (const [name, ep] of Object.entries(cfg.entryPoints)) {
    try {
      parseListenAddress(ep.address);
    } catch (err) {
      problem(`entryPoints.${name}.address`, `${(err as Error).message}`);
    }
    // Traefik's `http3: {}`: the section's presence turns HTTP/3 on; `enabled: false` (Portico's older key) still turns it off.
    if (ep.http3) ep.http3.enabled ??= true;
    const to = ep.http?.redirections?.entryPoint.to;
    if (to && !cfg.entryPoints[to]) problem(`entryPoints.${name}.http.redirections.entryPoint.to`, `no entrypoint named "${to}"`);
    else if (to && isUdpEntryPoint(cfg.entryPoints[to]!))
      problem(`entryPoints.${name}.http.redirections.entryPoint.to`, `"${to}" is a UDP entrypoint; redirect to a TCP one`);
    const t = ep.transport;
    for (const [k, v] of Object.entries({ ...t?.respondingTimeouts, ...t?.lifeCycle })) {
      try {
        parseDurationMs(v as number | string);
      } catch (err) {
        problem(`entryPoints.${name}.transport.${k}`, `${(err as Error).message}`);
      }
    }
    for (const section of ['proxyProtocol', 'forwardedHeaders'] as const)
      ep[section]?.trustedIPs?.forEach((range, i) => {
        try {
          parseIpRange(range);
        } catch (err) {
          problem(`entryPoints.${name}.${section}.trustedIPs[${i}]`, `${(err as Error).message}`);
        }
      });
    if (ep.http3?.statelessResetKeyFile) ep.http3.statelessResetKeyFile = resolve(baseDir, ep.http3.statelessResetKeyFile);
    // 0-RTT is accepted by our own QUIC only: with the quiche binding the key would do nothing.
    if (ep.http3?.earlyData && (ep.http3.quic ?? 'quiche') !== 'portico')
      problem(`entryPoints.${name}.http3.earlyData`, `needs http3.quic: portico (the ${ep.http3.quic ?? 'quiche'} transport accepts no 0-RTT)`);
    if (ep.http3) {
      try {
        readStatelessResetKey(ep.http3);
      } catch (err) {
        problem(`entryPoints.${name}.http3`, `${(err as Error).message}`);
      }
      // The native transport is not in production installs: say so and how to get it, rather than start without HTTP/3.
      const missing = ep.http3.enabled && ep.http3.quic === 'quiche' ? quicheUnavailable() : undefined;
      if (missing) problem(`entryPoints.${name}.http3.quic`, missing);
    }
  }
  for (const p of udpEntryPointProblems(cfg.entryPoints)) problem(p.path, p.message);
  // The internal entrypoint is `portico`, or `traefik` when only that one is defined (Traefik's `api.insecure` convention).
  const internal = !cfg.entryPoints.portico && cfg.entryPoints.traefik ? 'traefik' : 'portico';
  if (cfg.api?.insecure) cfg.api.entryPoint ??= internal;
  // Traefik's default: the dashboard comes with the API unless `api.dashboard: false`.
  if (cfg.api) cfg.api.dashboard ??= true;
  if (cfg.ping) cfg.ping.entryPoint ??= internal;
  if (cfg.metrics?.prometheus) cfg.metrics.prometheus.entryPoint ??= internal;
  const internalUsers: Array<[string, string | undefined]> = [
    ['api.entryPoint', cfg.api?.insecure ? cfg.api.entryPoint : undefined],
    ['ping.entryPoint', cfg.ping?.entryPoint],
    ['metrics.prometheus.entryPoint', cfg.metrics?.prometheus?.entryPoint],
  ];
  for (const [field, ep] of internalUsers) {
    if (ep && cfg.entryPoints[ep] && isUdpEntryPoint(cfg.entryPoints[ep]))
      problem(field, `"${ep}" is a UDP entrypoint; ${field.split('.')[0]} needs a TCP one`);
    if (!ep || cfg.entryPoints[ep]) continue;
    // Like Traefik's implicit `traefik` entrypoint: the internal one appears on :9000 when first needed.
    if (ep === 'portico') cfg.entryPoints.portico = { address: ':9000' };
    else problem(`${field}`, `no entrypoint named "${ep}"`);
  }
  const minDuration = cfg.accessLog?.filters?.minDuration;
  if (minDuration !== undefined) {
    try {
      parseDurationMs(minDuration);
    } catch (err) {
      problem('accessLog.filters.minDuration', `${(err as Error).message}`);
    }
  }
  // Our own families keep the `portico_` names; the Traefik ones under that prefix would collide with them.
  if (cfg.metrics?.prometheus?.prefix === 'portico')
    problem(
      'metrics.prometheus.prefix',
      "portico_ is the prefix of Portico's own metrics; choose another (the default, traefik, keeps Traefik's dashboards working)",
    );
  for (const [name, { acme }] of Object.entries(cfg.certificatesResolvers ?? {})) {
    const at = `certificatesResolvers.${name}.acme`;
    if (!acme) continue;
    if ([acme.httpChallenge, acme.tlsChallenge, acme.dnsChallenge].filter(Boolean).length !== 1)
      problem(at, 'set exactly one of httpChallenge, tlsChallenge or dnsChallenge');
    const dns = acme.dnsChallenge;
    if (dns) {
      if (!isAcmeDnsProvider(dns.provider))
        problem(
          `${at}.dnsChallenge.provider`,
          `"${dns.provider}" is not supported: Portico does lego's generic DNS providers only, exec (a program of yours, EXEC_PATH) and httpreq (an HTTP endpoint of yours, HTTPREQ_ENDPOINT); reach your DNS service through one of them`,
        );
      else {
        const variable = ACME_DNS_PROVIDERS[dns.provider];
        if (!process.env[variable] && !process.env[`${variable}_FILE`])
          problem(`${at}.dnsChallenge.provider`, `the ${dns.provider} DNS provider needs the environment variable ${variable} (as lego)`);
      }
      // Traefik's deprecated spellings: the newer propagation keys win when both are set.
      const propagation = { ...dns.propagation };
      propagation.delayBeforeChecks ??= dns.delayBeforeCheck;
      propagation.disableChecks ??= dns.disablePropagationCheck;
      dns.propagation = propagation;
      if (propagation.delayBeforeChecks !== undefined)
        try {
          parseDurationMs(propagation.delayBeforeChecks);
        } catch (err) {
          problem(`${at}.dnsChallenge.propagation.delayBeforeChecks`, `${(err as Error).message}`);
        }
      dns.resolvers?.forEach((r, i) => {
        if (!/^(\[[0-9a-f:.]+\]|[0-9.]+|[0-9a-f:]+)(:\d{1,5})?$/i.test(r))
          problem(`${at}.dnsChallenge.resolvers[${i}]`, `"${r}" is not an IP address with an optional port (1.1.1.1:53, [2606:4700::1111]:53)`);
      });
    }
    const ep = acme.httpChallenge?.entryPoint;
    if (ep && !cfg.entryPoints[ep]) problem(`${at}.httpChallenge.entryPoint`, `no entrypoint named "${ep}"`);
    if (acme.httpChallenge?.delay !== undefined)
      try {
        parseDurationMs(acme.httpChallenge.delay);
      } catch (err) {
        problem(`${at}.httpChallenge.delay`, `${(err as Error).message}`);
      }
    if (acme.tlsChallenge && !Object.values(cfg.entryPoints).some((e) => e.http?.tls))
      problem(`${at}.tlsChallenge`, 'TLS-ALPN-01 is answered on TLS entrypoints; add http.tls: {} to the entrypoint the CA reaches (port 443)');
    if (isSecretStorage(acme.storage)) {
      try {
        acme.storageSecret = parseSecretStorage(acme.storage);
      } catch (err) {
        problem(`${at}.storage`, (err as Error).message);
      }
      const { kubernetesCRD, kubernetesIngress, kubernetesIngressNGINX, kubernetesIngressNginx } = cfg.providers;
      if (!kubernetesCRD && !kubernetesIngress && !kubernetesIngressNGINX && !kubernetesIngressNginx)
        problem(
          `${at}.storage`,
          'a Kubernetes Secret needs a Kubernetes connection: configure providers.kubernetesCRD, kubernetesIngress or kubernetesIngressNGINX (its endpoint, token or kubeconfig are used)',
        );
    } else acme.storage = resolve(baseDir, acme.storage ?? 'acme.json');
    acme.caServer ??= LETS_ENCRYPT_DIRECTORY;
    acme.keyType ??= 'RSA4096';
    acme.certificatesDuration ??= 2160;
    if (acme.caCertificates) acme.caCertificates = acme.caCertificates.map((f) => resolve(baseDir, f));
  }
  const file = cfg.providers.file;
  if (file) {
    if (!file.filename === !file.directory) problem(`providers.file`, `set exactly one of filename or directory`);
    if (file.filename) file.filename = resolve(baseDir, file.filename);
    if (file.directory) file.directory = resolve(baseDir, file.directory);
  }
  // Traefik spells it kubernetesIngressNGINX; kubernetesIngressNginx is the same provider, so only one may be set.
  if (cfg.providers.kubernetesIngressNGINX && cfg.providers.kubernetesIngressNginx)
    problem('providers.kubernetesIngressNginx', 'the same provider as providers.kubernetesIngressNGINX; set only one of them');
  if (problems.length) throw new StaticConfigError(problems);
  return cfg;
}
