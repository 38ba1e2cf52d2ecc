/**
 * `TcpSocket`: one TCP link of the module as a `stream.Duplex` shaped like `net.Socket` where
 * callers look (http's `createConnection`, MQTT.js's `stream` option, `pipeline`).
 *
 * Sending: writes become `AT+CIPSEND` chunks of at most 1500 bytes, each paced by its
 * `+CIPSEND: <link>,<req>,<cnf>` (Modem.send); the write callback runs once the module accepted the
 * bytes, so the writable side's back-pressure is the module's. Writes before the connection is up
 * wait for it. In transparent mode the bytes go straight to the UART (callback when the transport
 * took them).
 *
 * Receiving, by mode (spec §3.1):
 * - push: the module prints data whenever it comes and cannot be stopped; the bytes are pushed
 *   into the readable side, which buffers past its high-water mark when nobody reads.
 * - buffer: `+CIPRXGET: 1,<link>` says data waits; the socket reads it with `AT+CIPRXGET=2` (1500
 *   at a time) until `rest` is 0, but only while the readable side wants more: a full readable
 *   buffer stops the reads, the module's buffer fills, and the module stops reading its TCP socket
 *   (back-pressure to the peer). Never polled: a read happens only after a notice or `_read`.
 * - transparent: link 0's raw bytes, as push.
 *
 * Ending: TCP half-close is not possible on the module (`AT+CIPCLOSE` closes both directions), so
 * `end()` means: send what is queued, then close the link; the readable side ends then too (data
 * the peer sends after that is lost). The peer's close (`+IPCLOSE: <n>,1`, transparent `CLOSED`)
 * ends the readable side once everything received was delivered; with `allowHalfOpen` false (as
 * `net.Socket`'s default) the writable side then ends too. `destroy()` closes the link in the
 * background.
 *
 * Differences from net.Socket worth knowing: `localPort` is known only when given to `connect` or
 * for accepted clients (the module does not report it); `bytesWritten` counts bytes the module
 * confirmed; `setNoDelay`/`setKeepAlive` are accepted and do nothing (the module's keepalive is
 * global: `AT+CTCPKA`); `ref`/`unref` do nothing (the socket holds no handle of its own).
 */
import { IdleTimeout } from './idle-timeout.js';
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { AtTimeoutError, ChannelClosedError, DriverStateError, LinkClosedError, ModuleResetError, NetworkLostError } from './errors.js';
import type { LinkUser, SocketHost } from './link-user.js';
import { BufferReader } from './buffer-reader.js';
import { MAX_READ } from './modem.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { connectError, linkError, SocketError } from './socket-errors.js';
import { toError } from '../common/errors.js';

export interface TcpSocketOptions {
  /** Readable and writable high-water marks (bytes); the stream defaults otherwise. */
  readonly highWaterMark?: number;
  /** Keep the writable side open after the peer's close (net semantics; the link is gone anyway). */
  readonly allowHalfOpen?: boolean;
}

export interface TcpConnectOptions {
  readonly port: number;
  /** Name (resolved by the module, `AT+CDNSGIP`) or IP; default `localhost` as net does. */
  readonly host?: string;
  /** Local port for the link (`AT+CIPOPEN`'s 5th parameter). */
  readonly localPort?: number;
  /** Idle timeout, as `setTimeout(ms)`. */
  readonly timeout?: number;
}

type Phase = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

export class TcpSocket extends Duplex implements LinkUser {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: 'IPv4' | 'IPv6' | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** Bytes delivered to the readable side. */
  bytesRead = 0;
  /** True from `connect()` until the link is open (or the attempt failed). */
  connecting = false;

