/**
 * Annotations Portico knows and does not honour, each with the reason given
 * in the report. The Ingress keeps serving without them; nothing here is
 * ever executed (a `*-snippet` is nginx configuration text).
 */
import type { NginxAnnotations } from './nginx-annotations.js';
import { REFUSED_AUTH } from './auth.js';

const BUFFERS = 'has no effect in Portico, which streams requests and responses instead of buffering them';

const REFUSED: Record<string, string> = {
  ...REFUSED_AUTH,
  'limit-whitelist': 'exempting addresses from limit-rps/limit-connections is not supported; the limits apply to every client',
  'limit-allowlist': 'exempting addresses from limit-rps/limit-connections is not supported; the limits apply to every client',
  'limit-rate': 'bandwidth limits are not supported',
  'limit-rate-after': 'bandwidth limits are not supported',
  'proxy-send-timeout': "has no Portico equivalent: writes to the backend are bounded by the entrypoint's transport deadlines",
  'proxy-next-upstream': 'retries are not configurable per Ingress',
  'proxy-next-upstream-tries': 'retries are not configurable per Ingress',
  'proxy-next-upstream-timeout': 'retries are not configurable per Ingress',
  'proxy-ssl-ciphers': "backend TLS uses Node.js's default ciphers",
  'proxy-ssl-protocols': "backend TLS uses Node.js's default protocol versions",
  'proxy-ssl-verify-depth': 'backend certificate chains are verified to any depth',
  'proxy-buffering': BUFFERS,
  'proxy-buffer-size': BUFFERS,
  'proxy-buffers-number': BUFFERS,
  'proxy-request-buffering': BUFFERS,
  'proxy-max-temp-file-size': BUFFERS,
  'client-body-buffer-size': BUFFERS,
  'upstream-hash-by': 'consistent hashing is not supported; use affinity: cookie for sticky sessions',
  'load-balance': 'Portico balances with smooth weighted round robin',
  'enable-modsecurity': 'ModSecurity is not part of Portico',
  'enable-owasp-core-rules': 'ModSecurity is not part of Portico',
  'modsecurity-transaction-id': 'ModSecurity is not part of Portico',
  'enable-opentelemetry': "tracing is configured in Portico's static configuration",
  'opentelemetry-trust-incoming-span': "tracing is configured in Portico's static configuration",
  'enable-access-log': "access logs are configured in Portico's static configuration (accessLog)",
  'mirror-target': 'use a mirroring TraefikService instead',
  'mirror-request-body': 'use a mirroring TraefikService instead',
  'mirror-host': 'use a mirroring TraefikService instead',
  'from-to-www-redirect': 'is not supported; add a redirectRegex Middleware',
  'proxy-redirect-from': 'rewriting Location headers of responses is not supported',
  'proxy-redirect-to': 'rewriting Location headers of responses is not supported',
  'proxy-cookie-domain': 'rewriting Set-Cookie of responses is not supported',
  'proxy-cookie-path': 'rewriting Set-Cookie of responses is not supported',
  'proxy-http-version': 'Portico speaks HTTP/1.1 to backends (or HTTP/2 with backend-protocol GRPC/GRPCS)',
  'custom-headers': 'a ConfigMap of response headers is not supported; use a headers Middleware',
  satisfy: 'combining auth and allowlists with "any" is not supported; both apply',
  'global-rate-limit': 'global rate limits are not supported; limit-rps applies per Portico instance',
  'denylist-source-range-strategy': 'not supported',
};

/** Report every refused annotation present (each `*-snippet` among them: never executed). */
export function reportRefused(ann: NginxAnnotations, keys: Iterable<string>): void {
  for (const key of keys) {
    if (key.endsWith('-snippet')) ann.report(key, 'nginx configuration snippets are never executed by Portico; express this with a Middleware');
    else if (REFUSED[key] !== undefined) ann.report(key, `is not supported: ${REFUSED[key]}`);
  }
}
