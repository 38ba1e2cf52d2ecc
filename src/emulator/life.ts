import { setMaxListeners } from 'node:events';
import type { Clock, Timer } from './clock.js';

/**
 * One life of the module: from a power-on (boot, reboot) to the next reboot or power-off. The
 * module keeps one `AbortController` per life; everything scheduled in a life (timers, opens,
 * DNS answers, handshakes) checks or listens to its signal, so a reboot stops them all at once.
 */

/** Why a life ended (the signal's `reason`). */
export type LifeEnd = 'reboot' | 'power-off';

/** A new life's controller. Any number of timers may listen to it: no listener-count warning. */
export function newLife(): AbortController {
  const life = new AbortController();
  setMaxListeners(0, life.signal);
  return life;
}

const DEAD: Timer = { cancel: () => {} };

/** Run `fn` after `ms` on `clock`, unless `life` ends first (the timer is then cancelled). */
export function lifeTimeout(clock: Clock, life: AbortSignal, ms: number, fn: () => void): Timer {
  if (life.aborted) return DEAD;
  const onEnd = (): void => timer.cancel();
  const timer = clock.setTimeout(() => {
    life.removeEventListener('abort', onEnd);
    fn();
  }, ms);
  life.addEventListener('abort', onEnd, { once: true });
  return {
    cancel: () => {
      timer.cancel();
      life.removeEventListener('abort', onEnd);
    },
  };
}

/** A promise that rejects with `error()` once `signal` aborts (for racing an awaited step); never unhandled. */
export function rejectOnAbort(signal: AbortSignal, error: () => Error): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(error());
    else signal.addEventListener('abort', () => reject(error()), { once: true });
  });
  aborted.catch(() => {});
  return aborted;
}
