import { unescapeBytes } from '../../src/at/escape.js';
import {
  NetworkError,
  type Endpoint,
  type Network,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpHandlers,
  type TcpListener,
  type TcpCloseCause,
  type UdpBindOptions,
  type UdpHandlers,
  type NetworkUdpSocket,
} from '../../src/emulator/network/types.js';
import type { Action } from '../support/transcript-runner.js';

/**
 * A Network the test drives by hand: connects succeed, are refused or hang by host name; writes
 * leave at once or are held until released; the "peer" sends and closes on command. With a
 * FakeClock this makes timeouts, Busy and back-pressure deterministic.
 *
 * Hosts: `peer.test` (and any IPv4 literal) accepts, `refuse.test` refuses, `hang.test` never
 * answers the connect, `slowdns.test` never resolves, anything else does not resolve.
 */
export class ScriptedNetwork implements Network {
  readonly connections: ScriptedConnection[] = [];
  readonly udpSockets: ScriptedUdp[] = [];

  resolve(name: string): Promise<string> {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return Promise.resolve(name);
    if (name === 'slowdns.test') return new Promise(() => {});
    const address = { 'peer.test': '192.0.2.1', 'refuse.test': '192.0.2.2', 'hang.test': '192.0.2.3' }[name];
    return address === undefined ? Promise.reject(new NetworkError('not-found', name)) : Promise.resolve(address);
  }

  connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    if (options.host === '192.0.2.2') return Promise.reject(new NetworkError('refused', 'refused'));
    if (options.host === '192.0.2.3') {
      return new Promise((_, reject) => {
        options.signal?.addEventListener('abort', () => reject(new NetworkError('aborted', 'aborted')), { once: true });
      });
    }
    const connection = new ScriptedConnection(
      { address: '10.148.0.17', port: 40000 + this.connections.length },
      { address: options.host, port: options.port },
    );
    this.connections.push(connection);
    return Promise.resolve(connection);
  }

  bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket> {
    if (this.udpSockets.some((s) => !s.closed && s.local.port === options.port)) {
      return Promise.reject(new NetworkError('address-in-use', 'in use'));
    }
    const socket = new ScriptedUdp({ address: '10.148.0.17', port: options.port || 50000 + this.udpSockets.length });
    this.udpSockets.push(socket);
    return Promise.resolve(socket);
  }

  listenTcp(): Promise<TcpListener> {
    return Promise.reject(new NetworkError('failed', 'not scripted'));
  }

  connection(n: number): ScriptedConnection {
    const c = this.connections[n];
    if (c === undefined) throw new Error(`no scripted connection #${n}`);
    return c;
  }

  /**
   * Transcript actions (connection numbers count connects from 0):
   *   ! peer-send N TEXT      connection N receives TEXT from its peer
   *   ! peer-close N          the peer closes (FIN) / ! peer-reset N: resets
   *   ! hold-writes N         writes of connection N stay queued until ! release-writes N
   *   ! written N TEXT        everything connection N wrote so far is exactly TEXT (then cleared)
   *   ! ended N close|abort   connection N was closed by the module that way
   *   ! paused N yes|no       connection N is (not) paused
   *   ! udp-peer-send N PORT TEXT   UDP socket N receives TEXT from 192.0.2.1:PORT
   */
  actions(): Record<string, Action> {
    const text = (words: readonly string[]) => unescapeBytes(words.join(' '));
    return {
      'peer-send': ([n, ...words]) => this.connection(Number(n)).peerSend(text(words)),
      'peer-close': ([n]) => this.connection(Number(n)).peerClose('remote'),
      'peer-reset': ([n]) => this.connection(Number(n)).peerClose('reset'),
      'hold-writes': ([n]) => {
        this.connection(Number(n)).holdWrites = true;
      },
      'release-writes': ([n]) => this.connection(Number(n)).releaseWrites(),
      written: ([n, ...words]) => {
        const c = this.connection(Number(n));
        const got = Buffer.concat(c.written);
        c.written = [];
        if (!got.equals(text(words))) throw new Error(`connection ${n} wrote ${JSON.stringify(got.toString('latin1'))}`);
      },
      ended: ([n, how]) => {
        const c = this.connection(Number(n));
        if (c.endedBy !== how) throw new Error(`connection ${n} ended by ${String(c.endedBy)}, not ${String(how)}`);
      },
      paused: ([n, yes]) => {
        const c = this.connection(Number(n));
        if (c.paused !== (yes === 'yes')) throw new Error(`connection ${n} paused=${c.paused}`);
      },
      'udp-peer-send': ([n, port, ...words]) => {
        const s = this.udpSockets[Number(n)];
        if (s === undefined) throw new Error(`no UDP socket #${n}`);
        s.handlers?.message(text(words), { address: '192.0.2.1', port: Number(port) });
      },
    };
  }
}

export class ScriptedConnection implements TcpConnection {
  handlers: TcpHandlers | undefined;
  written: Buffer[] = [];
  holdWrites = false;
  paused = false;
  endedBy: 'close' | 'abort' | undefined;
  private held: { data: Buffer; resolve: () => void }[] = [];

  constructor(
    readonly local: Endpoint,
    readonly remote: Endpoint,
  ) {}

  attach(handlers: TcpHandlers): void {
    this.handlers = handlers;
  }

  write(data: Buffer): Promise<void> {
    this.written.push(Buffer.from(data));
    if (!this.holdWrites) return Promise.resolve();
    return new Promise((resolve) => this.held.push({ data, resolve }));
  }

  get pendingWriteBytes(): number {
    return this.held.reduce((n, h) => n + h.data.length, 0);
  }

  releaseWrites(): void {
    this.holdWrites = false;
    for (const h of this.held.splice(0)) h.resolve();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  close(): void {
    this.endedBy ??= 'close';
    this.handlers = undefined;
  }

  abort(): void {
    this.endedBy ??= 'abort';
    this.handlers = undefined;
  }

  peerSend(data: Buffer): void {
    if (this.paused) throw new Error('the module paused this connection; a real peer would be held back');
    this.handlers?.data(data);
  }

  peerClose(cause: TcpCloseCause): void {
    const handlers = this.handlers;
    this.handlers = undefined;
    handlers?.closed(cause);
  }
}

export class ScriptedUdp implements NetworkUdpSocket {
  handlers: UdpHandlers | undefined;
  closed = false;
  readonly sent: { data: Buffer; to: Endpoint }[] = [];

  constructor(readonly local: Endpoint) {}

  attach(handlers: UdpHandlers): void {
    this.handlers = handlers;
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    this.sent.push({ data: Buffer.from(data), to });
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
    this.handlers = undefined;
  }
}
