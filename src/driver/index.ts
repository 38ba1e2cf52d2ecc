/** The host-side driver: transports, the AT channel, the Modem and their typed errors. */
export * from './errors.js';
export * from './parser.js';
export * from './at-channel.js';
export * from './modem.js';
export * from './trace.js';
export { MAX_RESPONSE_MS, DEFAULT_MAX_RESPONSE_MS, maxResponseMs, timeFor, type TimeoutOverrides } from './timeouts.js';
export { URC_PREFIXES, isFinalLine, isKnownUrc } from './urcs.js';
export { openTransport, transportKind, type Transport, type TransportOptions } from '../transport/client-transport.js';
export { createMemoryPair, type MemoryPair } from '../transport/client-memory.js';
