/**
 * `SslSocket`: a TLS session carried by the module's SSL service (AT+CCH*), as a `stream.Duplex`
 * shaped like `tls.TLSSocket` where callers look (`connect`/`secureConnect` events, `encrypted`,
 * `authorized`, `remoteAddress`, `setTimeout`…). The host sees clear bytes; the module does the
 * handshake, the encryption and the certificate checks (see `ModuleTlsOptions`).
 *
 * Writes become AT+CCHSEND chunks of at most 2048 bytes; the write callback runs once the module
 * took the bytes (`+CCHSEND: <sid>,0`), so the writable side's back-pressure is the module's.
 * Writes before the session is up wait for it.
 *
 * Receiving, by the client's receive mode:
 * - push (AT+CCHSET=…,0): the service pushes `+CCHRECV: DATA,<sid>,<len>` frames; the bytes go
 *   into the readable side, which buffers past its high-water mark when nobody reads (the module
 *   cannot be stopped);
 * - manual (…,1): `+CCHEVENT: <sid>,RECV EVENT` says data waits; the socket reads it (AT+CCHRECV,
 *   2048 at a time) only while its readable side wants more, so a slow reader fills the module's
 *   cache and the module stops reading from the server (back-pressure). After the server's close
 *   what the module still holds is read out before the readable side ends.
 *
 * Ending: `end()` sends what is queued, then AT+CCHCLOSE (TLS close_notify and FIN from the
 * module); the readable side ends then too. The server's close (`+CCH_PEER_CLOSED`) ends the
 * readable side; with `allowHalfOpen` false (the default) the writable side ends with it.
 * Network loss, a module reset or the transport's end destroy the socket with that error.
 */
import { IdleTimeout } from './idle-timeout.js';
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { AtTimeoutError, DriverStateError } from './errors.js';
import type { ModuleTlsOptions, SslClient, SslSessionUser } from './ssl-client.js';
import { toError } from '../common/errors.js';

export interface SslConnectOptions extends ModuleTlsOptions {
  readonly port: number;
  /** Name (resolved by the module) or address. */
  readonly host: string;
  /** false: a plain TCP session of the SSL service (client type 1), no TLS. */
  readonly tls?: boolean;
  /** Idle timeout, as `setTimeout(ms)`. */
  readonly timeout?: number;
  readonly highWaterMark?: number;
  readonly allowHalfOpen?: boolean;
}

type Phase = 'connecting' | 'open' | 'closing' | 'closed';

export class SslSocket extends Duplex implements SslSessionUser {
  readonly remotePort: number;
  /** The host as given (the module resolves names and does not say to what). */
  readonly remoteHost: string;
  /** The address, when the host was given as one. */
  readonly remoteAddress: string | undefined;
  readonly remoteFamily: 'IPv4' | 'IPv6' | undefined;
  /** True: bytes are encrypted on the way (by the module) unless `tls: false`. */
  readonly encrypted: boolean;
  /** The module verified the server against `ca` (authmode 1/2); false when nothing was verified. */
  readonly authorized: boolean;
  /** True from construction until the session is open (or the attempt failed). */
  connecting = true;
  bytesRead = 0;
  private written = 0;
  private phase: Phase = 'connecting';
  private session: number | undefined;
  private readonly openWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly idle = new IdleTimeout(() => this.client.modem.channel.clock, () => this.emit('timeout'), () => this.destroyed);
  // Manual receive.
  private moduleHasData = false;
  private readWanted = false;
  private pulling = false;
  private remoteEnded = false;

