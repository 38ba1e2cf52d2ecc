import { createServer, type Socket } from 'node:net';
import { formatHostPort } from '../../common/host-port.js';
import { listen } from '../../common/listen.js';
import { followInputHold, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER, type ModuleSide, type ServedEndpoint } from './endpoint.js';

export interface TcpServeOptions {
  /** Address to listen on; loopback unless the user asks for more. */
  readonly host?: string;
  /** 0 picks a free port (see `TcpEndpoint.port`). */
  readonly port: number;
  /** A host connected (`remote` is `address:port`). */
  readonly onHostAttach?: (remote: string) => void;
  /** The attached host went away, or a newer connection took its place. */
  readonly onHostDetach?: (remote: string, reason: 'closed' | 'taken-over') => void;
  /** Diagnostics (a failed accept, …); nothing is printed by default. */
  readonly log?: (message: string) => void;
}

export interface TcpEndpoint extends ServedEndpoint {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_TCP_HOST = '127.0.0.1';

/**
 * Serve the AT port on TCP like a UART: one host at a time. A new connection takes the port over
 * and the previous one is closed; the module (its state, its links) lives on across hosts.
 * Output while no host is attached is lost, as on a wire nobody listens to. While the module holds
 * its input (`input-hold`) the host's socket is not read, so TCP flow control holds the host back.
 * The other way, a host that does not read: once more than OUTPUT_HIGH_WATER bytes wait in the
 * socket the module is told (`setOutputPressure`) and stops reading its links, until the socket
 * drained to OUTPUT_LOW_WATER (or the host went away).
 */
export async function serveTcp(module: ModuleSide, options: TcpServeOptions): Promise<TcpEndpoint> {
  const host = options.host ?? DEFAULT_TCP_HOST;
  const server = createServer({ noDelay: true });
  let attached: { readonly socket: Socket; readonly remote: string } | undefined;
  let held = false;
  const onInputHold = (on: boolean): void => {
    held = on;
    if (on) attached?.socket.pause();
    else attached?.socket.resume();
  };

  let pressured = false;
  const setPressure = (full: boolean): void => {
    if (full === pressured) return;
    pressured = full;
    module.setOutputPressure?.('tcp', full);
  };
  const checkPressure = (): void => {
    const waiting = attached?.socket.writableLength ?? 0;
    if (pressured ? waiting <= OUTPUT_LOW_WATER : waiting > OUTPUT_HIGH_WATER) setPressure(!pressured);
  };

  const forward = (bytes: Buffer): void => {
    const socket = attached?.socket;
    if (socket === undefined) return;
    // What the module prints in one go (a response's last line and the URCs held behind it, a
    // prompt after an echo) leaves in one segment: corked until the current tick's work is done.
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    if (!socket.write(bytes) || pressured) checkPressure();
  };

  server.on('connection', (socket) => {
    const peer = { socket, remote: formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0) };
    const previous = attached;
    attached = peer;
    if (previous !== undefined) {
      previous.socket.destroy();
      options.onHostDetach?.(previous.remote, 'taken-over');
    }
    // A socket's chunk is fresh and ours: no copy needed on the way in.
    const take = module.inputOwned?.bind(module) ?? ((bytes: Buffer) => module.input(bytes));
    socket.on('data', (bytes: Buffer) => {
      if (attached === peer) take(bytes);
    });
    socket.on('drain', () => {
      if (attached === peer) checkPressure();
    });
    checkPressure();
    if (held) socket.pause();
    // A reset connection is just a host going away: 'close' follows and handles it.
    socket.on('error', () => {});
    socket.on('close', () => {
      if (attached !== peer) return;
      attached = undefined;
      setPressure(false);
      options.onHostDetach?.(peer.remote, 'closed');
    });
    options.onHostAttach?.(peer.remote);
  });

  const address = await listen(server, host, options.port);
  // Once listening, a server error (EMFILE on accept, …) costs one connection, not the process.
  server.on('error', (err) => options.log?.(`tcp: ${err.message}`));
  module.on('output', forward);
  const unfollow = followInputHold(module, onInputHold);

  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    description: `tcp ${formatHostPort(address.address, address.port)}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        module.off('output', forward);
        unfollow();
        attached?.socket.destroy();
        attached = undefined;
        setPressure(false);
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

export { formatHostPort } from '../../common/host-port.js';
