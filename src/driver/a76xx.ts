/**
 * `A76xx`: the driver's front door. Opens the device, brings the module up for one receive mode,
 * and makes net-like sockets over it:
 *
 *   const modem = await A76xx.open('tcp://127.0.0.1:7070', { mode: 'buffer' });
 *   const socket = modem.createConnection({ port: 80, host: 'example.com' });
 *   const udp = modem.createUdpSocket();            const server = modem.createServer(onClient);
 *   modem.lookup('example.com', (err, address) => …);
 *   http.get(url, { createConnection: (o) => modem.createConnection({ port: Number(o.port), host: o.hostname }) });
 *
 * Modes (spec §3.1): 'push' (data printed as it comes, `+RECEIVE,<link>,<len>` headers asked for
 * so that several links can be told apart, `RECV FROM` routing if the module refuses), 'buffer'
 * (data announced, read on demand: real back-pressure), 'transparent' (CIPMODE=1: one TCP
 * connection on link 0, raw bytes both ways; no UDP, commands only between `+++` and `ATO`, see
 * `commandMode`).
 *
 * It owns the routing of the Modem's per-link events to the socket on that link. When the network
 * is lost (`+CIPEVENT`), the module restarts or the transport goes, every socket and server gets an
 * error ('error' events; pending writes fail) and new sockets are refused until `recover()`.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { AtCommandError, ChannelClosedError, DnsLookupError, DriverStateError, ModuleResetError, type NetworkLostError } from './errors.js';
import { makeLookup, type LookupFunction } from './dns.js';
import type { LinkUser, ServerUser, SocketHost, SocketMode } from './link-user.js';
import { Modem, SERVER_COUNT, type AcceptedClient, type ModemOptions } from './modem.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { TcpServer } from './tcp-server.js';
import type { RemoteInfo } from './udp-socket.js';
import { TcpSocket, type TcpConnectOptions, type TcpSocketOptions } from './tcp-socket.js';
import { UdpSocket } from './udp-socket.js';
import type { PushBlock } from './at-channel.js';
import { SslClient } from './ssl-client.js';
import { SslSocket, type SslConnectOptions } from './ssl-socket.js';
import { AutoRecovery, type RecoveryPolicy } from './auto-recovery.js';

export interface A76xxOptions extends ModemOptions {
  /** Receive mode (default 'push'). */
  mode?: SocketMode;
  /**
   * Transparent mode has one connection (link 0): a connect while it is in use waits for it to end,
   * in turn, up to this long (default 30 s), then fails with ETIMEDOUT.
   */
  transparentWaitMs?: number;
  /**
   * Automatic recovery after a network loss or a module restart (default on): `recover()` retried
   * with backoff (see `RecoveryPolicy`), 'recovering' / 'recovered' / 'recovery-failed' events.
   * `false` leaves it to the application (`recover()`).
   */
  recovery?: boolean | RecoveryPolicy;
}

export interface A76xxEvents {
  /** `+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY`: every socket failed; `recover()` to go on. */
  'network-lost': [error: NetworkLostError];
  /** The module restarted (boot URC): every socket failed; `recover()` brings it up again. */
  reset: [line: string];
  /** The transport is gone (or `close()` was called). */
  close: [error: ChannelClosedError];
  /** Something was dropped that should not have been (data for a link nobody owns, …). */
  warning: [message: string];
  /** Automatic recovery: attempt `attempt` starts. */
  recovering: [attempt: number];
  /** Automatic recovery succeeded on attempt `attempt`; new sockets work again. */
  recovered: [attempt: number];
  /** An automatic recovery attempt failed; the next one in `nextDelayMs` (undefined: given up). */
  'recovery-failed': [error: unknown, attempt: number, nextDelayMs: number | undefined];
}

export class A76xx extends EventEmitter<A76xxEvents> implements SocketHost {
  readonly modem: Modem;
  readonly mode: SocketMode;
  /** `dns.lookup`-compatible resolution through the module (`AT+CDNSGIP`). */
  readonly lookup: LookupFunction;
  readonly transparentWaitMs: number;
  private readonly servers: (ServerUser | undefined)[] = new Array<ServerUser | undefined>(SERVER_COUNT).fill(undefined);
  private lost: Error | undefined;
  private restarted: Error | undefined;
  private closedWith: ChannelClosedError | undefined;
  private closing = false;
  private sslClient: SslClient | undefined;
  private readonly autoRecovery: AutoRecovery | undefined;
  /** The recovery in progress (the user's or the automatic one): a second caller joins it. */
  private recovery: Promise<void> | undefined;

  /** Open the device (or a ready transport) and bring the module up for `options.mode`. */
  static async open(target: string | Duplex, options: A76xxOptions = {}): Promise<A76xx> {
    const mode = options.mode ?? 'push';
    const modem = await Modem.open(target, { ...modemOptionsFor(mode), ...options });
    return new A76xx(modem, mode, options);
  }

