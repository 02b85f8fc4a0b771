/** What buildRuntime needs, real but without listeners: a static config, upstream pools, the registry, a generated certificate. */
import { validateStaticConfig } from '../../../src/config/load-static-config.js';
import { emptyDynamicConfig, type DynamicConfig } from '../../../src/dynamic/model.js';
import { mergeSnapshots, type MergedConfig } from '../../../src/dynamic/merge.js';
import { MiddlewareRegistry } from '../../../src/middleware/registry.js';
import type { BuildDeps } from '../../../src/runtime/runtime-config.js';
import { UpstreamPools } from '../../../src/service/upstream-pools.js';
import { generatedDefaultCertificate } from '../../../src/tls/generated-default-certificate.js';
import { describeCertificate } from '../../../src/tls/sni-certificate-store.js';
import type { Handler } from '../../../src/exchange/exchange.js';

export async function runtimeDeps(
  staticDoc: Record<string, unknown> = { entryPoints: { web: { address: '127.0.0.1:0' } } },
  internal: Record<string, Handler> = {},
): Promise<BuildDeps> {
  const gen = await generatedDefaultCertificate();
  return {
    static: validateStaticConfig(staticDoc, process.cwd(), 'test'),
    pools: new UpstreamPools(),
    internal: { get: (name) => internal[name] },
    middlewares: new MiddlewareRegistry(),
    generatedDefault: describeCertificate(gen.certPem, gen.keyPem, 'generated'),
    serverName: 'test',
  };
}

/** One file provider's configuration, filled in by `fill`, merged as the aggregator would. */
export function fileConfig(fill: (config: DynamicConfig) => void): MergedConfig {
  const config = emptyDynamicConfig();
  fill(config);
  return mergeSnapshots([{ provider: 'file', config, errors: [] }]);
}
