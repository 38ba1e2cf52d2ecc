import { errorMessage } from '../../common/errors.js';

/**
 * What the emulator needs from a network. Handlers and the link table use only this; the real
 * backend (Node's net/dgram/dns) and simulated or faulty ones implement it.
 *
 * Shape: every socket object is created first and *attached* second. Until `attach` is called the
 * implementation holds whatever happened (data, close, datagrams), so the caller can finish its
 * bookkeeping without losing an early event.
 */
export interface Network {
  /** Resolve a host name to an IPv4 address (static host table first). Rejects when it cannot. */
  resolve(name: string): Promise<string>;
  /** Open a TCP connection. Rejects with a `NetworkError` (`refused`, `aborted`, …). */
  connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection>;
  /** Bind a UDP socket. Rejects with a `NetworkError` (`address-in-use`, …). */
  bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket>;
  /** Listen for TCP connections (the TCP server service). */
  listenTcp(options: TcpListenOptions): Promise<TcpListener>;
  /**
   * False while the network can carry no PDP context at all (a simulated outage): NETOPEN then
   * completes with `+NETOPEN: 1`. Backends that are always there leave it out.
   */
  readonly available?: boolean;
  /**
   * The network's share of an ICMP echo's round trip to `address` in ms (AT+CPING), or null when
   * nothing gets through. Backends without a latency model leave it out (the module's own radio
   * round trip of the timing profile is all there is).
   */
  pingRoundTrip?(address: string): number | null;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface NetworkTcpConnectOptions {
  /** IPv4 address (already resolved). */
  readonly host: string;
  readonly port: number;
  /** Local port to bind (0 or absent: any). */
  readonly localPort?: number;
  /** TCP keepalive idle time, when keepalive is on (AT+CTCPKA). */
  readonly keepAliveMs?: number;
  /** Aborting rejects the connect with `aborted` and drops the half-open socket. */
  readonly signal?: AbortSignal;
}

export interface UdpBindOptions {
  /** Local port (0: any). */
  readonly port: number;
}

export interface TcpListenOptions {
  readonly port: number;
  readonly backlog: number;
}

/** Why a TCP connection ended without the module closing it. */
export type TcpCloseCause = 'remote' | 'reset' | 'error';

export interface TcpHandlers {
  /** Bytes from the peer, in order. Not called while paused. */
  data(chunk: Buffer): void;
  /** The connection is gone: the peer closed it (FIN), reset it, or it failed. Called at most once. */
  closed(cause: TcpCloseCause): void;
}

export interface TcpConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Start delivering events; events that happened before are delivered now, in order. */
  attach(handlers: TcpHandlers): void;
  /**
   * Queue bytes for the peer. Resolves when they left the process (handed to the OS stack);
   * rejects when the connection fails first.
   */
  write(data: Buffer): Promise<void>;
  /** Bytes queued by `write` that have not left the process yet. */
  readonly pendingWriteBytes: number;
  /** Stop reading from the peer (TCP flow control pushes back on it); `resume` restarts. */
  pause(): void;
  resume(): void;
  /** Graceful close (FIN after queued bytes). No handler is called afterwards. */
  close(): void;
  /** Abortive close (RST). No handler is called afterwards. */
  abort(): void;
}

export interface UdpHandlers {
  message(data: Buffer, from: Endpoint): void;
}

export interface NetworkUdpSocket {
  readonly local: Endpoint;
  attach(handlers: UdpHandlers): void;
  /** Send one datagram. Resolves when it left the process. */
  send(data: Buffer, to: Endpoint): Promise<void>;
  close(): void;
}

export interface TcpListenerHandlers {
  /** A client connected. The callee attaches to it (or aborts it). */
  connection(connection: TcpConnection): void;
}

export interface TcpListener {
  readonly local: Endpoint;
  attach(handlers: TcpListenerHandlers): void;
  close(): void;
}

/** What went wrong, in the terms the module's error codes distinguish (spec §5.2). */
export type NetworkErrorCode =
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'unreachable'
  | 'address-in-use'
  | 'not-found'
  | 'aborted'
  | 'failed';

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A NetworkError from anything thrown by a backend (unknown errors become `failed`). */
export function asNetworkError(err: unknown): NetworkError {
  if (err instanceof NetworkError) return err;
  return new NetworkError('failed', errorMessage(err));
}