  /** Wrap a Modem that `bringUp()` brought up with the settings of `mode` (`modemOptionsFor`). */
  constructor(modem: Modem, mode: SocketMode, options: Pick<A76xxOptions, 'transparentWaitMs' | 'recovery'> = {}) {
    super();
    this.modem = modem;
    this.mode = mode;
    this.transparentWaitMs = options.transparentWaitMs ?? 30_000;
    this.createConnection = this.createConnection.bind(this);
    const policy = options.recovery ?? true;
    this.autoRecovery =
      policy === false
        ? undefined
        : new AutoRecovery(
            modem.channel.clock,
            () => this.recover(),
            {
              attempt: (n) => this.emit('recovering', n),
              recovered: (n) => this.emit('recovered', n),
              failed: (error, n, next) => this.emit('recovery-failed', error, n, next),
            },
            policy === true ? {} : policy,
          );
    this.lookup = makeLookup((hostname, family) => this.resolve(hostname, family));
    modem.on('data', (link, bytes, from) => this.onData(link, bytes, from));
    modem.on('readable', (link) => this.onReadable(link));
    modem.on('link-closed', (link, reason) => modem.links.owner(link)?.linkClosed(reason));
    modem.on('client', (client) => this.onClient(client));
    modem.on('unrouted', (block) => this.onUnrouted(block));
    modem.on('network-lost', (error) => {
      this.lost = error;
      this.failAll(error);
      this.emit('network-lost', error);
      this.autoRecovery?.trigger();
    });
    modem.on('reset', (line) => {
      const error = new ModuleResetError(line);
      this.restarted = error;
      this.failAll(error);
      this.emit('reset', line);
      this.autoRecovery?.trigger();
    });
    modem.on('close', (error) => {
      this.closedWith = error;
      this.autoRecovery?.stop();
      if (!this.closing) this.failAll(error);
      this.emit('close', error);
    });
  }

  /** The module's IP on the socket PDP (`AT+IPADDR` at bring-up / recovery). */
  get localAddress(): string | undefined {
    return this.modem.info?.ip;
  }

  // ---------------------------------------------------------------- sockets

  /**
   * A connected TcpSocket, like `net.createConnection` (connects at once; 'connect' when open).
   * Bound to this object, and accepting http's connection options, so it can be handed over as it
   * is: `http.request({ createConnection: modem.createConnection })`, an Agent's `createConnection`,
   * `ws`'s `createConnection` (typed there as net's: cast it).
   */
  createConnection(options: TcpConnectOptions & TcpSocketOptions, listener?: () => void): TcpSocket;
  createConnection(port: number, host?: string, listener?: () => void): TcpSocket;
  createConnection(options: HttpConnectionOptions, oncreate?: (error: Error | null, socket: Duplex) => void): TcpSocket;
  createConnection(
    target: number | (TcpConnectOptions & TcpSocketOptions) | HttpConnectionOptions,
    hostOrListener?: string | (() => void) | ((error: Error | null, socket: Duplex) => void),
    listener?: () => void,
  ): TcpSocket {
    if (typeof target === 'number') {
      const socket = new TcpSocket(this);
      const onConnect = typeof hostOrListener === 'function' ? (hostOrListener as () => void) : listener;
      return typeof hostOrListener === 'string' ? socket.connect(target, hostOrListener, listener) : socket.connect(target, onConnect);
    }
    const options = connectOptionsOf(target);
    const socket = new TcpSocket(this, options);
    // A two-argument function is http's `oncreate`: http calls it itself with the returned socket.
    const onConnect = typeof hostOrListener === 'function' && hostOrListener.length < 2 ? (hostOrListener as () => void) : listener;
    return socket.connect(options, onConnect);
  }

  /** Alias of `createConnection`, as `net.connect`. */
  connect(options: TcpConnectOptions & TcpSocketOptions, listener?: () => void): TcpSocket;
  connect(port: number, host?: string, listener?: () => void): TcpSocket;
  connect(target: number | (TcpConnectOptions & TcpSocketOptions), hostOrListener?: string | (() => void), listener?: () => void): TcpSocket {
    return typeof target === 'number'
      ? this.createConnection(target, typeof hostOrListener === 'string' ? hostOrListener : undefined, typeof hostOrListener === 'function' ? hostOrListener : listener)
      : this.createConnection(target, typeof hostOrListener === 'function' ? hostOrListener : listener);
  }

  /** An unconnected TcpSocket (`socket.connect(port, host)` later), as `new net.Socket()`. */
  createSocket(options?: TcpSocketOptions): TcpSocket {
    return new TcpSocket(this, options);
  }

