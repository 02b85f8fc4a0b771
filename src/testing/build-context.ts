/**
 * A MiddlewareBuildContext for calling a middleware type's `build` in a unit
 * test, as the runtime builder would: a name, the other middlewares `resolve`
 * may reach and the services `service` may reach, and the release callbacks
 * `onDispose` collected so the test can run them (what Portico does when the
 * configuration version is replaced).
 */
import type { Handler, MiddlewareHandler } from '../exchange/exchange.js';
import type { MiddlewareBuildContext } from '../middleware/middleware-type.js';

export interface TestBuildContext extends MiddlewareBuildContext {
  /** Run every `onDispose` callback once, in registration order, and forget them. */
  dispose(): void;
  /** How many `onDispose` callbacks are waiting. */
  readonly pendingDisposals: number;
}

export function testBuildContext(name = 'test@file', others: Record<string, MiddlewareHandler> = {}, services: Record<string, Handler> = {}): TestBuildContext {
  let disposals: Array<() => void> = [];
  return {
    name,
    resolve(other) {
      const handler = others[other];
      if (!handler) throw new Error(`no middleware named "${other}" (known: ${Object.keys(others).join(', ') || 'none'})`);
      return handler;
    },
    service(other) {
      const handler = services[other];
      if (!handler) throw new Error(`no usable service named "${other}" (known: ${Object.keys(services).join(', ') || 'none'})`);
      return handler;
    },
    onDispose(release) {
      disposals.push(release);
    },
    dispose() {
      const run = disposals;
      disposals = [];
      for (const release of run) release();
    },
    get pendingDisposals() {
      return disposals.length;
    },
  };
}
