import type { Duplex } from 'node:stream';
import type { TcpConnection } from '../network/types.js';

/**
 * One CCH session (0–1) once its connection is up: the byte stream it carries (the TLS socket
 * for client type 2, the plain connection for type 1), and what it received and the host has not
 * read yet (manual receive mode, AT+CCHSET=…,1).
 *
 * The cache holds at most RECV_CACHE_LIMIT bytes [INF: the module's size is not documented]:
 * past it the session stops reading, so the server feels TCP back-pressure, and reading resumes
 * once the host has read it below the limit. A peer close keeps the cache readable.
 */
export const RECV_CACHE_LIMIT = 64 * 1024;
/**
 * Bytes a session may hold unsent: AT+CCHSEND answers ERROR (no prompt) while this much waits
 * [INF: the module's buffer size is not documented].
 */
export const SEND_BUFFER_LIMIT = 64 * 1024;

export type ClientType = 1 | 2;

export interface SessionEvents {
  data(chunk: Buffer): void;
  /** The server closed (FIN, close_notify) or the connection failed. Called at most once. */
  closed(): void;
}

export class SslSession {
  state: 'open' | 'closed' = 'open';
  private readonly chunks: Buffer[] = [];
  private cachedBytes = 0;
  private paused = false;
  private ended = false;

  constructor(
    readonly index: number,
    readonly host: string,
    readonly port: number,
    readonly clientType: ClientType,
    readonly localPort: number,
    private readonly stream: Duplex,
    private readonly connection: TcpConnection,
  ) {}

  /** Start delivering; call once the session is in its slot. */
  attach(events: SessionEvents): void {
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.state = 'closed';
      events.closed();
    };
    this.stream.on('data', (chunk: Buffer) => events.data(chunk));
    this.stream.on('end', end);
    this.stream.on('close', end);
    this.stream.on('error', end);
  }

  /** Bytes not yet handed to the network. */
  get unsent(): number {
    return this.state === 'open' ? this.stream.writableLength + this.connection.pendingWriteBytes : 0;
  }

  /** Write; `done(ok)` once the bytes left (or could not). */
  write(data: Buffer, done: (ok: boolean) => void): void {
    if (this.state !== 'open' || this.stream.destroyed) {
      done(false);
      return;
    }
    this.stream.write(data, (err) => done(err == null));
  }

  // ---------------------------------------------------------------- the cache (manual receive)

  get cached(): number {
    return this.cachedBytes;
  }

  cache(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.cachedBytes += chunk.length;
    if (this.cachedBytes >= RECV_CACHE_LIMIT && !this.paused && this.state === 'open') {
      this.paused = true;
      this.stream.pause();
    }
  }

  /** Up to `max` cached bytes (all with `max` undefined). */
  take(max: number | undefined): Buffer {
    const want = Math.min(max ?? this.cachedBytes, this.cachedBytes);
    const parts: Buffer[] = [];
    let left = want;
    while (left > 0) {
      const head = this.chunks[0] as Buffer;
      if (head.length <= left) {
        parts.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        parts.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.cachedBytes -= want;
    if (this.paused && this.cachedBytes < RECV_CACHE_LIMIT) {
      this.paused = false;
      if (this.state === 'open') this.stream.resume();
    }
    return Buffer.concat(parts);
  }

  /** Everything cached, as it arrived (switching the session back to pushing). */
  drain(): Buffer[] {
    const all = this.chunks.splice(0);
    this.cachedBytes = 0;
    return all;
  }

  // ---------------------------------------------------------------- closing

  /** The host closes: TLS close_notify and FIN after what is queued. Prints nothing. */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.ended = true;
    const stream = this.stream;
    stream.removeAllListeners('data');
    stream.on('error', () => {});
    stream.end();
    // The FIN went with `end`; nothing more is wanted from the server.
    stream.once('finish', () => stream.destroy());
  }

  /** Reboot, network loss: everything goes at once (RST). */
  abort(): void {
    this.state = 'closed';
    this.ended = true;
    this.stream.removeAllListeners('data');
    this.stream.on('error', () => {});
    this.stream.destroy();
    this.connection.abort();
  }
}
