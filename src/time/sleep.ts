import { realClock, type Clock } from './clock.js';

/**
 * Resolve after `ms` on `clock` (real time by default; a FakeClock resolves it when advanced).
 * For pauses a protocol asks for — a guard time, a retry's back-off — never for waiting on an
 * answer: what is awaited is awaited by its own event.
 */
export function sleep(ms: number, clock: Clock = realClock): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Resolve when `start`'s `done` is called or after `ms` on `clock`, whichever comes first: for a
 * wait on something that may never answer (a port's drain, a write's callback) that must not hang.
 */
export function doneOrAfter(start: (done: () => void) => void, ms: number, clock: Clock = realClock): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    start(() => {
      timer.cancel();
      resolve();
    });
  });
}
