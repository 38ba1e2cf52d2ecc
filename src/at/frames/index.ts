export * from './framing.js';
export { formatPeer } from './numbers.js';
export * from './sockets.js';
export * from './service.js';
export * from './data.js';
export * from './dns.js';
