/**
 * Schema pieces the HTTP, TCP and UDP sections share: a service is exactly one
 * kind (`loadBalancer`, `weighted`, …), a load balancer lists its servers, a
 * weighted service lists member services with weights. Only the server's own
 * fields differ between protocols (`url` for HTTP, `address` for TCP and UDP).
 */
export const strings = { type: 'array', items: { type: 'string' } } as const;
/** Seconds or a Go duration. */
export const duration = { type: ['string', 'number'] } as const;

/** The services of a weighted service and their weights. */
export const weightedMembers = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 }, weight: { type: 'integer', minimum: 0 } },
  },
} as const;

/** A service: exactly one of `kinds`. */
export function serviceOfOneKind<K extends Record<string, unknown>>(kinds: K) {
  return { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: kinds } as const;
}

/** A `loadBalancer`: at least one server (`required` names the server's address field), plus the protocol's own options. */
export function serversLoadBalancer<S extends Record<string, unknown>, O extends Record<string, unknown>>(required: string, server: S, options: O) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['servers'],
    properties: {
      servers: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: [required], properties: server } },
      ...options,
    },
  } as const;
}

/** A `weighted` service. */
export const weightedService = { type: 'object', additionalProperties: false, required: ['services'], properties: { services: weightedMembers } } as const;
