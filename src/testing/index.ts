/**
 * `portico/testing`: what a plugin author needs to test a middleware.
 * Unit tests run a handler on an in-memory exchange (the production exchange
 * base on a memory sink); `startPluginInPortico` loads the compiled plugin
 * into a real Portico and sends real HTTP requests through it.
 * See docs/plugins.md, step 4.
 */
export { MemoryExchange, MemorySink, recordingService, respondWith, run, type MemoryExchangeInit } from './memory-exchange.js';
export { testBuildContext, type TestBuildContext } from './build-context.js';
export { startPluginInPortico, type PluginInPortico, type PluginInPorticoOptions, type PorticoResponse, type BackendRequest } from './plugin-in-portico.js';
