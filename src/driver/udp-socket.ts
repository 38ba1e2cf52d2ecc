/**
 * `UdpSocket`: a UDP link of the module shaped like `dgram.Socket`: `bind([port])`, `send(msg,
 * port, host[, cb])`, 'message' events with `{ address, family, port, size }`, `close()`,
 * `address()`.
 *
 * - `bind()` is `AT+CIPOPEN=<link>,"UDP",,,<localPort>` (the module needs a local port; without
 *   one a random port of the dynamic range is taken). `send` binds implicitly, as dgram does.
 * - Each `send` is one datagram, one `AT+CIPSEND=<link>,<len>,"<ip>",<port>` (at most 1500 bytes;
 *   the spec advises ≤ 1400 because carriers drop larger ones). Names are resolved by the module.
 * - Push mode: each `+IPD`/`+RECEIVE` block is one datagram; `RECV FROM:<ip>:<port>` gives its
 *   source. Buffer mode: each `AT+CIPRXGET=2` read is one datagram when the module keeps UDP
 *   packet boundaries (CIPCCFG udpRecvmode 1; the A76xx object asks for it) and names the source
 *   when `AT+CIPRXGET=5` was accepted; otherwise the source reads as the last destination, and
 *   datagrams may merge (SIM7600 family).
 * - No 'connect'ed sockets, multicast or broadcast: the module has no such commands.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { DriverStateError, LinkClosedError } from './errors.js';
import type { LinkUser, SocketHost } from './link-user.js';
import { BufferReader } from './buffer-reader.js';
import { MAX_SEND } from './modem.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { linkError, SocketError } from './socket-errors.js';
import { toError } from '../common/errors.js';

export interface RemoteInfo {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
  readonly size: number;
}

export interface UdpSocketEvents {
  message: [msg: Buffer, rinfo: RemoteInfo];
  listening: [];
  close: [];
  error: [error: Error];
}

export type UdpMessage = string | Uint8Array | readonly (string | Uint8Array)[];
export type SendCallback = (error: Error | null, bytes: number) => void;

/** Ports picked when bind() gets none (IANA dynamic range). */
const DYNAMIC_PORTS = { first: 49152, count: 16384 };

type Phase = 'unbound' | 'binding' | 'bound' | 'closing' | 'closed';

export class UdpSocket extends EventEmitter<UdpSocketEvents> implements LinkUser {
  private readonly host: SocketHost;
  private phase: Phase = 'unbound';
  private link: number | undefined;
  private localPort = 0;
  private bound: Promise<void> | undefined;
  private lastDestination: RemoteAddress | undefined;
  private readonly reader = new BufferReader(() => this.host.modem, {
    wants: (link) => this.phase === 'bound' && this.link === link,
    deliver: (bytes, from) => this.message(bytes, from),
    failed: (error) => this.fail(error),
    stopped: () => {},
  });
  /** Sends go out in the order they were asked for (name lookups would reorder them otherwise). */
  private sendChain: Promise<unknown> = Promise.resolve();
  /** `close()` was called: errors from then on are not reported. */
  private closeAsked = false;

  constructor(host: SocketHost) {
    super();
    this.host = host;
  }

  /** `bind([port][, callback])` or `bind({ port }[, callback])`; 'listening' once bound. */
  bind(port?: number | { port?: number }, callback?: () => void): this;
  bind(callback?: () => void): this;
  bind(portOrOptions?: number | { port?: number } | (() => void), callback?: () => void): this {
    const listener = typeof portOrOptions === 'function' ? portOrOptions : callback;
    const port = typeof portOrOptions === 'number' ? portOrOptions : typeof portOrOptions === 'object' ? portOrOptions.port : undefined;
    if (listener !== undefined) this.once('listening', listener);
    if (this.phase !== 'unbound') {
      this.fail(new DriverStateError(`bind: the socket is already ${this.phase}`));
      return this;
    }
    this.startBind(port);
    return this;
  }

