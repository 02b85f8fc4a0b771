/**
 * JSON Schema of the static configuration. ajv enforces it, so an unknown key
 * or a wrong type is reported with its path (`/entryPoints/web/adress`) instead
 * of being silently ignored.
 */
import { unsupported } from './unsupported-key.js';
import { QUIC_IMPLEMENTATIONS } from './quic-implementation.js';

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
        quic: { enum: [...QUIC_IMPLEMENTATIONS] },
        retry: { enum: [true, false, 'always', 'auto', 'off'] },
        keylogFile: { type: 'string' },
        qlogDir: { type: 'string' },
        earlyData: { type: 'boolean' },
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
    udp: {
      type: 'object',
      additionalProperties: false,
      properties: { timeout: duration, maxSessions: { type: 'integer', minimum: 1 } },
    },
    forwardedHeaders: {
      type: 'object',
      additionalProperties: false,
      properties: { trustedIPs: strings, insecure: { type: 'boolean' } },
    },
    proxyProtocol: {
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
    // DNS-01 through lego's exec and httpreq providers, configured by lego's environment variables (src/acme/dns-*.ts).
    dnsChallenge: {
      type: 'object',
      additionalProperties: false,
      required: ['provider'],
      properties: {
        provider: { type: 'string', minLength: 1 },
        delayBeforeCheck: duration,
        disablePropagationCheck: { type: 'boolean' },
        resolvers: strings,
        propagation: {
          type: 'object',
          additionalProperties: false,
          properties: {
            delayBeforeChecks: duration,
            disableChecks: { type: 'boolean' },
            disableANSChecks: unsupported('Portico checks propagation through the resolvers only, never the authoritative name servers'),
            requireAllRNS: unsupported('Portico checks propagation through the resolvers only, never the authoritative name servers'),
          },
        },
      },
    },
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
        kubernetesIngressNGINX: { type: 'object' },
        kubernetesIngressNginx: { type: 'object' },
        kubernetesGateway: { type: 'object' },
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
      properties: {
        filePath: { type: 'string' },
        format: { enum: ['json', 'common', 'genericCLF'] },
        bufferingSize: { type: 'integer', minimum: 0 },
        addInternals: { type: 'boolean' },
        filters: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            statusCodes: { type: 'array', items: { type: 'string', pattern: '^\\s*[1-5][0-9][0-9]\\s*(-\\s*[1-5][0-9][0-9]\\s*)?$' } },
            retryAttempts: { type: 'boolean' },
            minDuration: duration,
          },
        },
        fields: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            defaultMode: { enum: ['keep', 'drop'] },
            names: { type: 'object', additionalProperties: { enum: ['keep', 'drop'] } },
            headers: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: {
                defaultMode: { enum: ['keep', 'drop', 'redact'] },
                names: { type: 'object', additionalProperties: { enum: ['keep', 'drop', 'redact'] } },
              },
            },
            queryParameters: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: { defaultMode: { enum: ['keep', 'drop'] } },
            },
          },
        },
        otlp: unsupported('Portico writes the access log to a file or stdout only; ship it with your log collector'),
        dualOutput: unsupported('Portico writes the access log to a file or stdout only (there is no OTLP output to pair it with)'),
      },
    },
    tracing: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        serviceName: { type: 'string', minLength: 1 },
        sampleRate: { type: 'number', minimum: 0, maximum: 1 },
        resourceAttributes: { type: 'object', additionalProperties: { type: 'string' } },
        capturedRequestHeaders: strings,
        capturedResponseHeaders: strings,
        safeQueryParams: strings,
        addInternals: { type: 'boolean' },
        otlp: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            http: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: {
                endpoint: { type: 'string', pattern: '^https?://' },
                headers: { type: 'object', additionalProperties: { type: 'string' } },
                tls: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, insecureSkipVerify: { type: 'boolean' } },
                },
              },
            },
            grpc: unsupported('Portico exports traces over OTLP/HTTP only; use tracing.otlp.http (collectors listen on :4318 for it)'),
          },
        },
        globalAttributes: unsupported('deprecated in Traefik; use tracing.resourceAttributes'),
      },
    },
    api: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        // The web UI at /dashboard/, served by api@internal beside the API; true by default as in Traefik.
        dashboard: { type: 'boolean' },
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
        addInternals: { type: 'boolean' },
        prometheus: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            entryPoint: { type: 'string' },
            buckets: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 },
            addEntryPointsLabels: { type: 'boolean' },
            addRoutersLabels: { type: 'boolean' },
            addServicesLabels: { type: 'boolean' },
            // Portico's own: Traefik's Prometheus names are fixed to `traefik_`.
            prefix: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
            manualRouting: unsupported('the metrics router is always created on metrics.prometheus.entryPoint'),
            headerLabels: unsupported('extra labels from request headers are not supported'),
          },
        },
        datadog: unsupported('Portico exposes metrics for Prometheus only (metrics.prometheus)'),
        statsD: unsupported('Portico exposes metrics for Prometheus only (metrics.prometheus)'),
        influxDB2: unsupported('Portico exposes metrics for Prometheus only (metrics.prometheus)'),
        otlp: unsupported('Portico exposes metrics for Prometheus only (metrics.prometheus); an OpenTelemetry collector can scrape it'),
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
