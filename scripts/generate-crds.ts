/**
 * The source of truth for Portico's CustomResourceDefinitions (group portico.dev,
 * version v1alpha1). Field names follow Traefik's CRDs for the same kinds, so
 * manifests written for Traefik apply with only the apiVersion changed; the
 * fields are the ones `src/dynamic/model.ts` can express, plus Kubernetes
 * references (Secrets, Services, other CRDs) that the provider resolves.
 *
 *   npx tsx scripts/generate-crds.ts          # rewrite charts/portico/crds/*.yaml
 *   npx tsx scripts/generate-crds.ts --check  # exit 1 if the files are stale
 *
 * test/charts/crd-model.test.ts checks these schemas against the TypeScript
 * model, and that the files on disk are what this script writes.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const CRD_GROUP = 'portico.dev';
export const CRD_VERSION = 'v1alpha1';
export const CRD_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..', 'charts', 'portico', 'crds');

/** A node of an OpenAPI v3 structural schema. */
export type Schema = { [key: string]: unknown };

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', description, ...extra });
const strings = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' } });
const list = (description: string, items: Schema): Schema => ({ type: 'array', description, items });
const object = (description: string, properties: Record<string, Schema>, required?: string[]): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required ? { required } : {}),
});
/** Durations: seconds as an integer or a Go duration string (`10s`, `1m30s`). */
const duration = (description: string): Schema => ({
  description,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  'x-kubernetes-int-or-string': true,
});
const freeform = (description: string): Schema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});

const tlsVersions = ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'];
const clientAuthTypes = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

const objectRef = (what: string): Schema =>
  object(
    `Reference to a ${what} by name; namespace defaults to the referring object's.`,
    {
      name: str(`Name of the ${what}.`),
      namespace: str(`Namespace of the ${what}.`),
    },
    ['name'],
  );

/** Traefik's sticky sessions by cookie. */
const sticky: Schema = object('Session affinity.', {
  cookie: object('Affinity by cookie.', {
    name: str('Cookie name (default: _ and 5 hex digits derived from the service name).'),
    secure: bool('Set the Secure attribute.'),
    httpOnly: bool('Set the HttpOnly attribute.'),
    sameSite: str('SameSite attribute: none, lax or strict.', { enum: ['none', 'lax', 'strict', 'None', 'Lax', 'Strict'] }),
    maxAge: int('Max-Age in seconds; 0 makes a session cookie, a negative value expires it at once.'),
    path: str('Path attribute (default /).'),
    domain: str('Domain attribute.'),
  }),
});

/** A route's (or weighted service's) target: a Kubernetes Service or a TraefikService. */
const serviceRef: Schema = object(
  'An upstream: a Kubernetes Service (its ready endpoints become servers) or a TraefikService.',
  {
    name: str('Name of the Kubernetes Service or TraefikService; `name@provider` refers to a service of another provider.'),
    namespace: str("Namespace of the referenced object; defaults to the referring object's."),
    kind: str('What name refers to.', { enum: ['Service', 'TraefikService'] }),
    port: duration('Port of the Kubernetes Service, by number or by name.'),
    scheme: str('Scheme to reach the servers: http, https or h2c. Defaults to https for port 443, http otherwise.'),
    weight: int('Relative weight when this entry is part of a weighted set.', { minimum: 0 }),
    nativeLB: bool("Send to the Service's cluster IP instead of its individual endpoints."),
    passHostHeader: bool("Forward the client's Host header upstream (default true)."),
    serversTransport: str('Name of a ServersTransport in the same namespace.'),
    healthCheck: object('Active health checks of each server.', {
      path: str('Path requested on each server.'),
      interval: duration('Time between checks (default 30s).'),
      timeout: duration('Time a check may take (default 5s).'),
      scheme: str("Scheme for checks, when different from the servers'."),
      hostname: str('Host header sent with checks.'),
      port: int("Port for checks, when different from the servers'."),
    }),
    strategy: str('Load-balancing strategy: wrr (weighted round robin, the default) or p2c (power of two choices by requests in flight).', {
      enum: ['wrr', 'p2c', 'RoundRobin'],
    }),
    passiveHealthCheck: object('Take a server out after failed requests (an answer of 500 or more, or no answer).', {
      failureWindow: duration('Window the failures are counted in, and how long the server stays out (default 10s).'),
      maxFailedAttempts: int('Failures within the window that take the server out (default 1).', { minimum: 1 }),
    }),
    sticky,
  },
  ['name'],
);

