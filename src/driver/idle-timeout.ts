/**
 * net.Socket's idle timeout, shared by the modem's stream sockets (TcpSocket, SslSocket): after
 * `ms` without traffic either way `onIdle` runs (the socket emits 'timeout'); 0 disables it. On
 * the modem's injected clock, so it is tested on a fake one.
 */
import type { Clock, Timer } from '../time/clock.js';

/** The part of a socket `set` attaches the callback of `setTimeout(ms, callback)` to. */
export interface TimeoutListeners {
  once(event: 'timeout', listener: () => void): unknown;
  off(event: 'timeout', listener: () => void): unknown;
}

export class IdleTimeout {
  private ms = 0;
  private timer: Timer | undefined;

  constructor(
    /** The clock (read when a wait starts: the socket's modem may be known only later). */
    private readonly clock: () => Clock,
    private readonly onIdle: () => void,
    /** A destroyed socket arms no timer. */
    private readonly isDestroyed: () => boolean,
  ) {}

  get duration(): number {
    return this.ms;
  }

  /**
   * `socket.setTimeout(ms, callback)` as net does it: `ms` checked as net checks it, the wait
   * starts over, and `callback` becomes a one-time 'timeout' listener (removed again by 0).
   */
  set(ms: number, socket?: TimeoutListeners, callback?: () => void): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`setTimeout: ${ms} is not a duration`);
    this.ms = Math.floor(ms);
    this.touch();
    if (socket === undefined || callback === undefined) return;
    if (ms === 0) socket.off('timeout', callback);
    else socket.once('timeout', callback);
  }

  /** Traffic: the wait starts over. */
  touch(): void {
    this.stop();
    if (this.ms <= 0 || this.isDestroyed()) return;
    this.timer = this.clock().setTimeout(() => {
      this.timer = undefined;
      this.onIdle();
    }, this.ms);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
