import { NetworkError, type Endpoint, type TcpListener, type TcpListenerHandlers, type TcpListenOptions } from '../../../src/emulator/network/types.js';
import { ScriptedConnection, ScriptedNetwork } from '../../emulator/sockets-scripted-network.js';
import type { Action } from '../../support/transcript-runner.js';

/**
 * The ScriptedNetwork plus listening sockets, so the fuzzer reaches the TCP server too: a server
 * started with AT+SERVERSTART is a `ScriptedListener`, and `peer-connect N` makes a client
 * connect to listener N. Accepted connections join `connections`, so the peer steps (send,
 * close, reset, hold writes) reach them like the module's own connections.
 */
export class FuzzNetwork extends ScriptedNetwork {
  readonly listeners: ScriptedListener[] = [];

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
