import type { Timer } from '../clock.js';
import type { EmulatedModem } from '../modem.js';

/**
 * The radio's pending timers of one modem (boot steps, AUTOCSQ reports, pings, NTP): each dies
 * with the module's life, so a reboot cancels them all at once.
 */
export class RadioTimers {
  private readonly pending = new Set<Timer>();
  private readonly named = new Map<string, Timer>();

  constructor(private readonly modem: EmulatedModem) {
    modem.on('reset', () => this.cancelAll());
  }

  /** Run `fn` after `ms` on the modem's clock, unless the module resets first. */
  after(ms: number, fn: () => void): void {
    const timer = this.modem.clock.setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  /** Like `after`, replacing the timer of the same name still pending. */
  replace(name: string, ms: number, fn: () => void): void {
    this.cancel(name);
    const timer = this.modem.clock.setTimeout(() => {
      this.named.delete(name);
      fn();
    }, ms);
    this.named.set(name, timer);
  }

  cancel(name: string): void {
    this.named.get(name)?.cancel();
    this.named.delete(name);
  }

  private cancelAll(): void {
    for (const timer of this.pending) timer.cancel();
    for (const timer of this.named.values()) timer.cancel();
    this.pending.clear();
    this.named.clear();
  }
}

const timers = new WeakMap<EmulatedModem, RadioTimers>();

/** The radio timers of a modem (made on first use; they follow its reboots). */
export function radioTimers(modem: EmulatedModem): RadioTimers {
  let t = timers.get(modem);
  if (t === undefined) {
    t = new RadioTimers(modem);
    timers.set(modem, t);
  }
  return t;
}
