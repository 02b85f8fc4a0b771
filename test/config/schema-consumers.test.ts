/**
 * "Nothing is accepted that does nothing" (issue 10): walk the static and
 * dynamic schemas and check that every key they accept is read by some code
 * outside the schema and type declarations.
 *
 * "Read" is proven by the source: with comments stripped, a consumer file
 * (src/** minus the schema and model declarations) must access the key as a
 * property (`.key`, `?.key`, `['key']`), destructure it (`{ key } =`), or name
 * it as a string (`'key'`, as lists of known keys do). A key name that appears
 * nowhere else is accepted and dropped. The check is by name, so a key sharing
 * its name with a read elsewhere passes (a blind spot this test accepts); a key
 * found unread is never a false alarm.
 *
 * Free-form objects (a schema `type: object` with no properties of its own)
 * accept anything beneath them; each must be listed in FREE_FORM with where
 * its content is checked, or the test fails.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { staticConfigSchema } from '../../src/config/static-schema.js';
import * as dynamic from '../../src/dynamic/dynamic-schema.js';

type Schema = {
  type?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  unsupported?: string;
};

interface AcceptedKey {
  path: string;
  key: string;
  freeForm: boolean;
}

/** Every property the schema accepts, with its path (`<name>` for a map entry, `[]` for an array item). */
export function acceptedKeys(schema: Schema, path: string[] = []): AcceptedKey[] {
  const out: AcceptedKey[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    // Refused on purpose (src/config/unsupported-key.ts): the validator is its consumer.
    if ('unsupported' in child) continue;
    const types = ([] as unknown[]).concat(child.type ?? []);
    const freeForm = types.includes('object') && !child.properties && (child.additionalProperties === undefined || child.additionalProperties === true);
    out.push({ path: [...path, key].join('.'), key, freeForm });
    out.push(...acceptedKeys(child, [...path, key]));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    out.push(...acceptedKeys(schema.additionalProperties as Schema, [...path, '<name>']));
  if (schema.items) out.push(...acceptedKeys(schema.items, [...path, '[]']));
  for (const alt of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) out.push(...acceptedKeys(alt, path));
  return out;
}

const DECLARATIONS = new Set([
  'src/config/static-schema.ts',
  'src/config/static-config.ts',
  'src/dynamic/dynamic-schema.ts',
  'src/dynamic/model.ts',
  'src/dynamic/tcp-schema.ts',
  'src/dynamic/tcp-model.ts',
]);

/**
 * The code that can consume a key. For dynamic keys, providers are left out:
 * they read a key only to carry it into the model (the Kubernetes converter
 * copies `sticky` along), which proves nothing is done with it.
 */
function consumerSources(kind: 'static' | 'dynamic'): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(process.cwd(), p);
      if (kind === 'dynamic' && (rel === 'src/provider' || rel === 'src/dynamic')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !DECLARATIONS.has(rel)) texts.push(readFileSync(p, 'utf8'));
    }
  };
  walk('src');
  // Comments say what code means to do, not what it does.
  return texts
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function isRead(key: string, sources: string): boolean {
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    new RegExp(`\\.${k}\\b(?!\\s*\\()`),
    new RegExp(`\\[\\s*['"\`]${k}['"\`]\\s*\\]`),
    new RegExp(`['"\`]${k}['"\`]`),
    new RegExp(`\\{[^{}=;]*\\b${k}\\b[^{}=;]*\\}\\s*=[^=>]`),
  ].some((re) => re.test(sources));
}

/** Free-form objects and who checks what is inside them. */
const FREE_FORM: Record<string, string> = {
  'static:providers.kubernetesCRD': 'validateKubernetesProviderOptions (src/provider/kubernetes)',
  'static:providers.kubernetesIngress': 'validateKubernetesProviderOptions (src/provider/kubernetes)',
  'static:providers.kubernetesIngressNGINX': 'validateKubernetesProviderOptions (src/provider/kubernetes)',
  'static:providers.kubernetesIngressNginx': 'validateKubernetesProviderOptions (src/provider/kubernetes)',
  'static:providers.kubernetesGateway': 'validateKubernetesProviderOptions (src/provider/kubernetes)',
  'static:api': 'null or object (YAML `api:`), properties checked',
  'static:ping': 'null or object, properties checked',
  'static:accessLog': 'null or object, properties checked',
  'static:metrics.prometheus': 'null or object, properties checked',
  'dynamic:http.routers': 'each router checked by routerSchema',
  'dynamic:http.services': 'each service checked by serviceSchema',
  'dynamic:http.middlewares': 'each middleware checked by its type in the middleware registry',
  'dynamic:http.serversTransports': 'each checked by serversTransportSchema',
  'dynamic:tls.options': 'each checked by tlsOptionsSchema',
  'dynamic:tls.stores': 'each checked by tlsStoreSchema',
  'dynamic:router.tls': 'null or object, properties checked',
  'dynamic:udp.routers': 'each UDP router checked by udpRouterSchema',
  'dynamic:udp.services': 'each UDP service checked by udpServiceSchema',
  'dynamic:tcp': 'null or object, properties checked',
  'dynamic:tcp.routers': 'each router checked by tcpRouterSchema',
  'dynamic:tcp.services': 'each service checked by tcpServiceSchema',
  'dynamic:tcp.middlewares': 'each middleware checked by tcpMiddlewareSchema',
  'dynamic:tcp.serversTransports': 'each checked by tcpServersTransportSchema',
  'tcpRouter:tls': 'null or object, properties checked',
};

