import type {
  Endpoint,
  Network,
  TcpConnection,
  NetworkTcpConnectOptions,
  TcpHandlers,
  TcpListener,
  TcpListenerHandlers,
  TcpListenOptions,
  UdpBindOptions,
  UdpHandlers,
  NetworkUdpSocket,
} from '../../src/emulator/network/types.js';

/**
 * A Network that counts the sockets the emulator holds: a TCP connection from the moment it is
 * connected or accepted until the emulator closes or aborts it or is told it ended; a UDP socket or
 * a listener until closed. A leak is a count that does not come back to zero.
 */
export interface OpenCounts {
  tcp: number;
  udp: number;
  listeners: number;
}

export class CountingNetwork implements Network {
  readonly open: OpenCounts = { tcp: 0, udp: 0, listeners: 0 };
  /** How many were ever opened. */
  readonly opened: OpenCounts = { tcp: 0, udp: 0, listeners: 0 };

  constructor(readonly inner: Network) {}

  get available(): boolean | undefined {
    return this.inner.available;
  }

  resolve(name: string): Promise<string> {
    return this.inner.resolve(name);
  }

  async connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    return new CountedConnection(await this.inner.connectTcp(options), this.open, this.opened);
  }

  async bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket> {
    const socket = await this.inner.bindUdp(options);
    this.open.udp++;
    this.opened.udp++;
    let closed = false;
    const open = this.open;
    return {
      local: socket.local,
      attach: (handlers: UdpHandlers) => socket.attach(handlers),
      send: (data: Buffer, to: Endpoint) => socket.send(data, to),
      close() {
        if (!closed) open.udp--;
        closed = true;
        socket.close();
      },
    };
  }

  async listenTcp(options: TcpListenOptions): Promise<TcpListener> {
    const listener = await this.inner.listenTcp(options);
    this.open.listeners++;
    this.opened.listeners++;
    let closed = false;
    const { open, opened } = this;
    return {
      local: listener.local,
      attach: (handlers: TcpListenerHandlers) =>
        listener.attach({ connection: (connection) => handlers.connection(new CountedConnection(connection, open, opened)) }),
      close() {
        if (!closed) open.listeners--;
        closed = true;
        listener.close();
      },
    };
  }
}

class CountedConnection implements TcpConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  private released = false;

  constructor(
    private readonly inner: TcpConnection,
    private readonly open: OpenCounts,
    opened: OpenCounts,
  ) {
    this.local = inner.local;
    this.remote = inner.remote;
    open.tcp++;
    opened.tcp++;
  }

  private release(): void {
    if (!this.released) this.open.tcp--;
    this.released = true;
  }

  attach(handlers: TcpHandlers): void {
    this.inner.attach({
      data: (chunk) => handlers.data(chunk),
      closed: (cause) => {
        this.release();
        handlers.closed(cause);
      },
    });
  }

  write(data: Buffer): Promise<void> {
    return this.inner.write(data);
  }

  get pendingWriteBytes(): number {
    return this.inner.pendingWriteBytes;
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  close(): void {
    this.release();
    this.inner.close();
  }

  abort(): void {
    this.release();
    this.inner.abort();
  }
}
