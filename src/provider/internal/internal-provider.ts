/**
 * The `internal` provider: Portico's own routers (internal-configuration.ts)
 * delivered like any provider's, so the runtime has one way in for routes.
 * A redirection names the port it sends clients to, so the server starts
 * this provider (with the others) once its listeners know their real ports;
 * `snapshot()` before that serves the configuration applied at start-up.
 */
import type { StaticConfig } from '../../config/static-config.js';
import type { ProviderSnapshot } from '../../dynamic/model.js';
import type { Provider } from '../provider.js';
import { internalConfiguration } from './internal-configuration.js';

export class InternalProvider implements Provider {
  readonly name = 'internal';

  constructor(
    private readonly config: StaticConfig,
    private readonly portOf: (entryPoint: string) => number,
  ) {}

  snapshot(): ProviderSnapshot {
    return { provider: this.name, config: internalConfiguration(this.config, this.portOf), errors: [] };
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    emit(this.snapshot());
  }

  async stop(): Promise<void> {}
}
