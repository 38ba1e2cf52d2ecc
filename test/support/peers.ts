import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { escapeBytes, unescapeBytes } from '../../src/at/escape.js';
import type { Action } from './transcript-runner.js';

/**
 * Loopback peers for socket tests: a TCP server and a UDP socket on 127.0.0.1 that the test
 * starts, drives and inspects, and the transcript actions (`! tcp-send …`) that drive them.
 * Every wait is bounded.
 */

export const PEER_WAIT_MS = 3000;

/** Wakes waiters whenever something changed; `until` re-checks a condition on each change. */
class Changes {
  private waiters = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  async until<T>(check: () => T | undefined, ms: number, what: () => string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`peer: timed out after ${ms} ms waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }
}

/** One accepted connection, seen from the peer's side. */
export class PeerConnection {
  /** Bytes received and not consumed by `expect` yet. */
  unread: Buffer = Buffer.alloc(0);
  /** Everything ever received. */
  total = 0;
  /** The module sent FIN. */
  ended = false;
  /** The socket is gone (FIN exchange done, or reset). */
  closed = false;
  /** The module reset the connection. */
  wasReset = false;

  constructor(
    readonly socket: Socket,
    private readonly changes: Changes,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      this.total += chunk.length;
      changes.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      changes.notify();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') this.wasReset = true;
    });
    socket.on('close', () => {
      this.closed = true;
      changes.notify();
    });
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** The next received bytes must be exactly `bytes` (more may follow; they stay unread). */
  async expect(bytes: Buffer, ms = PEER_WAIT_MS): Promise<void> {
    await this.changes.until(
      () => (this.unread.length >= bytes.length || this.closed ? true : undefined),
      ms,
      () => `${JSON.stringify(escapeBytes(bytes))} (have ${JSON.stringify(escapeBytes(this.unread))})`,
    );
    const got = this.unread.subarray(0, bytes.length);
    if (!got.equals(bytes)) {
      throw new Error(`peer: expected ${JSON.stringify(escapeBytes(bytes))}, received ${JSON.stringify(escapeBytes(this.unread))}`);
    }
    this.unread = this.unread.subarray(bytes.length);
  }

  /** Take `length` bytes (whatever they are). */
  async take(length: number, ms = PEER_WAIT_MS): Promise<Buffer> {
    await this.changes.until(() => (this.unread.length >= length ? true : undefined), ms, () => `${length} bytes (have ${this.unread.length})`);
    const got = this.unread.subarray(0, length);
    this.unread = this.unread.subarray(length);
    return Buffer.from(got);
  }

  /** Graceful close (FIN). */
  close(): void {
    this.socket.end();
  }

  /** Abortive close (RST). */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  async waitClosed(ms = PEER_WAIT_MS): Promise<void> {
    await this.changes.until(() => (this.closed ? true : undefined), ms, () => 'the module to close the connection');
  }
}

export class TcpPeer {
  readonly connections: PeerConnection[] = [];
  private readonly changes = new Changes();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.connections.push(new PeerConnection(socket, this.changes));
      this.changes.notify();
    });
  }

  static start(): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address === null || typeof address !== 'object') throw new Error('no address');
        resolve(new TcpPeer(server, address.port));
      });
    });
  }

  /** The `n`-th accepted connection (0-based), waiting for it if needed. */
  connection(n: number, ms = PEER_WAIT_MS): Promise<PeerConnection> {
    return this.changes.until(() => this.connections[n], ms, () => `connection #${n} (have ${this.connections.length})`);
  }

  close(): void {
    for (const c of this.connections) c.socket.destroy();
    this.server.close();
  }
}

export interface Datagram {
  readonly data: Buffer;
  readonly port: number;
}

export class UdpPeer {
  /** Datagrams received and not consumed yet. */
  readonly inbox: Datagram[] = [];
  private readonly changes = new Changes();

  private constructor(
    private readonly socket: DgramSocket,
    readonly port: number,
  ) {
    socket.on('message', (data, rinfo) => {
      this.inbox.push({ data, port: rinfo.port });
      this.changes.notify();
    });
  }