const SCHEMAS: Record<string, Schema> = {
  static: staticConfigSchema as Schema,
  dynamic: dynamic.dynamicFileSchema as Schema,
  router: dynamic.routerSchema as Schema,
  service: dynamic.serviceSchema as Schema,
  serversTransport: dynamic.serversTransportSchema as Schema,
  tlsCertificate: dynamic.tlsCertificateSchema as Schema,
  tlsOptions: dynamic.tlsOptionsSchema as Schema,
  tlsStore: dynamic.tlsStoreSchema as Schema,
  udpRouter: dynamic.udpRouterSchema as Schema,
  udpService: dynamic.udpServiceSchema as Schema,
  tcpRouter: dynamic.tcpRouterSchema as Schema,
  tcpService: dynamic.tcpServiceSchema as Schema,
  tcpMiddleware: dynamic.tcpMiddlewareSchema as Schema,
  tcpServersTransport: dynamic.tcpServersTransportSchema as Schema,
};

/**
 * Accepted and ignored, knowingly. Each entry says why it is not refused; an
 * entry whose key becomes read (or refused) fails the test, so the list only shrinks.
 */
const KNOWN_IGNORED: Record<string, string> = {
  // Go ignores PreferServerCipherSuites since 1.18, so Traefik does nothing with it either; refusing it would break Traefik files for no gain.
  'tlsOptions:preferServerCipherSuites': 'ignored by Traefik too',
};

function findings(): { unread: string[]; unlistedFreeForm: string[] } {
  const unread: string[] = [];
  const unlistedFreeForm: string[] = [];
  const staticSources = consumerSources('static');
  const dynamicSources = consumerSources('dynamic');
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const sources = name === 'static' ? staticSources : dynamicSources;
    for (const k of acceptedKeys(schema)) {
      const id = `${name}:${k.path}`;
      if (!isRead(k.key, sources)) unread.push(id);
      else if (k.freeForm && !FREE_FORM[id.replace(/^router:tls$/, 'dynamic:router.tls')]) unlistedFreeForm.push(id);
    }
  }
  return { unread, unlistedFreeForm };
}

describe('every key the schemas accept has a consumer', () => {
  const sources = consumerSources('static');

  test('the walk sees nested, map and array keys, and can tell a read from a mere mention', () => {
    const keys = acceptedKeys(staticConfigSchema as Schema).map((k) => k.path);
    expect(keys).toContain('entryPoints.<name>.http.tls.options');
    expect(keys).toContain('experimental.plugins.<name>.module');
    expect(acceptedKeys(dynamic.serviceSchema as Schema).map((k) => k.path)).toContain('loadBalancer.servers.[].url');
    // Refused keys are the validator's: not listed as accepted.
    expect(acceptedKeys(dynamic.routerSchema as Schema).map((k) => k.path)).not.toContain('observability');
    // The checker itself: a key nobody reads is found; the ways code reads a key are recognised.
    expect(isRead('neverReadAnywhere', sources)).toBe(false);
    expect(isRead('x', 'const a = cfg.x;')).toBe(true);
    expect(isRead('x', 'const a = cfg?.x ?? 1;')).toBe(true);
    expect(isRead('x', "const a = cfg['x'];")).toBe(true);
    expect(isRead('x', 'const { y, x } = cfg;')).toBe(true);
    expect(isRead('x', 'const a = { x: 1 };')).toBe(false);
    const withFake = { type: 'object', properties: { ...(staticConfigSchema.properties as object), neverReadAnywhere: { type: 'string' } } } as Schema;
    expect(
      acceptedKeys(withFake)
        .filter((k) => !isRead(k.key, sources))
        .map((k) => k.path),
    ).toContain('neverReadAnywhere');
  });

  test('no key is accepted and dropped', () => {
    const { unread, unlistedFreeForm } = findings();
    expect
      .soft(
        unread.filter((k) => !KNOWN_IGNORED[k]),
        'accepted by a schema, read by no code: make it work or refuse it with a schema error naming it',
      )
      .toEqual([]);
    expect
      .soft(
        Object.keys(KNOWN_IGNORED).filter((k) => !unread.includes(k)),
        'no longer ignored: remove from KNOWN_IGNORED',
      )
      .toEqual([]);
    expect(unlistedFreeForm, 'a free-form object accepts anything: check its content or refuse it').toEqual([]);
  });
});
