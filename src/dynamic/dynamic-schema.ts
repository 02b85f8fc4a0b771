/**
 * JSON Schemas of each dynamic object (router, service, …), used to check the
 * native file format one object at a time so that one bad router is left out
 * while the rest apply. Middleware options are checked by their own type
 * (middleware/registry), so here a middleware is only "one key → object".
 */
import { onlySupported, unsupported } from '../config/unsupported-key.js';
import { duration, serviceOfOneKind, serversLoadBalancer, strings, weightedMembers, weightedService } from './schema-parts.js';

const NO_ACME_DEFAULT = 'a default certificate from an ACME resolver is not supported yet; routers ask their resolver with tls.certResolver';
const certRef = {
  type: 'object',
  additionalProperties: false,
  required: ['certFile', 'keyFile'],
  properties: { certFile: { type: 'string' }, keyFile: { type: 'string' } },
} as const;

const sticky = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cookie: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        secure: { type: 'boolean' },
        httpOnly: { type: 'boolean' },
        sameSite: { type: 'string', enum: ['', 'none', 'lax', 'strict', 'None', 'Lax', 'Strict'] },
        maxAge: { type: 'integer' },
        path: { type: 'string' },
        domain: { type: 'string' },
      },
    },
  },
} as const;
/** `healthCheck: {}` on weighted, mirroring and failover services: report health to the parent. */
const healthReporting = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;
const serviceName = { type: 'string', minLength: 1 } as const;

export const routerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rule'],
  properties: {
    rule: { type: 'string', minLength: 1 },
    entryPoints: strings,
    middlewares: strings,
    // Required unless other routers name this one in parentRefs (checked when the routes are built).
    service: { type: 'string', minLength: 1 },
    parentRefs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    priority: { type: 'integer' },
    ruleSyntax: onlySupported({ const: 'v3' }, 'only the v3 rule syntax is supported'),
    observability: unsupported('per-router observability settings are not supported'),
    tls: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        options: { type: 'string' },
        // The name of a static certificatesResolvers entry (src/acme/).
        certResolver: { type: 'string', minLength: 1 },
        domains: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['main'],
            properties: { main: { type: 'string', minLength: 1 }, sans: strings },
          },
        },
      },
    },
  },
} as const;

export const serviceSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    loadBalancer: {
      type: 'object',
      additionalProperties: false,
      required: ['servers'],
      properties: {
        servers: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: { url: { type: 'string', pattern: '^(https?|h2c)://' }, weight: { type: 'integer', minimum: 0 } },
          },
        },
        passHostHeader: { type: 'boolean' },
        serversTransport: { type: 'string' },
        healthCheck: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string' },
            interval: duration,
            timeout: duration,
            scheme: { type: 'string' },
            hostname: { type: 'string' },
            port: { type: 'integer' },
          },
        },
        sticky,
        strategy: { enum: ['wrr', 'p2c'] },
        passiveHealthCheck: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { failureWindow: duration, maxFailedAttempts: { type: 'integer', minimum: 1 } },
        },
      },
    },
    weighted: {
      type: 'object',
      additionalProperties: false,
      required: ['services'],
      properties: {
        services: weightedMembers,
        sticky,
        healthCheck: healthReporting,
      },
    },
    mirroring: {
      type: 'object',
      additionalProperties: false,
      required: ['service'],
      properties: {
        service: serviceName,
        mirrorBody: { type: 'boolean' },
        maxBodySize: { type: 'integer', minimum: -1 },
        mirrors: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: serviceName, percent: { type: 'integer', minimum: 0, maximum: 100 } },
          },
        },
        healthCheck: healthReporting,
      },
    },
    failover: {
      type: 'object',
      additionalProperties: false,
      required: ['service', 'fallback'],
      properties: { service: serviceName, fallback: serviceName, healthCheck: healthReporting },
    },
  },
} as const;

export const middlewareSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: { type: 'object' },
} as const;

export const serversTransportSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serverName: { type: 'string' },
    insecureSkipVerify: { type: 'boolean' },
    rootCAs: strings,
    certificates: { type: 'array', items: certRef },
    maxIdleConnsPerHost: { type: 'integer', minimum: 1 },
    forwardingTimeouts: {
      type: 'object',
      additionalProperties: false,
      properties: { dialTimeout: duration, responseHeaderTimeout: duration, idleConnTimeout: duration },
    },
    http2: { type: 'boolean' },
  },
} as const;

export const tlsCertificateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['certFile', 'keyFile'],
  properties: { certFile: { type: 'string' }, keyFile: { type: 'string' }, stores: strings },
} as const;

const tlsVersion = { enum: ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] } as const;
export const tlsOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minVersion: tlsVersion,
    maxVersion: tlsVersion,
    cipherSuites: strings,
    curvePreferences: strings,
    alpnProtocols: strings,
    sniStrict: { type: 'boolean' },
    preferServerCipherSuites: { type: 'boolean' },
    clientAuth: {
      type: 'object',
      additionalProperties: false,
      properties: { caFiles: strings, clientAuthType: { type: 'string' } },
    },
  },
} as const;

export const tlsStoreSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { defaultCertificate: certRef, defaultGeneratedCert: unsupported(NO_ACME_DEFAULT) },
} as const;

export const udpRouterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['service'],
  properties: {
    entryPoints: strings,
    service: { type: 'string', minLength: 1 },
  },
} as const;

export const udpServiceSchema = serviceOfOneKind({
  loadBalancer: serversLoadBalancer('address', { address: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:/\\s\\[\\]]+):[0-9]{1,5}$' } }, {}),
  weighted: weightedService,
});

/** Top level of a native dynamic file: sections only; objects are checked one by one. */
/** The sections of `http` and `tcp`: maps of named objects, each checked by its own schema (file provider). */
const objectSections = {
  additionalProperties: false,
  properties: {
    routers: { type: ['object', 'null'] },
    services: { type: ['object', 'null'] },
    middlewares: { type: ['object', 'null'] },
    serversTransports: { type: ['object', 'null'] },
  },
} as const;

export const dynamicFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: { type: 'object', ...objectSections },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        certificates: { type: ['array', 'null'] },
        options: { type: ['object', 'null'] },
        stores: { type: ['object', 'null'] },
      },
    },
    tcp: { type: ['object', 'null'], ...objectSections },
    udp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        routers: { type: ['object', 'null'] },
        services: { type: ['object', 'null'] },
      },
    },
  },
} as const;

export { tcpRouterSchema, tcpServiceSchema, tcpMiddlewareSchema, tcpServersTransportSchema } from './tcp-schema.js';
