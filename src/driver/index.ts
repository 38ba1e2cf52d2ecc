/**
 * The host-side driver: `A76xx.open(device, { mode })` and its net-like sockets (TcpSocket,
 * UdpSocket, TcpServer, lookup); underneath, the Modem, the AT channel, transports, typed errors.
 */
export * from './errors.js';
export * from './socket-errors.js';
export * from '../at/module-output-framer.js';
export * from './at-channel.js';
export * from './modem.js';
export * from './trace.js';
export * from './a76xx.js';
export * from './tcp-socket.js';
export * from './udp-socket.js';
export * from './tcp-server.js';
export * from './dns.js';
export * from './ssl-client.js';
export * from './ssl-socket.js';
export type { LinkUser, ServerUser, SocketHost, SocketMode } from './link-user.js';
export type { LinkTable } from './link-table.js';
export type { RecoveryPolicy } from './auto-recovery.js';
export { MAX_RESPONSE_MS, DEFAULT_MAX_RESPONSE_MS, maxResponseMs, timeFor, type TimeoutOverrides } from './timeouts.js';
export { URC_PREFIXES, isKnownUrc } from './urcs.js';
/** @deprecated the one definition is `isFinalResult` of `a76xx/at`. */
export { isFinalResult as isFinalLine } from '../at/result-codes.js';
export { openTransport, transportKind, type Transport, type TransportOptions } from './transports/open.js';
export { createMemoryPair, type MemoryPair } from './transports/memory.js';
