/**
 * TCP client transport: the AT port of the emulator (`a76xx emulate --tcp`) or of a serial-to-TCP
 * bridge such as ser2net. `tcp://host:port`.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface TcpTransportOptions {
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
}

export function parseTcpDevice(device: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(device);
  } catch {
    throw new TypeError(`not a tcp:// device: ${device}`);
  }
  const port = Number(url.port);
  if (url.protocol !== 'tcp:' || url.hostname === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`expected tcp://host:port, got ${device}`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

export function openTcpTransport(device: string, options: TcpTransportOptions = {}): Promise<Duplex> {
  const { host, port } = parseTcpDevice(device);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  return new Promise<Duplex>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${device}: no answer after ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      // AT traffic is small request/response lines: do not let Nagle hold them back.
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
