/** The TLS 1.3 engine for QUIC: the contract (quic-tls.ts) and its two sides. */
export * from './quic-tls.js';
export { createQuicTlsServer } from './server.js';
export { createQuicTlsClient } from './client.js';
export { EarlyDataStrikeRegister } from './early-data-strike-register.js';
