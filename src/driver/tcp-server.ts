/**
 * `TcpServer`: one of the module's four TCP servers (`AT+SERVERSTART=<port>,<index>`) shaped like
 * `net.Server`: `listen(port[, backlog][, cb])`, 'connection' events with TcpSockets, `close()`,
 * `address()`.
 *
 * - Accepted clients arrive as `+CLIENT: <link>,<index>,<ip>:<port>`; each becomes an open
 *   TcpSocket on that link. In transparent mode only server 0 exists for the host, and its client
 *   is link 0 in data mode: 'connection' comes once the module printed `CONNECT`.
 * - `close()` stops accepting (clients that still arrive are closed at once) and waits, as
 *   net.Server does, until every accepted connection has ended: the module refuses
 *   `AT+SERVERSTOP` while accepted links are open (spec §2.2.15). Then SERVERSTOP and 'close'.
 * - `listen(0)`: the port the module chose is read back with `AT+SERVERSTART?`.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { DriverStateError } from './errors.js';
import type { ServerUser, SocketHost } from './link-user.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { TcpSocket } from './tcp-socket.js';
import { linkError } from './socket-errors.js';
import { toError } from '../common/errors.js';

export interface TcpServerEvents {
  connection: [socket: TcpSocket];
  listening: [];
  close: [];
  error: [error: Error];
}

export interface TcpListenOptions {
  readonly port?: number;
  /** 1–3 (the module's range; default 3). */
  readonly backlog?: number;
}

/** How long a transparent accept may take from `+CLIENT` to `CONNECT`. */
const CONNECT_AFTER_CLIENT_MS = 10_000;

type Phase = 'idle' | 'starting' | 'listening' | 'closing' | 'closed';

export class TcpServer extends EventEmitter<TcpServerEvents> implements ServerUser {
  private readonly host: SocketHost;
  private phase: Phase = 'idle';
  private index: number | undefined;
  private port = 0;
  private readonly connections = new Set<TcpSocket>();
  private closeStarted = false;

  constructor(host: SocketHost, connectionListener?: (socket: TcpSocket) => void) {
    super();
    this.host = host;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  /** `listen(port[, backlog][, callback])` or `listen({ port, backlog }[, callback])`. */
  listen(port?: number, backlog?: number, callback?: () => void): this;
  listen(port: number, callback?: () => void): this;
  listen(options: TcpListenOptions, callback?: () => void): this;
  listen(callback?: () => void): this;
  listen(first?: number | TcpListenOptions | (() => void), second?: number | (() => void), third?: () => void): this {
    const options: TcpListenOptions =
      typeof first === 'object' ? first : { ...(typeof first === 'number' ? { port: first } : {}), ...(typeof second === 'number' ? { backlog: second } : {}) };
    const callback = [first, second, third].find((a): a is () => void => typeof a === 'function');
    if (callback !== undefined) this.once('listening', callback);
    if (this.phase !== 'idle') {
      this.fail(new DriverStateError(`listen: the server is already ${this.phase}`));
      return this;
    }
    this.phase = 'starting';
    void this.start(options.port ?? 0, options.backlog);
    return this;
  }

  get listening(): boolean {
    return this.phase === 'listening';
  }

  /** The server slot on the module (0–3) while listening. */
  get serverIndex(): number | undefined {
    return this.index;
  }

  address(): { address: string; family: 'IPv4' | 'IPv6'; port: number } | null {
    if (this.phase !== 'listening' && this.phase !== 'closing') return null;
    const address = this.host.localAddress ?? '0.0.0.0';
    return { address, family: isIP(address) === 6 ? 'IPv6' : 'IPv4', port: this.port };
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    queueMicrotask(() => callback(null, this.connections.size));
    return this;
  }

  /** Stop accepting; 'close' once every accepted connection has ended and the module stopped the server. */
  close(callback?: (error?: Error) => void): this {
    if (callback !== undefined) {
      if (this.phase === 'idle' || this.phase === 'closed') {
        queueMicrotask(() => callback(new DriverStateError('the server is not running')));
        return this;
      }
      this.once('close', () => callback());
    }
    if (this.phase === 'listening' || this.phase === 'starting') this.phase = 'closing';
    this.maybeStop();
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---------------------------------------------------------------- module side

  private async start(port: number, backlog: number | undefined): Promise<void> {
    const modem = this.host.modem;
    try {
      const unusable = this.host.unusable();
      if (unusable !== undefined) throw unusable;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`listen: port ${port} is not 0–65535`);
      if (backlog !== undefined && (!Number.isInteger(backlog) || backlog < 1 || backlog > 3)) throw new RangeError(`listen: backlog ${backlog} is not 1–3`);
      const index = this.host.claimServer(this, this.host.mode === 'transparent' ? 0 : undefined);
      this.index = index;
      try {
        await modem.startServer(port, index, backlog);
      } catch (error) {
        this.host.releaseServer(index, this);
        this.index = undefined;
        throw error;
      }
      this.port = port === 0 ? ((await modem.serverPort(index).catch(() => undefined)) ?? 0) : port;
      if (this.phase !== 'starting') {
        this.maybeStop();
        return;
      }
      this.phase = 'listening';
      this.emit('listening');
    } catch (error) {
      this.phase = 'closed';
      this.fail(toError(error));
    }
  }

  serverAccepted(link: number, remote: RemoteAddress, transparent: boolean): void {
    const socket = TcpSocket.accepted(this.host, link, remote, this.port, transparent);
    if (this.phase !== 'listening') {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.once('close', () => {
      this.connections.delete(socket);
      this.maybeStop();
    });
    if (!transparent || this.host.modem.channel.inDataMode) {
      this.emit('connection', socket);
      return;
    }
    // Transparent accept: `+CLIENT: 0,0,…` then `CONNECT <baud>` (AN§3.4.1); data mode first.
    const channel = this.host.modem.channel;
    const entered = (on: boolean): void => {
      if (!on) return;
      timer.cancel();
      channel.off('data-mode', entered);
      this.emit('connection', socket);
    };
    const timer = channel.clock.setTimeout(() => {
      channel.off('data-mode', entered);
      socket.destroy(new DriverStateError(`transparent client on link ${link}: no CONNECT within ${CONNECT_AFTER_CLIENT_MS} ms`));
    }, CONNECT_AFTER_CLIENT_MS);
    channel.on('data-mode', entered);
  }

  serverFailed(error: Error | undefined): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (this.index !== undefined) this.host.releaseServer(this.index, this);
    this.index = undefined;
    if (error !== undefined) {
      const mapped = linkError(error, 'accept');
      this.fail(mapped instanceof Error ? mapped : error);
    }
    this.emit('close');
  }

  /** Once closing and no accepted connection is left: SERVERSTOP, give the slot back, 'close'. */
  private maybeStop(): void {
    if (this.phase !== 'closing' || this.connections.size > 0 || this.closeStarted) return;
    const index = this.index;
    if (index === undefined) return; // still starting: start() comes back here
    this.closeStarted = true;
    void (async () => {
      try {
        await this.host.modem.stopServer(index);
      } catch (error) {
        // Closed meanwhile (the modem went away: `serverFailed` said so): nothing more to say.
        if (this.phase === 'closed') return;
        this.fail(toError(error));
      }
      if (this.phase === 'closed') return;
      this.host.releaseServer(index, this);
      this.index = undefined;
      this.phase = 'closed';
      this.emit('close');
    })();
  }

  private fail(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else queueMicrotask(() => this.emit('error', error)); // unhandled, as net.Server: thrown
  }
}
