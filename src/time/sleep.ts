import { realClock, type Clock } from './clock.js';

/**
 * Resolve after `ms` on `clock` (real time by default; a FakeClock resolves it when advanced).
 * For pauses a protocol asks for — a guard time, a retry's back-off — never for waiting on an
 * answer: what is awaited is awaited by its own event.
 */
export function sleep(ms: number, clock: Clock = realClock): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
