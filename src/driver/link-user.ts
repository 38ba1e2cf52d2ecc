/**
 * The contract between the socket classes (TcpSocket, UdpSocket, TcpServer) and the `A76xx`
 * object that owns the Modem: the Modem's per-link events are routed to the one socket that owns
 * each link (its `owner` in the Modem's link table), and sockets reach the module only through
 * the host.
 */
import type { Modem } from './modem.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import type { LinkUser } from './link-table.js';

export type { LinkUser };

/** How the module hands received data to the host (spec §3.1). */
export type SocketMode = 'push' | 'buffer' | 'transparent';

/** What sockets need from their owner. */
export interface SocketHost {
  readonly modem: Modem;
  readonly mode: SocketMode;
  /** Transparent mode: how long a connect waits for link 0 to be free (the connection before it to end). */
  readonly transparentWaitMs: number;
  /** The module's IP on the socket PDP (`AT+IPADDR`), for `localAddress`. */
  readonly localAddress: string | undefined;
  /** Route the link's events to `user` (buffer-mode notices that came first are replayed). */
  attach(link: number, user: LinkUser): void;
  /** Stop routing the link's events to `user`. */
  detach(link: number, user: LinkUser): void;
  /** A name (via `AT+CDNSGIP`) or an IP literal → an address. */
  resolveAddress(host: string, family?: 4 | 6): Promise<string>;
  /** Why no new socket can be opened right now (network lost, module reset, closed), if so. */
  unusable(): Error | undefined;
  /**
   * Push mode with `+IPD` headers (the module refused `+RECEIVE`): data is routed by `RECV FROM`
   * only, so a second TCP link to the same peer, or a second UDP socket, could not be told apart.
   * The reason to refuse such a socket, if so.
   */
  unroutable(kind: 'tcp' | 'udp', remote?: RemoteAddress): Error | undefined;
  /** A server's slot: claimed by `listen`, given back on close. */
  claimServer(server: ServerUser, preferred?: number): number;
  releaseServer(index: number, server: ServerUser): void;
}

/** What a TCP server is told. */
export interface ServerUser {
  /** A client was accepted on `link` (`+CLIENT: <link>,<index>,<ip>:<port>`). */
  serverAccepted(link: number, remote: RemoteAddress, transparent: boolean): void;
  /** The server is gone (network lost, module reset, transport gone; undefined: closed on purpose, quietly). */
  serverFailed(error: Error | undefined): void;
}