  /** A UdpSocket, like `dgram.createSocket('udp4')`. */
  /**
   * A TLS session done by the module's SSL service (AT+CCH*): the module verifies, encrypts and
   * holds the keys; the host sees clear bytes. See ssl-socket.ts, and the README on when to use
   * it rather than `tls.connect({ socket: createConnection(…) })`.
   */
  connectTls(options: SslConnectOptions, secureConnectListener?: () => void): SslSocket {
    // Buffer mode reads on demand (back-pressure); the others take what the module pushes.
    const receive = this.mode === 'buffer' ? 'manual' : 'push';
    return new SslSocket((this.sslClient ??= new SslClient(this.modem, receive)), options, secureConnectListener);
  }

  createUdpSocket(messageListener?: (msg: Buffer, rinfo: RemoteInfo) => void): UdpSocket {
    const socket = new UdpSocket(this);
    if (messageListener !== undefined) socket.on('message', messageListener);
    return socket;
  }

  /** A TcpServer, like `net.createServer`. */
  createServer(connectionListener?: (socket: TcpSocket) => void): TcpServer {
    return new TcpServer(this, connectionListener);
  }

  /** Every address the module resolves `hostname` to (IPv4 and/or IPv6 per `family`). */
  async resolve(hostname: string, family: 0 | 4 | 6 = 0): Promise<string[]> {
    if (isIP(hostname) !== 0) return [hostname];
    let addresses: string[];
    try {
      addresses = await this.modem.resolve(hostname);
    } catch (error) {
      if (error instanceof AtCommandError) throw new DnsLookupError(hostname, error.detail.dnsError, { cause: error });
      throw error;
    }
    const wanted = family === 0 ? addresses : addresses.filter((a) => isIP(a) === family);
    if (wanted.length === 0) throw new DnsLookupError(hostname, undefined);
    return wanted;
  }

  /** One address for `host` (IPv4 first), as sockets need. */
  async resolveAddress(host: string, family: 4 | 6 = 4): Promise<string> {
    const addresses = await this.resolve(host);
    return (addresses.find((a) => isIP(a) === family) ?? addresses[0]) as string;
  }

  // ---------------------------------------------------------------- recovery and commands

