/**
 * The peers of the fleet bench, in a process of their own (descriptors: one per link): accepts
 * every connection on a loopback port and discards what arrives. Prints @{"ready":{"port":N}};
 * answers {"count":true} with @{"count":{"connections":N,"bytes":N}}.
 */
import { createServer, type AddressInfo } from 'node:net';
import { commands, tell } from '../lib/child.js';

let connections = 0;
let bytes = 0;
const server = createServer((socket) => {
  connections++;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  socket.on('error', () => {});
  socket.on('close', () => connections--);
});
server.on('error', (err) => process.stderr.write(`sink: ${err.message}\n`));
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => tell('ready', { port: (server.address() as AddressInfo).port }));
commands((command) => {
  if ('count' in command) tell('count', { connections, bytes });
});
