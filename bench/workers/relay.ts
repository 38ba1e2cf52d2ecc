/**
 * The baseline of the goodput benches: a plain Node TCP relay, what any TCP proxy in Node does at
 * the least. Each connection on its port is piped both ways to 127.0.0.1:<target>.
 * Usage: relay.ts <target-port>. Prints @{"ready":{"port":N}}.
 */
import { connect, createServer, type AddressInfo } from 'node:net';
import { tell } from '../lib/child.js';

const target = Number(process.argv[2]);
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: target, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => tell('ready', { port: (server.address() as AddressInfo).port }));
process.on('SIGTERM', () => process.exit(0));
