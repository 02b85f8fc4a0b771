/**
 * JSON Schemas of the `tcp` section's objects (file provider; the Kubernetes
 * converters build the same model). What Portico does not do is refused with
 * its reason (config/unsupported-key.ts), never accepted and dropped.
 */
import { onlySupported, unsupported } from '../config/unsupported-key.js';
// duration: dialKeepAlive and terminationDelay also take a negative value (off), as Traefik does.
import { duration, serviceOfOneKind, serversLoadBalancer, strings, weightedService } from './schema-parts.js';
const NO_ACME = 'ACME certificate resolvers are not supported; put the certificates in tls.certificates';

export const tcpRouterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rule', 'service'],
  properties: {
    rule: { type: 'string', minLength: 1 },
    ruleSyntax: onlySupported({ const: 'v3' }, 'only the v3 rule syntax is supported'),
    entryPoints: strings,
    middlewares: strings,
    service: { type: 'string', minLength: 1 },
    priority: { type: 'integer' },
    tls: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        passthrough: { type: 'boolean' },
        options: { type: 'string' },
        certResolver: unsupported(NO_ACME),
        domains: unsupported(NO_ACME),
      },
    },
  },
} as const;

export const tcpServiceSchema = serviceOfOneKind({
  loadBalancer: serversLoadBalancer(
    'address',
    { address: { type: 'string', minLength: 3 }, weight: { type: 'integer', minimum: 0 }, tls: { type: 'boolean' } },
    {
      proxyProtocol: { type: 'object', additionalProperties: false, properties: { version: { enum: [1, 2] } } },
      serversTransport: { type: 'string', minLength: 1 },
      terminationDelay: unsupported('terminationDelay is deprecated in Traefik v3; half-closes are relayed as they come'),
      healthCheck: unsupported('TCP health checks are not supported'),
    },
  ),
  weighted: weightedService,
});

export const tcpMiddlewareSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    ipAllowList: { type: 'object', additionalProperties: false, required: ['sourceRange'], properties: { sourceRange: { ...strings, minItems: 1 } } },
    inFlightConn: { type: 'object', additionalProperties: false, required: ['amount'], properties: { amount: { type: 'integer', minimum: 1 } } },
    ipWhiteList: unsupported('ipWhiteList was renamed ipAllowList in Traefik v3'),
  },
} as const;

export const tcpServersTransportSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dialTimeout: duration,
    dialKeepAlive: duration,
    terminationDelay: duration,
    idleTimeout: duration,
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        serverName: { type: 'string' },
        insecureSkipVerify: { type: 'boolean' },
        rootCAs: strings,
        certificates: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['certFile', 'keyFile'],
            properties: { certFile: { type: 'string' }, keyFile: { type: 'string' } },
          },
        },
        peerCertURI: { type: 'string', minLength: 1 },
        spiffe: unsupported('SPIFFE is not supported'),
      },
    },
    spiffe: unsupported('SPIFFE is not supported'),
  },
} as const;