  /**
   * `send(msg, port, address[, callback])` or `send(msg, offset, length, port, address[, callback])`.
   * The callback gets `(error, bytes)`; without one, errors are 'error' events.
   */
  send(msg: UdpMessage, port: number, address: string, callback?: SendCallback): void;
  send(msg: UdpMessage, offset: number, length: number, port: number, address: string, callback?: SendCallback): void;
  send(msg: UdpMessage, ...rest: unknown[]): void {
    let payload = toBuffer(msg);
    let port: unknown;
    let address: unknown;
    let callback: unknown;
    if (typeof rest[2] === 'number') {
      const offset = rest[0] as number;
      const length = rest[1] as number;
      payload = payload.subarray(offset, offset + length);
      [port, address, callback] = [rest[2], rest[3], rest[4]];
    } else {
      [port, address, callback] = [rest[0], rest[1], rest[2]];
    }
    const done = typeof callback === 'function' ? (callback as SendCallback) : undefined;
    const report = (error: Error | null, bytes: number): void => {
      if (done !== undefined) done(error, bytes);
      else if (error !== null) this.fail(error);
    };
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      queueMicrotask(() => report(new RangeError(`send: port ${String(port)} is not 1–65535`), 0));
      return;
    }
    if (typeof address !== 'string' || address === '') {
      queueMicrotask(() => report(new TypeError('send: an address (name or IP) is required'), 0));
      return;
    }
    if (payload.length > MAX_SEND) {
      const tooBig = new SocketError('EMSGSIZE', 'send', `a datagram of ${payload.length} bytes exceeds the module's ${MAX_SEND}`, { address, port });
      queueMicrotask(() => report(tooBig, 0));
      return;
    }
    if (this.phase === 'unbound') this.startBind(undefined);
    const sending = this.sendChain.then(() => this.deliverDatagram(payload, port, address));
    this.sendChain = sending.catch(() => undefined);
    void sending.then(
      (bytes) => report(null, bytes),
      (error: unknown) => {
        const mapped = linkError(error, 'send', address, port);
        report(toError(mapped), 0);
      },
    );
  }

  /** Close the link (`AT+CIPCLOSE`, synchronous for UDP); 'close' afterwards. */
  close(callback?: () => void): this {
    if (callback !== undefined) this.once('close', callback);
    if (this.phase === 'closing' || this.phase === 'closed') return this;
    this.closeAsked = true;
    const wasBinding = this.bound;
    this.phase = 'closing';
    void (async () => {
      try {
        await wasBinding;
      } catch {
        // The bind failed: nothing to close.
      }
      const link = this.link;
      if (link !== undefined) {
        const modem = this.host.modem;
        this.link = undefined;
        try {
          if (modem.linkState(link) === 'open') await modem.closeLink(link);
        } catch {
          // Best effort: closed either way.
        }
        this.host.detach(link, this);
        modem.releaseLink(link);
      }
      this.phase = 'closed';
      this.emit('close');
    })();
    return this;
  }

  /** `{ address, family, port }` of the bound socket (the module's IP and the local port). */
  address(): { address: string; family: 'IPv4' | 'IPv6'; port: number } {
    if (this.phase !== 'bound') throw new DriverStateError('address: the socket is not bound');
    const address = this.host.localAddress ?? '0.0.0.0';
    return { address, family: isIP(address) === 6 ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---------------------------------------------------------------- binding and sending

  private startBind(port: number | undefined): void {
    this.phase = 'binding';
    this.bound = this.openLink(port);
    this.bound.then(
      () => {
        if (this.phase === 'binding') {
          this.phase = 'bound';
          this.emit('listening');
          this.pull();
        }
      },
      (error: unknown) => {
        if (this.phase === 'binding') this.phase = 'closed';
        this.fail(toError(error));
      },
    );
  }

  private async openLink(port: number | undefined): Promise<void> {
    const unusable = this.host.unusable();
    if (unusable !== undefined) throw unusable;
    if (this.host.mode === 'transparent') throw new DriverStateError('UDP sockets need push or buffer mode (transparent mode has link 0 only)');
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new RangeError(`bind: port ${port} is not 0–65535`);
    const unroutable = this.host.unroutable('udp');
    if (unroutable !== undefined) throw unroutable;
    const modem = this.host.modem;
    const link = modem.allocateLink();
    this.link = link;
    this.host.attach(link, this);
    this.localPort = port !== undefined && port !== 0 ? port : DYNAMIC_PORTS.first + Math.floor(Math.random() * DYNAMIC_PORTS.count);
    try {
      await modem.openUdp(link, this.localPort);
    } catch (error) {
      this.host.detach(link, this);
      this.link = undefined;
      modem.releaseLink(link);
      throw error;
    }
  }

  private async deliverDatagram(payload: Buffer, port: number, address: string): Promise<number> {
    await this.bound;
    const link = this.link;
    if (this.phase !== 'bound' || link === undefined) throw new DriverStateError(`send: the socket is ${this.phase}`);
    const ip = isIP(address) !== 0 ? address : await this.host.resolveAddress(address);
    const to = { address: ip, port };
    this.lastDestination = to;
    if (payload.length === 0) return 0; // the module cannot send an empty datagram (length 1–1500)
    return this.host.modem.send(link, payload, to);
  }

  // ---------------------------------------------------------------- receiving

  linkData(bytes: Buffer, from: RemoteAddress | undefined): void {
    this.message(bytes, from);
  }

  linkReadable(): void {
    this.reader.notice();
    this.pull();
  }

  linkClosed(): void {
    this.fail(new LinkClosedError(this.link ?? -1, 'the module closed the UDP link'));
    this.close();
  }

  linkFailed(error: Error): void {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    const mapped = linkError(error, 'recvmsg');
    this.fail(mapped instanceof Error ? mapped : error);
    const link = this.link;
    this.link = undefined;
    if (link !== undefined) {
      this.host.detach(link, this);
      this.host.modem.releaseLink(link);
    }
    this.close();
  }

  private message(bytes: Buffer, from: RemoteAddress | undefined): void {
    const source = from ?? this.lastDestination ?? { address: '0.0.0.0', port: 0 };
    this.emit('message', bytes, {
      address: source.address,
      family: isIP(source.address) === 6 ? 'IPv6' : 'IPv4',
      port: source.port,
      size: bytes.length,
    });
  }

  /** Buffer mode: read datagrams while the module says it holds some (no back-pressure: dgram has none). */
  private pull(): void {
    if (this.host.mode !== 'buffer' || this.phase !== 'bound' || this.link === undefined) return;
    this.reader.pull(this.link);
  }

  private fail(error: Error): void {
    if (this.closeAsked) return; // nothing closed reports errors afterwards
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else queueMicrotask(() => this.emit('error', error)); // unhandled, as dgram: thrown
  }
}

function toBuffer(msg: UdpMessage): Buffer {
  if (typeof msg === 'string') return Buffer.from(msg);
  if (msg instanceof Uint8Array) return Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  return Buffer.concat(msg.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
}