  constructor(
    private readonly client: SslClient,
    options: SslConnectOptions,
    listener?: () => void,
  ) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    });
    this.remotePort = options.port;
    this.remoteHost = options.host;
    const family = isIP(options.host);
    this.remoteAddress = family === 0 ? undefined : options.host;
    this.remoteFamily = family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : undefined;
    this.encrypted = options.tls !== false;
    this.authorized = this.encrypted && options.ca !== undefined;
    if (listener !== undefined) this.once('secureConnect', listener);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      queueMicrotask(() => this.destroy(new RangeError(`connect: port ${String(options.port)} is not 1–65535`)));
      return;
    }
    void this.open(options);
  }

  /** The session number on the module (undefined before the open and after the close). */
  get sessionNumber(): number | undefined {
    return this.session;
  }

  get bytesWritten(): number {
    return this.written;
  }

  get pending(): boolean {
    return this.phase === 'connecting';
  }

  get timeout(): number {
    return this.idle.duration;
  }

  /** Emit 'timeout' after `ms` without traffic either way (0 disables), like net.Socket. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idle.set(ms, this, callback);
    return this;
  }

  /** Accepted for compatibility; the module has no per-session switch. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---------------------------------------------------------------- opening

  private async open(options: SslConnectOptions): Promise<void> {
    try {
      const session = this.client.reserve(this);
      this.session = session;
      await this.client.open(session, options.host, options.port, options.tls === false ? false : options);
      if (this.destroyed) {
        void this.client.close(session).catch(() => {}).finally(() => this.client.release(session, this));
        return;
      }
      this.phase = 'open';
      this.connecting = false;
      for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
      this.idle.touch();
      this.emit('connect');
      if (this.encrypted) this.emit('secureConnect');
      this.emit('ready');
    } catch (error) {
      this.connecting = false;
      const session = this.session;
      this.session = undefined;
      if (session !== undefined && error instanceof AtTimeoutError) {
        // A session that timed out may still open later: close it before the slot is reused.
        void this.client.close(session).catch(() => {}).finally(() => this.client.release(session, this));
      } else if (session !== undefined) {
        this.client.release(session, this);
      }
      const failure = toError(error);
      for (const waiter of this.openWaiters.splice(0)) waiter.reject(failure);
      this.destroy(failure);
    }
  }

  private whenOpen(): Promise<void> {
    if (this.phase === 'open' || this.phase === 'closing') return Promise.resolve();
    if (this.phase !== 'connecting') return Promise.reject(new DriverStateError(`the SSL socket is ${this.phase}`));
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  // ---------------------------------------------------------------- the service's side (SslSessionUser)

  data(bytes: Buffer): void {
    if (this.phase === 'closed' || this.readableEnded) return;
    this.bytesRead += bytes.length;
    this.idle.touch();
    if (!this.push(bytes)) this.readWanted = false;
  }

  dataWaiting(): void {
    this.moduleHasData = true;
    this.pull();
  }

  peerClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closing';
    this.remoteEnded = true;
    // Manual receive: the module may still hold data; it is read out first.
    if (this.client.receive === 'manual') {
      this.moduleHasData = true;
      this.pull();
    } else {
      this.push(null);
    }
  }

  /** Manual receive: read from the module while it has data and the readable side wants more. */
  private pull(): void {
    if (this.pulling || this.client.receive !== 'manual') return;
    const session = this.session;
    if (session === undefined || this.destroyed) return;
    if (!this.moduleHasData || !this.readWanted) return;
    this.pulling = true;
    void (async () => {
      try {
        while (this.moduleHasData && this.readWanted && !this.destroyed && this.session === session) {
          const got = await this.client.read(session);
          if (got === 0) this.moduleHasData = false;
        }
      } catch (error) {
        this.destroy(toError(error));
        return;
      } finally {
        this.pulling = false;
      }
      if (this.remoteEnded && !this.moduleHasData && !this.readableEnded) this.push(null);
      else this.pull(); // a notice may have come while the last read was under way
    })();
  }

  failed(error: Error): void {
    if (this.phase === 'closed') return;
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) this.client.release(session, this);
    this.destroy(error);
  }

  // ---------------------------------------------------------------- streams

  override _read(): void {
    // Push mode: the module sends when it has data, nothing to ask for. Manual: ask now.
    this.readWanted = true;
    this.pull();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.whenOpen()
      .then(() => {
        const session = this.session;
        if (session === undefined || this.phase !== 'open') throw new DriverStateError('the SSL session is closed');
        return this.client.send(session, chunk);
      })
      .then(
        () => {
          this.written += chunk.length;
          this.idle.touch();
          callback();
        },
        (error: unknown) => callback(toError(error)),
      );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.whenOpen()
      .then(async () => {
        const session = this.session;
        this.phase = 'closing';
        if (session !== undefined) {
          await this.client.close(session);
          this.session = undefined;
          this.client.release(session, this);
        }
        if (!this.readableEnded) this.push(null);
      })
      .then(
        () => callback(),
        (error: unknown) => callback(toError(error)),
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.phase = 'closed';
    this.connecting = false;
    this.idle.stop();
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) {
      void this.client.close(session).catch(() => {}).finally(() => this.client.release(session, this));
    }
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(error ?? new DriverStateError('the SSL socket was destroyed'));
    callback(error);
  }
}
