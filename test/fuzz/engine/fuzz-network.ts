import type { Clock } from '../../../src/emulator/clock.js';
import {
  NetworkError,
  type Endpoint,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpListener,
  type TcpListenerHandlers,
  type TcpListenOptions,
} from '../../../src/emulator/network/types.js';
import { ScriptedConnection, ScriptedNetwork } from '../../emulator/sockets-scripted-network.js';
import type { Action } from '../../support/transcript-runner.js';

/** How long `delayed.test` takes to resolve and `slow.test` to connect, on the modem's clock. */
export const SLOW_MS = 3000;
const SLOW_ADDRESS = '192.0.2.4';

/**
 * The ScriptedNetwork plus listening sockets and slow answers, so the fuzzer reaches the TCP
 * server and the windows where an open is under way:
 * - a server started with AT+SERVERSTART is a `ScriptedListener`, and `peer-connect N` makes a
 *   client connect to listener N; accepted connections join `connections`, so the peer steps
 *   (send, close, reset, hold writes) reach them like the module's own connections;
 * - `delayed.test` resolves after SLOW_MS, `slow.test` resolves at once but connects after SLOW_MS.
 */
export class FuzzNetwork extends ScriptedNetwork {
  readonly listeners: ScriptedListener[] = [];

  constructor(private readonly clock: Clock) {
    super();
  }

  override resolve(name: string): Promise<string> {
    if (name === 'slow.test') return Promise.resolve(SLOW_ADDRESS);
    if (name === 'delayed.test') return new Promise((resolve) => this.clock.setTimeout(() => resolve('192.0.2.1'), SLOW_MS));
    return super.resolve(name);
  }

  override connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    // An open cancelled before its connect starts: refused at once, as the real and simulated
    // backends do (the ScriptedNetwork's `hang.test` would wait for an abort that already happened).
    if (options.signal?.aborted) return Promise.reject(new NetworkError('aborted', 'aborted'));
    if (options.host !== SLOW_ADDRESS) return super.connectTcp(options);
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(super.connectTcp({ ...options, host: '192.0.2.1' }));
      }, SLOW_MS);
      const onAbort = () => {
        timer.cancel();
        reject(new NetworkError('aborted', 'aborted'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  override listenTcp(options: TcpListenOptions = { port: 0, backlog: 3 }): Promise<TcpListener> {
    if (options.port !== 0 && this.listeners.some((l) => !l.closed && l.local.port === options.port)) {
      return Promise.reject(new NetworkError('address-in-use', `port ${options.port} in use`));
    }
    const listener = new ScriptedListener({ address: '0.0.0.0', port: options.port || 30000 + this.listeners.length });
    this.listeners.push(listener);
    return Promise.resolve(listener);
  }

  /** A client at 192.0.2.9 connects to listener `n`; returns the connection's number, or undefined when it is closed. */
  peerConnect(n: number): number | undefined {
    const listener = this.listeners[n];
    if (listener === undefined || listener.closed || listener.handlers === undefined) return undefined;
    const number = this.connections.length;
    const connection = new ScriptedConnection(listener.local, { address: '192.0.2.9', port: 41000 + number });
    this.connections.push(connection);
    listener.handlers.connection(connection);
    return number;
  }

  /** The ScriptedNetwork's actions and `! peer-connect N`. */
  override actions(): Record<string, Action> {
    return {
      ...super.actions(),
      'peer-connect': ([n]) => {
        if (this.peerConnect(Number(n)) === undefined) throw new Error(`listener ${n} is not listening`);
      },
    };
  }
}

export class ScriptedListener implements TcpListener {
  handlers: TcpListenerHandlers | undefined;
  closed = false;

  constructor(readonly local: Endpoint) {}

  attach(handlers: TcpListenerHandlers): void {
    this.handlers = handlers;
  }

  close(): void {
    this.closed = true;
    this.handlers = undefined;
  }
}
