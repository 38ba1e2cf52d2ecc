/**
 * net.Socket's idle timeout, shared by the modem's stream sockets (TcpSocket, SslSocket): after
 * `ms` without traffic either way `onIdle` runs (the socket emits 'timeout'); 0 disables it.
 */
export class IdleTimeout {
  private ms = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onIdle: () => void,
    /** A destroyed socket arms no timer. */
    private readonly isDestroyed: () => boolean,
  ) {}

  get duration(): number {
    return this.ms;
  }

  /** The `ms` of `socket.setTimeout(ms)`: checked as net checks it, then the wait starts over. */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`setTimeout: ${ms} is not a duration`);
    this.ms = Math.floor(ms);
    this.touch();
  }

  /** Traffic: the wait starts over. */
  touch(): void {
    this.stop();
    if (this.ms <= 0 || this.isDestroyed()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onIdle();
    }, this.ms);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