  private readonly host: SocketHost;
  private phase: Phase = 'idle';
  private link: number | undefined;
  private transparent = false;
  private written = 0;
  private openWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  // Buffer mode.
  private readWanted = false;
  private readonly reader = new BufferReader(() => this.host.modem, {
    wants: (link) => this.readWanted && !this.destroyed && this.link === link,
    deliver: (bytes) => {
      if (!this.readableDone) this.deliver(bytes);
    },
    failed: (error) => this.destroy(error),
    stopped: () => {
      if (this.remoteEnded && !this.reader.holdsData) this.endReadable();
    },
  });
  private remoteEnded = false;
  private readableDone = false;
  // Idle timeout.
  private readonly idle = new IdleTimeout(() => this.host.modem.channel.clock, () => this.emit('timeout'), () => this.destroyed);

  constructor(host: SocketHost, options: TcpSocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      // 'close' is emitted by _destroy with `hadError`, as net.Socket does.
      emitClose: false,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    });
    this.host = host;
  }

  /** A client a TcpServer accepted: the link is open (transparent: once data mode began). */
  static accepted(host: SocketHost, link: number, remote: RemoteAddress, localPort: number, transparent: boolean): TcpSocket {
    const socket = new TcpSocket(host);
    socket.link = link;
    socket.transparent = transparent;
    socket.setRemote(remote);
    socket.localAddress = host.localAddress;
    socket.localPort = localPort;
    socket.phase = 'open';
    host.attach(link, socket);
    return socket;
  }

  // ---------------------------------------------------------------- net.Socket surface

  /** `connect(port[, host][, listener])` or `connect({ port, host, localPort, timeout }[, listener])`. */
  connect(port: number, host?: string, listener?: () => void): this;
  connect(port: number, listener?: () => void): this;
  connect(options: TcpConnectOptions, listener?: () => void): this;
  connect(target: number | TcpConnectOptions, hostOrListener?: string | (() => void), maybeListener?: () => void): this {
    const options: TcpConnectOptions =
      typeof target === 'number' ? { port: target, ...(typeof hostOrListener === 'string' ? { host: hostOrListener } : {}) } : target;
    const listener = typeof hostOrListener === 'function' ? hostOrListener : maybeListener;
    if (listener !== undefined) this.once('connect', listener);
    if (this.phase !== 'idle') {
      this.failLater(new DriverStateError(`connect: the socket is already ${this.phase}`));
      return this;
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      this.failLater(new RangeError(`connect: port ${String(options.port)} is not 1–65535`));
      return this;
    }
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    this.phase = 'connecting';
    this.connecting = true;
    void this.open(options);
    return this;
  }

  /** Not connected yet (net.Socket#pending). */
  get pending(): boolean {
    return this.phase !== 'open' && this.phase !== 'closing';
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.phase !== 'open' || this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Bytes the module confirmed (`+CIPSEND`), or the transport took in transparent mode. */
  get bytesWritten(): number {
    return this.written;
  }

  /** The link number on the module (undefined before the open and after the close). */
  get linkNumber(): number | undefined {
    return this.link;
  }

  /** The idle timeout set with `setTimeout` (0 = none). */
  get timeout(): number {
    return this.idle.duration;
  }

  address(): { address: string; family: 'IPv4' | 'IPv6'; port: number } | Record<string, never> {
    if (this.localAddress === undefined) return {};
    return { address: this.localAddress, family: isIP(this.localAddress) === 6 ? 'IPv6' : 'IPv4', port: this.localPort ?? 0 };
  }

  /** Emit 'timeout' after `ms` without traffic either way (0 disables), like net.Socket. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idle.set(ms, this, callback);
    return this;
  }

  /** Accepted for compatibility; the module offers no per-socket Nagle switch. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** Accepted for compatibility; keepalive is the module's global `AT+CTCPKA` setting. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** End once queued writes are sent (net.Socket#destroySoon, used by http). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // ---------------------------------------------------------------- opening

  /**
   * Errors of a connect reach 'error' asynchronously, as with net: never before the caller of
   * `connect()` (http's `createConnection`, an agent) has had its I/O turn to attach a listener.
   */
  private failLater(error: Error): void {
    setImmediate(() => this.destroy(error));
  }

  private async open(options: TcpConnectOptions): Promise<void> {
    const modem = this.host.modem;
    const hostname = options.host ?? 'localhost';
    let link: number | undefined;
    let reserved = false;
    let address: string | undefined;
    // One I/O turn first: whatever fails below is reported after the caller attached its listeners.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const unusable = this.host.unusable();
      if (unusable !== undefined) throw unusable;
      const family = isIP(hostname);
      address = family !== 0 ? hostname : await this.host.resolveAddress(hostname);
      if (family === 0) this.emit('lookup', null, address, isIP(address), hostname);
      if (this.destroyed) return;
      const since = this.host.unusable(); // the lookup took time: the network may be gone by now
      if (since !== undefined) throw since;
      this.transparent = this.host.mode === 'transparent';
      // Transparent mode has one connection (link 0): a second connect waits for it, in turn.
      if (this.transparent) await modem.whenLinkFree(0, this.host.transparentWaitMs);
      if (this.destroyed) return;
      const unroutable = this.host.unroutable('tcp', { address, port: options.port });
      if (unroutable !== undefined) throw unroutable;
      link = modem.allocateLink(this.transparent ? 0 : undefined);
      reserved = true;
      this.link = link;
      this.setRemote({ address, port: options.port });
      this.host.attach(link, this);
      await modem.openTcp(link, address, options.port, options.localPort === undefined ? {} : { localPort: options.localPort });
      reserved = false;
      if (this.destroyed) {
        void this.closeInBackground(link);
        return;
      }
      this.localAddress = this.host.localAddress;
      this.localPort = options.localPort;
      this.phase = 'open';
      this.connecting = false;
      for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
      this.idle.touch();
      this.emit('connect');
      this.emit('ready');
      this.pull();
    } catch (error) {
      this.connecting = false;
      if (link !== undefined && reserved) {
        this.host.detach(link, this);
        this.link = undefined;
        if (error instanceof AtTimeoutError) {
          // The module may still open it later: close it rather than leak the slot.
          void modem.closeLink(link).catch(() => {}).finally(() => modem.releaseLink(link as number));
        } else if (modem.linkState(link) !== 'open') {
          modem.releaseLink(link);
        }
      }
      const mapped = connectError(error, address, options.port);
      const failure = toError(mapped);
      for (const waiter of this.openWaiters.splice(0)) waiter.reject(failure);
      this.destroy(failure);
    }
  }

  private setRemote(remote: RemoteAddress): void {
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.remoteFamily = isIP(remote.address) === 6 ? 'IPv6' : 'IPv4';
  }

  private whenOpen(): Promise<void> {
    if (this.phase === 'open') return Promise.resolve();
    if (this.phase !== 'connecting') return Promise.reject(new DriverStateError(`the socket is ${this.phase === 'idle' ? 'not connected' : this.phase}`));
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  // ---------------------------------------------------------------- writable side

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendBytes(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.sendBytes(chunks.length === 1 ? (chunks[0] as { chunk: Buffer }).chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  private sendBytes(data: Buffer, callback: (error?: Error | null) => void): void {
    this.whenOpen()
      .then(() => this.transmit(data))
      .then(
        () => {
          this.written += data.length;
          this.idle.touch();
          callback();
        },
        (error: unknown) => {
          const mapped = linkError(error, 'write', this.remoteAddress, this.remotePort);
          callback(toError(mapped));
        },
      );
  }

  private transmit(data: Buffer): Promise<unknown> {
    const link = this.link;
    const modem = this.host.modem;
    if (link === undefined || modem.linkState(link) !== 'open') {
      return Promise.reject(new LinkClosedError(link ?? -1, 'closed, cannot send'));
    }
    if (!this.transparent) return modem.send(link, data);
    return new Promise<void>((resolve, reject) => modem.writeTransparent(data, (error) => (error ? reject(error) : resolve())));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.phase === 'idle') {
      callback();
      return;
    }
    this.whenOpen()
      .then(() => this.closeLink())
      .then(
        () => callback(),
        (error: unknown) => callback(toError(error)),
      );
  }

  /** The host's close: AT+CIPCLOSE (skipped if the link is already gone), then the readable side ends. */
  private async closeLink(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    this.phase = 'closing';
    const modem = this.host.modem;
    if (modem.linkState(link) === 'open') await modem.closeLink(link);
    // Buffer mode: what the module still holds for the link stays readable after its close (spec §3.3).
    if (this.host.mode === 'buffer') await this.drainAll(link);
    this.host.detach(link, this);
    modem.releaseLink(link);
    this.link = undefined;
    this.phase = 'closed';
    this.endReadable();
  }

  private async drainAll(link: number): Promise<void> {
    for (;;) {
      const { bytes, rest } = await this.host.modem.read(link, MAX_READ);
      if (bytes.length > 0) this.deliver(bytes);
      if (bytes.length === 0 || rest === 0) return;
    }
  }

  // ---------------------------------------------------------------- readable side

  override _read(): void {
    this.readWanted = true;
    this.pull();
  }

  linkData(bytes: Buffer): void {
    if (bytes.length > 0 && !this.readableDone) this.deliver(bytes);
  }

  linkReadable(): void {
    this.reader.notice();
    this.pull();
  }

  linkClosed(): void {
    this.remoteEnded = true;
    if (this.host.mode === 'buffer') {
      // Whatever was buffered before the close is still readable: one last look.
      this.reader.notice();
      this.pull();
    } else {
      this.endReadable();
    }
  }

  linkFailed(error: Error): void {
    const mapped = linkError(error, 'read', this.remoteAddress, this.remotePort);
    this.destroy(mapped instanceof Error ? mapped : error);
  }

  private deliver(bytes: Buffer): void {
    this.bytesRead += bytes.length;
    this.idle.touch();
    this.readWanted = this.push(bytes);
  }

  private endReadable(): void {
    if (this.readableDone) return;
    this.readableDone = true;
    this.push(null);
    // Nothing left unread: let 'end' (and so 'close') happen even if nobody reads this side.
    if (this.readableLength === 0) this.read(0);
  }

  /** Buffer mode: read from the module while it has data and the readable side wants it. */
  private pull(): void {
    if (this.host.mode !== 'buffer' || this.reader.busy || this.phase !== 'open' || this.link === undefined) return;
    if (!this.reader.holdsData || !this.readWanted) {
      if (this.remoteEnded && !this.reader.holdsData) this.endReadable();
      return;
    }
    this.reader.pull(this.link);
  }

  // ---------------------------------------------------------------- teardown

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.idle.stop();
    const prior = this.phase;
    this.phase = 'closed';
    this.connecting = false;
    const failure = error ?? new DriverStateError('the socket was destroyed');
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(failure);
    const link = this.link;
    // While connecting, `open()` cleans up once the module answered; while closing, `closeLink()` does.
    if (link !== undefined && prior !== 'connecting' && prior !== 'closing') {
      this.link = undefined;
      this.host.detach(link, this);
      const why = error instanceof SocketError ? error.cause : error;
      const linkIsGone = why instanceof NetworkLostError || why instanceof ModuleResetError || why instanceof ChannelClosedError;
      if (!linkIsGone && this.host.modem.linkState(link) === 'open') void this.closeInBackground(link);
      else this.host.modem.releaseLink(link);
    }
    callback(error);
    // After the 'error' the callback schedules (same tick order), as net.Socket: 'close'(hadError).
    process.nextTick(() => this.emit('close', error !== null));
  }

  private async closeInBackground(link: number): Promise<void> {
    const modem = this.host.modem;
    try {
      await modem.closeLink(link);
    } catch {
      // Best effort: the channel may be gone; the slot is given back either way.
    }
    this.host.detach(link, this);
    modem.releaseLink(link);
  }
}
