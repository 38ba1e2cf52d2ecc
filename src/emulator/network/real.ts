import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, createServer, isIPv4, type Server, type Socket } from 'node:net';
import {
  NetworkError,
  type Endpoint,
  type Network,
  type NetworkErrorCode,
  type TcpCloseCause,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpHandlers,
  type TcpListener,
  type TcpListenerHandlers,
  type TcpListenOptions,
  type UdpBindOptions,
  type UdpHandlers,
  type NetworkUdpSocket,
} from './types.js';
import { hostTable, lookupHost } from './host-table.js';
import { errorMessage } from '../../common/errors.js';

export interface RealNetworkOptions {
  /** Static host table, consulted before the system resolver (`--host NAME=IP`). */
  readonly hosts?: ReadonlyMap<string, string>;
  /** Resolve only through the static table (tests, sealed CI). */
  readonly staticOnly?: boolean;
  /**
   * Address that UDP sockets and TCP listeners bind to. Default 127.0.0.1: nothing is reachable
   * from other machines unless asked — but then UDP can only talk to loopback peers; use
   * `0.0.0.0` to reach real networks.
   */
  readonly listenAddress?: string;
  /**
   * Added to every port the module asks to listen on (AT+SERVERSTART ports, UDP local ports), so
   * several emulators can share one machine: `AT+SERVERSTART=8080,0` with offset 1000 listens on
   * 9080. The module keeps reporting the port it asked for. Port 0 (any free port) is not offset.
   */
  readonly portOffset?: number;
}

/** After a graceful close, give the FIN this long before dropping the socket hard. */
const CLOSE_GRACE_MS = 5000;

/**
 * Bytes one connection hands the module before it yields the event loop for a turn. libuv reads a
 * ready socket up to 32 times (2 MiB) per poll; in a fleet one flooded link would hold every other
 * modem back that long. Past the budget the socket pauses until the next `setImmediate` turn, so
 * the other sockets ready in that poll are served first (issue 13 item 4).
 */
export const READ_BYTES_PER_TURN = 64 * 1024;

/** The network of the host machine: Node's `net`, `dgram` and `dns`. */
export class RealNetwork implements Network {
  private readonly hosts: ReadonlyMap<string, string>;
  private readonly staticOnly: boolean;
  private readonly listenAddress: string;
  private readonly portOffset: number;

  constructor(options: RealNetworkOptions = {}) {
    // Names compare as everywhere else (host-table.ts); a name given twice throws HostTableError.
    this.hosts = hostTable(options.hosts ?? []);
    this.staticOnly = options.staticOnly ?? false;
    this.listenAddress = options.listenAddress ?? '127.0.0.1';
    this.portOffset = options.portOffset ?? 0;
  }

  /** The host port for a module port (0 stays 0); rejects ports pushed out of range by the offset. */
  private hostPort(port: number): number {
    const offset = port === 0 ? 0 : this.portOffset;
    const hostPort = port + offset;
    if (hostPort > 65535) throw new NetworkError('address-in-use', `port ${port} + offset ${offset} is beyond 65535`);
    return hostPort;
  }

  async resolve(name: string): Promise<string> {
    if (isIPv4(name)) return name;
    const fixed = lookupHost(this.hosts, name);
    if (fixed !== undefined) return fixed;
    if (this.staticOnly) throw new NetworkError('not-found', `${name}: not in the static host table`);
    try {
      const { address } = await lookup(name, { family: 4 });
      return address;
    } catch (err) {
      throw new NetworkError('not-found', `${name}: ${errorMessage(err)}`);
    }
  }

  connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) {
        reject(new NetworkError('aborted', 'connect aborted'));
        return;
      }
      const socket = connect({
        host: options.host,
        port: options.port,
        family: 4,
        noDelay: true,
        ...(options.localPort ? { localPort: options.localPort } : {}),
        ...(options.keepAliveMs !== undefined ? { keepAlive: true, keepAliveInitialDelay: options.keepAliveMs } : {}),
      });
      const cleanup = () => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnect = () => {
        cleanup();
        resolve(new RealTcpConnection(socket));
      };
      const onError = (err: Error) => {
        cleanup();
        socket.destroy();
        reject(new NetworkError(errorCode(err), err.message));
      };
      const onAbort = () => {
        cleanup();
        socket.on('error', () => {});
        socket.destroy();
        reject(new NetworkError('aborted', 'connect aborted'));
      };
      socket.on('connect', onConnect);
      socket.on('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket> {
    return new Promise((resolve, reject) => {
      const port = this.hostPort(options.port);
      const offset = port - options.port;
      const socket = createSocket({ type: 'udp4' });
      const onError = (err: Error) => {
        try {
          socket.close();
        } catch {
          // never bound: nothing to close
        }
        reject(new NetworkError(errorCode(err), err.message));
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.listenAddress }, () => {
        socket.off('error', onError);
        resolve(new RealUdpSocket(socket, offset));
      });
    });
  }

  listenTcp(options: TcpListenOptions): Promise<TcpListener> {
    return new Promise((resolve, reject) => {
      const port = this.hostPort(options.port);
      const offset = port - options.port;
      const server = createServer({ noDelay: true });
      const onError = (err: Error) => {
        server.close();
        reject(new NetworkError(errorCode(err), err.message));
      };
      server.once('error', onError);
      server.listen({ port, host: this.listenAddress, backlog: options.backlog }, () => {
        server.off('error', onError);
        resolve(new RealTcpListener(server, offset));
      });
    });
  }
}

