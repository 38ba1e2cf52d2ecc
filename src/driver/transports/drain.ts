/**
 * "Has what I wrote left for the wire?", asked of any transport. A SerialPort can tell: its
 * `drain(callback)` waits for the OS to send the bytes (tcdrain). Sockets and in-memory pipes
 * cannot; their write callback is as far as anyone knows, so for them this resolves at once.
 * Used by the guard before `+++` (data-mode.ts), where bytes still in a kernel buffer would land
 * inside the module's guard time.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../time/clock.js';
import { doneOrAfter } from '../../time/sleep.js';

/** How long to wait for a port's drain before going on anyway (a stuck port must not hang an escape). */
export const DRAIN_BOUND_MS = 2_000;

export function drained(transport: Duplex, clock: Clock, boundMs = DRAIN_BOUND_MS): Promise<void> {
  const drain = (transport as Duplex & { drain?: unknown }).drain;
  if (typeof drain !== 'function' || transport.destroyed) return Promise.resolve();
  return doneOrAfter((done) => (drain as (callback: () => void) => void).call(transport, done), boundMs, clock);
}