  static start(): Promise<UdpPeer> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new UdpPeer(socket, socket.address().port)));
    });
  }

  send(bytes: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** The next datagram, waiting for it. */
  next(ms = PEER_WAIT_MS): Promise<Datagram> {
    return this.changes.until(() => this.inbox.shift(), ms, () => 'a datagram');
  }

  async expect(bytes: Buffer, ms = PEER_WAIT_MS): Promise<Datagram> {
    const got = await this.next(ms);
    if (!got.data.equals(bytes)) {
      throw new Error(`peer: expected datagram ${JSON.stringify(escapeBytes(bytes))}, got ${JSON.stringify(escapeBytes(got.data))}`);
    }
    return got;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * A port that was free a moment ago (bound and released). Taken at random below the kernel's
 * ephemeral range (32768 and up here), because a port the kernel handed out with `listen(0)` is
 * soon handed out again as the local port of some outgoing connection of a test running beside
 * this one, and a later bind to it then fails with EADDRINUSE.
 */
export async function freePort(kind: 'tcp' | 'udp' | 'tcp-client'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    if (await (kind === 'tcp-client' ? connectableFrom(port) : bindable(kind, port))) return port;
  }
  throw new Error(`no free ${kind} port found below the ephemeral range`);
}

/**
 * Whether a client can connect from local port `port`. A listening bind sets SO_REUSEADDR and so
 * succeeds on a port a TIME_WAIT connection still holds; a client's `localPort` bind does not and
 * fails there with EADDRINUSE. So a port a test's client will connect from is probed by connecting
 * from it, to a listener of our own, and resetting (an RST leaves no TIME_WAIT behind).
 */
async function connectableFrom(port: number): Promise<boolean> {
  const server = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target = (server.address() as { port: number }).port;
  try {
    return await new Promise<boolean>((resolve) => {
      const client = connect({ host: '127.0.0.1', port: target, localAddress: '127.0.0.1', localPort: port });
      client.once('connect', () => {
        client.resetAndDestroy();
        resolve(true);
      });
      client.once('error', () => resolve(false));
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function bindable(kind: 'tcp' | 'udp', port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    } else {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    }
  });
}

/**
 * Transcript actions for the peers. Payload text is the rest of the line with the transcript
 * escapes (`\r`, `\xNN`); the runner splits on whitespace, so single spaces survive and anything
 * else must be escaped (`\x20`).
 *
 *   ! tcp-accept [NAME]        wait for the next accepted connection; it becomes the current one
 *   ! tcp-send [@NAME] TEXT    the connection sends TEXT
 *   ! tcp-expect [@NAME] TEXT  the connection's next received bytes are TEXT
 *   ! tcp-close [@NAME]        the peer closes (FIN)
 *   ! tcp-reset [@NAME]        the peer resets (RST)
 *   ! tcp-closed [@NAME]       wait until the module closed the connection
 *   ! udp-send PORT TEXT       the UDP peer sends TEXT to 127.0.0.1:PORT
 *   ! udp-expect TEXT          the UDP peer's next datagram is TEXT
 */
export function peerActions(peers: { tcp?: TcpPeer; udp?: UdpPeer }): Record<string, Action> {
  const named = new Map<string, PeerConnection>();
  let accepted = 0;
  let current: PeerConnection | undefined;

  const tcp = (): TcpPeer => {
    if (peers.tcp === undefined) throw new Error('no TCP peer in this test');
    return peers.tcp;
  };
  const udp = (): UdpPeer => {
    if (peers.udp === undefined) throw new Error('no UDP peer in this test');
    return peers.udp;
  };
  /** The connection an action names (`@NAME` first) and the remaining words. */
  const target = (args: readonly string[]): [PeerConnection, readonly string[]] => {
    const first = args[0];
    if (first !== undefined && first.startsWith('@')) {
      const c = named.get(first.slice(1));
      if (c === undefined) throw new Error(`no connection named ${first}`);
      return [c, args.slice(1)];
    }
    if (current === undefined) throw new Error('no connection accepted yet (use ! tcp-accept)');
    return [current, args];
  };
  const payload = (words: readonly string[]): Buffer => unescapeBytes(words.join(' '));

  return {
    'tcp-accept': async (args) => {
      current = await tcp().connection(accepted++);
      if (args[0] !== undefined) named.set(args[0], current);
    },
    'tcp-send': async (args) => {
      const [c, words] = target(args);
      await c.send(payload(words));
    },
    'tcp-expect': async (args) => {
      const [c, words] = target(args);
      await c.expect(payload(words));
    },
    'tcp-close': (args) => target(args)[0].close(),
    'tcp-reset': (args) => target(args)[0].reset(),
    'tcp-closed': async (args) => {
      await target(args)[0].waitClosed();
    },
    'udp-send': async (args) => {
      const [port, ...words] = args;
      await udp().send(payload(words), Number(port));
    },
    'udp-expect': async (args) => {
      await udp().expect(payload(args));
    },
  };
}