class RealTcpConnection implements TcpConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  private handlers: TcpHandlers | undefined;
  /** The module closed it, or `closed` was reported: no more events. */
  private finished = false;
  private heldClose: TcpCloseCause | undefined;
  private errorCause: TcpCloseCause | undefined;
  private wantPaused = false;
  /** Bytes delivered since the connection last yielded a turn (see READ_BYTES_PER_TURN). */
  private turnBytes = 0;
  private yielding = false;

  constructor(private readonly socket: Socket) {
    this.local = { address: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 };
    this.remote = { address: socket.remoteAddress ?? '0.0.0.0', port: socket.remotePort ?? 0 };
    socket.on('error', (err) => {
      this.errorCause = errorCode(err) === 'reset' ? 'reset' : 'error';
    });
    // With allowHalfOpen off Node answers the peer's FIN with ours; the module treats the FIN as
    // the end of the link (it has no half-open state), so report it at once.
    socket.on('end', () => this.report('remote'));
    socket.on('close', () => this.report(this.errorCause ?? 'remote'));
  }

  attach(handlers: TcpHandlers): void {
    this.handlers = handlers;
    // Adding the 'data' listener starts the flow, unless `pause` was asked for already.
    if (this.wantPaused) this.socket.pause();
    this.socket.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      this.handlers?.data(chunk);
      this.turnBytes += chunk.length;
      if (this.turnBytes >= READ_BYTES_PER_TURN) this.yieldTurn();
    });
    if (this.heldClose !== undefined) {
      const cause = this.heldClose;
      // Deliver after the caller finished attaching (it may still print `+CIPOPEN: n,0`).
      setImmediate(() => this.handlers?.closed(cause));
    }
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(new NetworkError('reset', 'connection is closed'));
        return;
      }
      this.socket.write(data, (err) => (err ? reject(new NetworkError(errorCode(err), err.message)) : resolve()));
    });
  }

  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  pause(): void {
    this.wantPaused = true;
    this.socket.pause();
  }

  resume(): void {
    this.wantPaused = false;
    if (this.handlers !== undefined && !this.yielding) this.socket.resume();
  }

  /** The budget is spent: stop reading until the loop has gone round once. */
  private yieldTurn(): void {
    if (this.yielding) return;
    this.yielding = true;
    this.socket.pause();
    setImmediate(() => {
      this.yielding = false;
      this.turnBytes = 0;
      if (!this.wantPaused && this.handlers !== undefined && !this.finished) this.socket.resume();
    });
  }


  close(): void {
    this.stop();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  abort(): void {
    this.stop();
    if (this.socket.destroyed) return;
    if (typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  private stop(): void {
    this.finished = true;
    this.handlers = undefined;
    // Whatever the peer still sends is drained and dropped, so the socket can finish closing.
    this.socket.resume();
  }

  private report(cause: TcpCloseCause): void {
    if (this.finished) return;
    this.finished = true;
    if (this.handlers !== undefined) this.handlers.closed(cause);
    else this.heldClose = cause;
  }
}

class RealUdpSocket implements NetworkUdpSocket {
  readonly local: Endpoint;
  private handlers: UdpHandlers | undefined;
  private held: { data: Buffer; from: Endpoint }[] = [];
  private closed = false;

  /** `portOffset`: how far the bound port is from the module's (see RealNetworkOptions). */
  constructor(
    private readonly socket: DgramSocket,
    portOffset: number,
  ) {
    const address = socket.address();
    this.local = { address: address.address, port: address.port - portOffset };
    socket.on('message', (data, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      if (this.handlers !== undefined) this.handlers.message(data, from);
      else this.held.push({ data, from });
    });
    // ICMP errors surface here on some systems; a UDP socket carries on regardless.
    socket.on('error', () => {});
  }

  attach(handlers: UdpHandlers): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const { data, from } of held) handlers.message(data, from);
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new NetworkError('failed', 'socket is closed'));
        return;
      }
      this.socket.send(data, to.port, to.address, (err) => (err ? reject(new NetworkError(errorCode(err), err.message)) : resolve()));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers = undefined;
    this.socket.close();
  }
}

class RealTcpListener implements TcpListener {
  readonly local: Endpoint;
  private handlers: TcpListenerHandlers | undefined;
  private held: TcpConnection[] = [];
  private closed = false;

  /** `portOffset`: how far the listening port is from the module's (see RealNetworkOptions). */
  constructor(
    private readonly server: Server,
    portOffset: number,
  ) {
    const address = server.address();
    this.local =
      address !== null && typeof address === 'object'
        ? { address: address.address, port: address.port - portOffset }
        : { address: '0.0.0.0', port: 0 };
    server.on('connection', (socket) => {
      const connection = new RealTcpConnection(socket);
      if (this.handlers !== undefined) this.handlers.connection(connection);
      else this.held.push(connection);
    });
    server.on('error', () => {});
  }

  attach(handlers: TcpListenerHandlers): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const connection of held) handlers.connection(connection);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers = undefined;
    for (const connection of this.held) connection.abort();
    this.held = [];
    this.server.close();
  }
}

function errorCode(err: Error): NetworkErrorCode {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'EADDRINUSE':
    case 'EACCES':
      return 'address-in-use';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return 'not-found';
    case 'ABORT_ERR':
      return 'aborted';
    default:
      return 'failed';
  }
}
