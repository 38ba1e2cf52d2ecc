import { once } from 'node:events';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Wakeup } from '../support/wakeup.js';

/**
 * A TLS server on 127.0.0.1 for the SSL tests: it keeps what each connection sent, what name
 * it asked for (SNI) and whether it showed a client certificate the server trusts. Every wait
 * is bounded.
 */
export const TLS_WAIT_MS = 5000;

export interface TlsPeerOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Ask for a client certificate and check it against this CA. */
  readonly clientCa?: Buffer;
}

export class TlsPeerConnection {
  unread = Buffer.alloc(0);
  ended = false;
  private readonly wakeup = new Wakeup();

  constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      this.wakeup.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wakeup.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wakeup.wake();
    });
    socket.on('error', () => {});
  }

  get servername(): string | false {
    return (this.socket as TLSSocket & { servername: string | false }).servername;
  }

  get clientAuthorized(): boolean {
    return this.socket.authorized;
  }

  /** Wait until `length` bytes arrived; returns and consumes them. */
  async read(length: number, ms = TLS_WAIT_MS): Promise<Buffer> {
    await this.until(() => this.unread.length >= length, ms, `${length} bytes (have ${this.unread.length})`);
    const out = this.unread.subarray(0, length);
    this.unread = this.unread.subarray(length);
    return out;
  }

  async waitEnded(ms = TLS_WAIT_MS): Promise<void> {
    await this.until(() => this.ended, ms, 'the end of the connection');
  }

  private async until(check: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`tls peer: timed out waiting for ${what}`);
      await this.wakeup.next(left);
    }
  }
}

export class TlsPeer {
  readonly connections: TlsPeerConnection[] = [];
  /** Handshakes that failed on the server side. */
  failures = 0;
  private readonly wakeup = new Wakeup();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: TlsPeerOptions): Promise<TlsPeer> {
    const server = createServer({
      cert: options.cert,
      key: options.key,
      ...(options.clientCa !== undefined ? { ca: [options.clientCa], requestCert: true, rejectUnauthorized: false } : {}),
      minVersion: 'TLSv1.2',
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const peer = new TlsPeer(server, address.port);
    server.on('secureConnection', (socket) => {
      peer.connections.push(new TlsPeerConnection(socket));
      peer.wakeup.wake();
    });
    server.on('tlsClientError', () => {
      peer.failures++;
      peer.wakeup.wake();
    });
    return peer;
  }

  /** The `n`th connection (0-based), once it completed its handshake. */
  async connection(n = 0, ms = TLS_WAIT_MS): Promise<TlsPeerConnection> {
    const deadline = Date.now() + ms;
    while (this.connections[n] === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`tls peer: no connection #${n} after ${ms} ms`);
      await this.wakeup.next(left);
    }
    return this.connections[n] as TlsPeerConnection;
  }

  close(): void {
    for (const c of this.connections) c.socket.destroy();
    this.server.close();
  }
}
