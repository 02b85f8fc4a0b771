/**
 * JSON Schema of the static configuration. ajv enforces it, so an unknown key
 * or a wrong type is reported with its path (`/entryPoints/web/adress`) instead
 * of being silently ignored.
 */
import { onlySupported, unsupported } from './unsupported-key.js';

const duration = { type: ['number', 'string'] } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

const entryPoint = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: { type: 'string', minLength: 1 },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        redirections: {
          type: 'object',
          additionalProperties: false,
          properties: {
            entryPoint: {
              type: 'object',
              additionalProperties: false,
              required: ['to'],
              properties: { to: { type: 'string' }, scheme: { type: 'string' }, permanent: { type: 'boolean' } },
            },
          },
        },
        tls: { type: 'object', additionalProperties: false, properties: { options: { type: 'string' } } },
        middlewares: strings,
      },
    },
    http3: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        advertisedPort: { type: 'integer', minimum: 1, maximum: 65535 },
        quic: { type: 'string' },
        keylogFile: { type: 'string' },
        qlogDir: { type: 'string' },
        statelessResetKeyFile: { type: 'string', minLength: 1 },
        statelessResetKeyEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        connectionIds: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { enum: ['random', 'quic-lb'] },
            serverIdEnv: { type: 'string' },
            serverId: { type: 'string' },
            configRotation: { type: 'integer', minimum: 0, maximum: 6 },
            nonceLength: { type: 'integer', minimum: 4, maximum: 18 },
          },
        },
      },
    },
    forwardedHeaders: {
      type: 'object',
      additionalProperties: false,
      properties: { trustedIPs: strings, insecure: { type: 'boolean' } },
    },
    transport: {
      type: 'object',
      additionalProperties: false,
      properties: {
        respondingTimeouts: {
          type: 'object',
          additionalProperties: false,
          properties: { readTimeout: duration, writeTimeout: duration, idleTimeout: duration, writeStallTimeout: duration },
        },
        lifeCycle: {
          type: 'object',
          additionalProperties: false,
          properties: {
            graceTimeOut: duration,
            requestAcceptGraceTimeout: unsupported('Portico stops accepting requests as soon as it shuts down; graceTimeOut bounds the drain'),
          },
        },
        maxHeaderBytes: { type: 'integer', minimum: 1024 },
        maxConcurrentStreams: { type: 'integer', minimum: 1 },
        maxConnections: { type: 'integer', minimum: 1 },
        overload: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxActiveRequests: { type: 'integer', minimum: 0 },
            maxHeapUsedMiB: { type: 'integer', minimum: 0 },
            maxRssMiB: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
  },
} as const;

/** Traefik's `certificatesResolvers.<name>.acme` (src/acme/); keys Portico does not do are refused by name. */
const acmeResolver = {
  type: 'object',
  additionalProperties: false,
  properties: {
    email: { type: 'string' },
    storage: { type: 'string', minLength: 1 },
    caServer: { type: 'string', pattern: '^https?://' },
    keyType: { enum: ['EC256', 'EC384', 'RSA2048', 'RSA4096', 'RSA8192'] },
    certificatesDuration: { type: 'integer', minimum: 1 },
    preferredChain: { type: 'string' },
    caCertificates: strings,
    caSystemCertPool: { type: 'boolean' },
    httpChallenge: {
      type: 'object',
      additionalProperties: false,
      required: ['entryPoint'],
      properties: { entryPoint: { type: 'string', minLength: 1 }, delay: duration },
    },
    tlsChallenge: { type: ['object', 'null'], additionalProperties: false, properties: {} },
    eab: {
      type: 'object',
      additionalProperties: false,
      required: ['kid', 'hmacEncoded'],
      properties: { kid: { type: 'string', minLength: 1 }, hmacEncoded: { type: 'string', minLength: 1 } },
    },
    dnsChallenge: unsupported('the DNS-01 challenge is not supported; use httpChallenge or tlsChallenge'),
    caServerName: unsupported('the CA is verified under its own name; add its CA with caCertificates'),
    clientTimeout: unsupported('the ACME client uses its own timeouts and retries'),
    clientResponseHeaderTimeout: unsupported('the ACME client uses its own timeouts and retries'),
    profile: unsupported('ACME profiles are not supported; the CA default profile is used'),
    emailAddresses: unsupported('use email'),
    disableCommonName: unsupported('the first domain is always the common name'),
  },
} as const;

export const staticConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    entryPoints: { type: 'object', additionalProperties: entryPoint },
    providers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        file: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filename: { type: 'string' },
            directory: { type: 'string' },
            watch: { type: 'boolean' },
            debounceMs: { type: 'integer', minimum: 0 },
          },
        },
        // Validated in detail by the Kubernetes providers themselves.
        kubernetesCRD: { type: 'object' },
        kubernetesIngress: { type: 'object' },
      },
    },
    certificatesResolvers: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['acme'],
        properties: {
          acme: acmeResolver,
          tailscale: unsupported('Tailscale certificate resolvers are not supported; use acme'),
        },
      },
    },
    // A whole number of processes (1 = this one; see src/server/worker-role.ts), or 'auto' for one per CPU.
    workers: { type: ['integer', 'string'], minimum: 1, maximum: 64, pattern: '^auto$' },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
        format: { enum: ['json', 'text'] },
        filePath: { type: 'string' },
      },
    },
    accessLog: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { filePath: { type: 'string' }, format: { enum: ['json', 'common'] } },
    },
    api: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        // Portico never accepts a key that does nothing: `false` only, until a dashboard exists.
        dashboard: onlySupported({ type: 'boolean', enum: [false] }, 'Portico has no dashboard yet; remove api.dashboard or set it to false (the API under /api works without it)'),
        insecure: { type: 'boolean' },
        entryPoint: { type: 'string' },
      },
    },
    ping: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { entryPoint: { type: 'string' } },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        prometheus: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { entryPoint: { type: 'string' } },
        },
      },
    },
    experimental: {
      type: 'object',
      additionalProperties: false,
      properties: {
        plugins: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['module'],
            properties: { module: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;