  /**
   * After a network loss: NETCLOSE if still marked open, NETOPEN, receive mode; after a module
   * reset: the whole bring-up. New sockets work again afterwards (old ones stay failed).
   */
  recover(): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(new ChannelClosedError('recover', this.closedWith.reason));
    if (this.recovery !== undefined) return this.recovery;
    const recovery = (async () => {
      try {
        await this.modem.recover();
        this.lost = undefined;
        this.restarted = undefined;
        this.autoRecovery?.settled();
      } finally {
        this.recovery = undefined;
      }
    })();
    this.recovery = recovery;
    return recovery;
  }

  /** Automatic recovery is retrying right now. */
  get recovering(): boolean {
    return this.autoRecovery?.recovering === true;
  }

  /**
   * Run AT commands while a transparent link is in data mode: `+++` (the link stays up), `fn`,
   * then `ATO` back. Outside data mode `fn` just runs.
   */
  async commandMode<T>(fn: (modem: Modem) => Promise<T>): Promise<T> {
    if (!this.modem.channel.inDataMode) return fn(this.modem);
    if ((await this.modem.escapeDataMode()) === 'closed') return fn(this.modem);
    try {
      return await fn(this.modem);
    } finally {
      if (this.modem.linkState(0) === 'open') await this.modem.resumeDataMode();
    }
  }

  /**
   * Close every socket and server (their links are closed in the background), then the transport;
   * `netClose` also stops the socket service (`AT+NETCLOSE`) first.
   */
  async close(options: { netClose?: boolean } = {}): Promise<void> {
    this.closing = true;
    this.autoRecovery?.stop();
    for (const user of this.modem.links.owners()) {
      if (user instanceof TcpSocket) user.destroy();
      else if (user instanceof UdpSocket) user.close();
    }
    for (const server of this.servers) server?.serverFailed(undefined);
    await this.modem.close(options);
  }

  // ---------------------------------------------------------------- SocketHost

  attach(link: number, user: LinkUser): void {
    const links = this.modem.links;
    if (links.claim(link, user)) queueMicrotask(() => links.owner(link)?.linkReadable());
  }

  detach(link: number, user: LinkUser): void {
    this.modem.links.disown(link, user);
  }

  unusable(): Error | undefined {
    if (this.closedWith !== undefined || this.closing) return new ChannelClosedError(undefined, this.closedWith?.reason);
    const next = this.autoRecovery === undefined ? 'call recover() first' : 'recovering, try again later';
    if (this.restarted !== undefined) return new DriverStateError(`the module restarted: ${next}`, { cause: this.restarted });
    if (this.lost !== undefined) return new DriverStateError(`the network was lost: ${next}`, { cause: this.lost });
    return undefined;
  }

  unroutable(kind: 'tcp' | 'udp', remote?: RemoteAddress): Error | undefined {
    if (this.mode !== 'push' || this.modem.pushHeader !== 'ipd') return undefined;
    for (const user of this.modem.links.owners()) {
      const clash =
        kind === 'udp'
          ? user instanceof UdpSocket
          : user instanceof TcpSocket && remote !== undefined && user.remoteAddress === remote.address && user.remotePort === remote.port;
      if (clash) {
        return new DriverStateError(
          `push mode with +IPD headers routes data by its source only: a second ${kind === 'udp' ? 'UDP socket' : `connection to ${remote?.address}:${remote?.port}`} ` +
            'could not be told apart (the module refused +RECEIVE headers); use buffer mode',
        );
      }
    }
    return undefined;
  }

  claimServer(server: ServerUser, preferred?: number): number {
    if (preferred !== undefined) {
      if (this.servers[preferred] !== undefined) throw new DriverStateError(`server ${preferred} is in use`);
      this.servers[preferred] = server;
      return preferred;
    }
    const index = this.servers.findIndex((s) => s === undefined);
    if (index < 0) throw new DriverStateError(`no free server slot (all ${SERVER_COUNT} in use)`);
    this.servers[index] = server;
    return index;
  }

  releaseServer(index: number, server: ServerUser): void {
    if (this.servers[index] === server) this.servers[index] = undefined;
  }

  // ---------------------------------------------------------------- routing

  private onData(link: number, bytes: Buffer, from: RemoteAddress | undefined): void {
    const user = this.modem.links.owner(link);
    if (user !== undefined) user.linkData(bytes, from);
    else this.warn(`${bytes.length} bytes for link ${link}, which no socket owns: dropped`);
  }

  private onReadable(link: number): void {
    const user = this.modem.links.owner(link);
    if (user !== undefined) user.linkReadable();
    else this.modem.links.noteUnclaimedReadable(link);
  }

  private onClient(client: AcceptedClient): void {
    const server = this.servers[client.server];
    if (server === undefined || this.closing) {
      this.warn(`client on link ${client.link} for server ${client.server}, which is not ours: closed`);
      void this.modem
        .closeLink(client.link)
        .catch(() => {})
        .finally(() => this.modem.releaseLink(client.link));
      return;
    }
    server.serverAccepted(client.link, client.remote, this.modem.transparent && client.link === 0 && client.server === 0);
  }

  private onUnrouted(block: PushBlock): void {
    const from = block.from === undefined ? '' : ` from ${block.from.address}:${block.from.port}`;
    this.warn(`${block.bytes.length} pushed bytes${from} whose link cannot be told (+IPD with several links open): dropped`);
  }

  private failAll(error: Error): void {
    const links = this.modem.links;
    const owners = links.owners();
    links.disownAll();
    for (const user of owners) user.linkFailed(error);
    for (const server of this.servers) server?.serverFailed(error);
  }

  private warn(message: string): void {
    this.emit('warning', message);
  }
}

/** The connection options http, its agents and ws pass to `createConnection` (the fields used here). */
export interface HttpConnectionOptions {
  readonly port?: number | string | null | undefined;
  readonly defaultPort?: number | string | undefined;
  readonly host?: string | null | undefined;
  readonly hostname?: string | null | undefined;
  readonly localPort?: number | undefined;
  readonly timeout?: number | undefined;
}

function connectOptionsOf(options: (TcpConnectOptions & TcpSocketOptions) | HttpConnectionOptions): TcpConnectOptions & TcpSocketOptions {
  const o = options as HttpConnectionOptions & TcpSocketOptions;
  const port = Number(o.port ?? o.defaultPort);
  const host = o.host ?? o.hostname ?? undefined;
  return {
    port,
    ...(host === undefined || host === null ? {} : { host }),
    ...(o.localPort === undefined ? {} : { localPort: o.localPort }),
    ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
    ...(o.highWaterMark === undefined ? {} : { highWaterMark: o.highWaterMark }),
    ...(o.allowHalfOpen === undefined ? {} : { allowHalfOpen: o.allowHalfOpen }),
  };
}

/** The Modem settings each mode needs (what `A76xx.open` passes; explicit options win). */
export function modemOptionsFor(mode: SocketMode): ModemOptions {
  switch (mode) {
    case 'push':
      return { receiveMode: 'push', pushHeader: 'receive', udpByPacket: true };
    case 'buffer':
      return { receiveMode: 'buffer', udpByPacket: true, rxSourceAddress: true };
    case 'transparent':
      return { receiveMode: 'push', transparent: true };
  }
}