/** A reference with the options a TraefikService adds beside it (mirroring's main service, a mirror). */
const serviceRefWith = (description: string, extra: Record<string, Schema>): Schema => ({
  ...serviceRef,
  description,
  properties: { ...(serviceRef.properties as Record<string, Schema>), ...extra },
});

/** Traefik's HTTP middleware types; each holds that middleware's options. */
export const MIDDLEWARE_TYPES = [
  'addPrefix',
  'basicAuth',
  'buffering',
  'circuitBreaker',
  'compress',
  'contentType',
  'digestAuth',
  'errors',
  'forwardAuth',
  'grpcWeb',
  'headers',
  'inFlightReq',
  'ipAllowList',
  'passTLSClientCert',
  'rateLimit',
  'redirectRegex',
  'redirectScheme',
  'replacePath',
  'replacePathRegex',
  'retry',
  'stripPrefix',
  'stripPrefixRegex',
] as const;

interface KindDefinition {
  kind: string;
  plural: string;
  description: string;
  spec: Schema;
  printerColumns?: Array<{ name: string; type: string; jsonPath: string }>;
}

const kinds: KindDefinition[] = [
  {
    kind: 'IngressRoute',
    plural: 'ingressroutes',
    description: 'HTTP routers: requests matching a rule go through middlewares to services.',
    spec: object(
      'Routes, the entrypoints they listen on, and TLS.',
      {
        entryPoints: strings('Entrypoint names from the static configuration; empty means all.'),
        parentRefs: list(
          "Multi-layer routing: the IngressRoutes whose routes are this one's parents (their middlewares run first, then these routes choose).",
          objectRef('IngressRoute'),
        ),
        routes: list(
          'One router per route.',
          object(
            'A rule and what serves the requests it matches.',
            {
              match: str('Rule, e.g. Host(`example.com`) && PathPrefix(`/api`).'),
              kind: str('Always Rule.', { enum: ['Rule'] }),
              priority: int("Higher wins among matching routes; defaults to the rule's length."),
              middlewares: list('Middleware resources applied in order.', objectRef('Middleware')),
              services: list('Where matching requests go; more than one entry is a weighted set.', serviceRef),
            },
            ['match'],
          ),
        ),
        tls: object('Presence makes the routes answer only on TLS connections.', {
          secretName: str('A kubernetes.io/tls Secret whose certificate is added to the store.'),
          options: objectRef('TLSOption'),
          store: objectRef('TLSStore (only `default` exists)'),
          certResolver: str('Certificate resolver from the static configuration.'),
          domains: list(
            'Domains to request certificates for.',
            object('A main domain and its alternative names.', { main: str('Main domain.'), sans: strings('Subject alternative names.') }),
          ),
        }),
      },
      ['routes'],
    ),
    printerColumns: [{ name: 'EntryPoints', type: 'string', jsonPath: '.spec.entryPoints' }],
  },
  {
    kind: 'IngressRouteUDP',
    plural: 'ingressrouteudps',
    description: 'UDP routers: datagrams arriving on UDP entrypoints go, one session per client address, to Kubernetes Services.',
    spec: object(
      'Routes and the UDP entrypoints they listen on.',
      {
        entryPoints: strings('UDP entrypoint names from the static configuration (addresses ending in /udp); empty means all of them.'),
        routes: list(
          'One UDP router per route.',
          object('Where the datagrams go; more than one service is a weighted set.', {
            services: list(
              'Kubernetes Services; their ready endpoints become servers.',
              object(
                'A Kubernetes Service and its port.',
                {
                  name: str('Name of the Kubernetes Service.'),
                  namespace: str("Namespace of the Service; defaults to the IngressRouteUDP's."),
                  port: duration('Port of the Kubernetes Service, by number or by name.'),
                  weight: int('Relative weight when the route has several services.', { minimum: 0 }),
                  nativeLB: bool("Send to the Service's cluster IP instead of its individual endpoints."),
                },
                ['name', 'port'],
              ),
            ),
          }),
        ),
      },
      ['routes'],
    ),
    printerColumns: [{ name: 'EntryPoints', type: 'string', jsonPath: '.spec.entryPoints' }],
  },
  {
    kind: 'IngressRouteTCP',
    plural: 'ingressroutetcps',
    description: 'TCP routers: connections matching a rule (SNI, client IP, ALPN) go through TCP middlewares to Kubernetes Services.',
    spec: object(
      'Routes, the entrypoints they listen on, and TLS.',
      {
        entryPoints: strings('Entrypoint names from the static configuration; empty means all.'),
        routes: list(
          'One TCP router per route.',
          object(
            'A rule and where the connections it matches go.',
            {
              match: str('Rule: HostSNI(`example.com`), HostSNI(`*`), HostSNIRegexp, ClientIP, ALPN, with &&, || and !.'),
              priority: int("Higher wins among matching routes; defaults to the rule's length."),
              syntax: str('Rule syntax; only v3.', { enum: ['v3'] }),
              middlewares: list('MiddlewareTCP resources applied in order.', objectRef('MiddlewareTCP')),
              services: list(
                'Kubernetes Services; more than one is a weighted set.',
                object(
                  'A Kubernetes Service and its port.',
                  {
                    name: str('Name of the Kubernetes Service.'),
                    namespace: str("Namespace of the Service; defaults to the IngressRouteTCP's."),
                    port: duration('Port of the Kubernetes Service, by number or by name.'),
                    weight: int('Relative weight when the route has several services.', { minimum: 0 }),
                    proxyProtocol: object('Send a PROXY protocol header to the servers.', {
                      version: int('PROXY protocol version, 1 or 2 (default 2).', { enum: [1, 2] }),
                    }),
                    serversTransport: str('Name of a ServersTransportTCP in the same namespace.'),
                    tls: bool('Dial the servers with TLS (settings from the serversTransport).'),
                    nativeLB: bool("Send to the Service's cluster IP instead of its individual endpoints."),
                    nodePortLB: bool('Not supported by Portico: an object setting it is refused with an error naming the field.'),
                    terminationDelay: int('Deprecated in Traefik v3 and refused: set terminationDelay on a ServersTransportTCP.'),
                  },
                  ['name', 'port'],
                ),
              ),
            },
            ['match'],
          ),
        ),
        tls: object('Presence makes the routes match TLS connections by SNI.', {
          secretName: str('A kubernetes.io/tls Secret whose certificate is added to the store (terminating routes).'),
          passthrough: bool('Relay the TLS bytes to the servers undecrypted.'),
          options: objectRef('TLSOption'),
          store: objectRef('TLSStore (only `default` exists)'),
          certResolver: str('Not supported on TCP routes: refused with an error naming the field; use secretName.'),
          domains: list(
            'Not supported on TCP routes: refused with an error naming the field.',
            object('A main domain and its alternative names.', { main: str('Main domain.'), sans: strings('Subject alternative names.') }),
          ),
        }),
      },
      ['routes'],
    ),
    printerColumns: [{ name: 'EntryPoints', type: 'string', jsonPath: '.spec.entryPoints' }],
  },
  {
    kind: 'MiddlewareTCP',
    plural: 'middlewaretcps',
    description: 'One TCP middleware: ipAllowList or inFlightConn.',
    spec: {
      ...object('Exactly one TCP middleware type and its options.', {
        ipAllowList: object('Accept connections only from these client addresses; others are closed at once.', {
          sourceRange: strings('IPs or CIDR ranges.'),
        }),
        inFlightConn: object('Limit simultaneous connections per client IP; extra ones are closed at once.', {
          amount: int('Most connections at once per client IP.', { minimum: 1 }),
        }),
      }),
      minProperties: 1,
      maxProperties: 1,
    },
  },
  {
    kind: 'ServersTransportTCP',
    plural: 'serverstransporttcps',
    description: 'How Portico dials TCP servers: timeouts, keep-alive, TLS.',
    spec: object('Connection settings for TCP servers.', {
      dialTimeout: duration('Time to establish a connection (default 30s).'),
      dialKeepAlive: duration('Interval of TCP keep-alive probes (default 15s); negative turns them off.'),
      terminationDelay: duration("After one side's half-close, close both this much later; unset or negative: wait for the other side."),
      tls: object('TLS to the servers (for services with tls: true).', {
        serverName: str('SNI and verification name sent to the servers.'),
        insecureSkipVerify: bool('Do not verify server certificates.'),
        rootCAsSecrets: strings('Secrets holding CA certificates (tls.ca or ca.crt) trusted for server certificates.'),
        certificatesSecrets: strings('kubernetes.io/tls Secrets presented as client certificates.'),
        peerCertURI: str("A URI SAN the server's certificate must carry, checked instead of its host name."),
        spiffe: freeform('Not supported by Portico: refused with an error naming the field.'),
      }),
    }),
  },
  {
    kind: 'Middleware',
    plural: 'middlewares',
    description: 'One middleware: exactly one key naming its type, holding its options.',
    spec: {
      type: 'object',
      description: 'Exactly one middleware type and its options.',
      minProperties: 1,
      maxProperties: 1,
      properties: {
        ...Object.fromEntries(MIDDLEWARE_TYPES.map((t) => [t, freeform(`Options of the ${t} middleware (see docs/middlewares.md).`)])),
        chain: object('Run other Middleware resources in order.', {
          middlewares: list('The chained middlewares.', objectRef('Middleware')),
        }),
        plugin: {
          type: 'object',
          description: 'A plugin middleware from experimental.plugins: one key, the plugin name, holding its options.',
          additionalProperties: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  },
  {
    kind: 'TraefikService',
    plural: 'traefikservices',
    description: 'A service composed of other services: weighted round robin, mirroring or failover.',
    spec: object('The composition: exactly one of weighted, mirroring, failover.', {
      weighted: object('Weighted round robin over services.', {
        services: list('The services and their weights.', serviceRef),
        sticky,
      }),
      mirroring: serviceRefWith('The main service (answers the client) and its mirrors (get copies, their answers dropped).', {
        mirrorBody: bool('Copy the request body to the mirrors (default true).'),
        maxBodySize: int('A request with a larger body (bytes) is not mirrored; -1 means no limit (the default).', { minimum: -1 }),
        mirrors: list(
          'Services that get a copy of a share of the requests.',
          serviceRefWith('A mirror.', { percent: int('Share of the requests copied to this mirror, 0-100.', { minimum: 0, maximum: 100 }) }),
        ),
      }),
      failover: object(
        'The main service while its health check says it is up, the fallback otherwise.',
        {
          service: serviceRef,
          fallback: serviceRef,
        },
        ['service', 'fallback'],
      ),
    }),
  },
  {
    kind: 'ServersTransport',
    plural: 'serverstransports',
    description: 'How Portico connects to upstream servers: TLS verification, client certificates, timeouts.',
    spec: object('Connection settings for upstream servers.', {
      serverName: str('SNI and verification name sent to https servers.'),
      insecureSkipVerify: bool('Do not verify server certificates.'),
      rootCAs: list(
        'CA certificates trusted for server certificates.',
        object('A Secret or ConfigMap holding a CA certificate under tls.ca or ca.crt.', {
          secret: str('Secret name.'),
          configMap: str('ConfigMap name.'),
        }),
      ),
      certificatesSecrets: strings('kubernetes.io/tls Secrets presented as client certificates.'),
      maxIdleConnsPerHost: int('Idle keep-alive connections kept per server.', { minimum: -1 }),
      forwardingTimeouts: object('Timeouts for requests to servers.', {
        dialTimeout: duration('Time to establish a connection.'),
        responseHeaderTimeout: duration('Time to wait for response headers after sending the request.'),
        idleConnTimeout: duration('Time an idle keep-alive connection stays open.'),
      }),
      disableHTTP2: bool('Speak only HTTP/1.1 to servers (h2c is chosen with a service scheme of h2c).'),
    }),
  },
  {
    kind: 'TLSOption',
    plural: 'tlsoptions',
    description: 'TLS parameters routers can select by name.',
    spec: object('TLS handshake parameters.', {
      minVersion: str('Lowest TLS version accepted.', { enum: tlsVersions }),
      maxVersion: str('Highest TLS version accepted.', { enum: tlsVersions }),
      cipherSuites: strings('Cipher suites for TLS 1.2 and below.'),
      curvePreferences: strings('Key exchange groups in order of preference.'),
      alpnProtocols: strings('ALPN protocols offered, in order of preference.'),
      sniStrict: bool('Refuse handshakes whose SNI matches no certificate.'),
      clientAuth: object('Client certificate authentication (mTLS).', {
        secretNames: strings('Secrets holding the CA certificates that client certificates must chain to.'),
        clientAuthType: str('Whether client certificates are requested, required and verified.', { enum: clientAuthTypes }),
      }),
    }),
  },
  {
    kind: 'TLSStore',
    plural: 'tlsstores',
    description: 'The certificate store; only the store named `default` is used.',
    spec: object('Certificates of the store.', {
      defaultCertificate: object(
        'Served when no certificate matches the SNI.',
        {
          secretName: str('A kubernetes.io/tls Secret in the same namespace.'),
        },
        ['secretName'],
      ),
      certificates: list(
        'Certificates added to the store and chosen by SNI.',
        object('A certificate Secret.', { secretName: str('A kubernetes.io/tls Secret in the same namespace.') }, ['secretName']),
      ),
    }),
  },
];

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; categories: string[] };
    scope: 'Namespaced';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Schema };
      additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string }>;
    }>;
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return kinds.map((k) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${CRD_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'portico' } },
    spec: {
      group: CRD_GROUP,
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.kind.toLowerCase(), categories: ['portico'] },
      scope: 'Namespaced',
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: k.description,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: k.spec,
              },
              required: ['metadata', 'spec'],
            },
          },
          ...(k.printerColumns
            ? { additionalPrinterColumns: [...k.printerColumns, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] }
            : {}),
        },
      ],
    },
  }));
}

/** File name → YAML text, as written to charts/portico/crds/. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of buildCrds()) {
    const header =
      '# Generated by scripts/generate-crds.ts from the schemas there; do not edit by hand.\n# Apply without Helm: kubectl apply --server-side -f charts/portico/crds/\n';
    files.set(`${crd.metadata.name}.yaml`, header + yaml.dump(crd, { lineWidth: -1, noRefs: true, sortKeys: false }));
  }
  return files;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  mkdirSync(CRD_DIRECTORY, { recursive: true });
  for (const [name, text] of renderCrdFiles()) {
    const path = join(CRD_DIRECTORY, name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale++;
    if (check) console.error(`${path} is out of date; run npx tsx scripts/generate-crds.ts`);
    else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  return check && stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
