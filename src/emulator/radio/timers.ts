import type { Clock, Timer } from '../clock.js';
import { lifeTimeout } from '../life.js';

/**
 * The radio's pending timers of one modem (boot steps, AUTOCSQ reports, pings, NTP, a scheduled
 * reboot): each is scheduled in the module's current life and dies with it, so a reboot cancels
 * them all at once. The module owns one (`EmulatedModem.radioTimers`).
 */
export class RadioTimers {
  /** Made on the first named timer (most modems of a fleet never have one). */
  private named: Map<string, Timer> | undefined;

  constructor(
    private readonly clock: Clock,
    /** The current life's signal. */
    private readonly life: () => AbortSignal,
  ) {}

  /** Run `fn` after `ms` on the modem's clock, unless the module resets first. */
  after(ms: number, fn: () => void): void {
    lifeTimeout(this.clock, this.life(), ms, fn);
  }

  /** Like `after`, replacing the timer of the same name still pending. */
  replace(name: string, ms: number, fn: () => void): void {
    this.cancel(name);
    const timer = lifeTimeout(this.clock, this.life(), ms, () => {
      this.named?.delete(name);
      fn();
    });
    (this.named ??= new Map()).set(name, timer);
  }

  cancel(name: string): void {
    this.named?.get(name)?.cancel();
    this.named?.delete(name);
  }
}
