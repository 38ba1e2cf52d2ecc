import type { Clock, Timer } from './clock.js';

export interface EscapeTiming {
  /** Silence required before the first `+` and after the third (spec §2.1.19: 1000 ms). */
  readonly guardMs: number;
  /** Longest pause between two `+` of the escape (900 ms). */
  readonly maxGapMs: number;
}

export const DEFAULT_ESCAPE_TIMING: EscapeTiming = { guardMs: 1000, maxGapMs: 900 };

export interface EscapeSink {
  /** Bytes that are data after all, in order. */
  data(bytes: Buffer): void;
  /** A guarded `+++` was seen: leave data mode. */
  escape(): void;
}

const PLUS = 0x2b;

/**
 * Finds the `+++` escape in a data-mode byte stream (spec §3.4, V.25ter): silence of `guardMs`,
 * three `+` at most `maxGapMs` apart, silence of `guardMs`. Anything else inside those windows
 * makes the `+` characters ordinary data, passed on in order. Candidate `+` are held back until
 * decided, so a peer never sees an escape that was taken.
 */
export class EscapeDetector {
  private lastInput: number;
  private pluses = 0;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EscapeSink,
    private readonly timing: EscapeTiming = DEFAULT_ESCAPE_TIMING,
  ) {
    this.lastInput = clock.now();
  }

  /** Start over, as on entering data mode: the line counts as silent from now. */
  restart(): void {
    this.cancelTimer();
    this.pluses = 0;
    this.lastInput = this.clock.now();
  }

  /** Stop: forget held `+` without delivering them (the connection is going away). */
  dispose(): void {
    this.cancelTimer();
    this.pluses = 0;
  }

  input(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const now = this.clock.now();
    const silentBefore = now - this.lastInput >= this.timing.guardMs;
    this.lastInput = now;
    // A chunk can go on with the escape only when `+` are pending and fewer than three,
    // or start one after a guard of silence.
    const candidate = this.pluses > 0 ? this.pluses < 3 : silentBefore;
    let i = 0;
    if (candidate) {
      while (i < bytes.length && bytes[i] === PLUS && this.pluses < 3) {
        this.pluses++;
        i++;
      }
      if (i === bytes.length) {
        this.arm();
        return;
      }
    }
    if (this.pluses > 0) this.releasePluses();
    this.sink.data(bytes.subarray(i));
  }

  private arm(): void {
    this.cancelTimer();
    if (this.pluses < 3) {
      // "At most" maxGapMs apart: a + exactly maxGapMs later still counts.
      this.timer = this.clock.setTimeout(() => this.gapExpired(), this.timing.maxGapMs + 1);
    } else {
      this.timer = this.clock.setTimeout(() => this.guardElapsed(), this.timing.guardMs);
    }
  }

  private gapExpired(): void {
    this.timer = undefined;
    this.releasePluses();
  }

  private guardElapsed(): void {
    this.timer = undefined;
    this.pluses = 0;
    this.sink.escape();
  }

  private releasePluses(): void {
    this.cancelTimer();
    const held = Buffer.alloc(this.pluses, PLUS);
    this.pluses = 0;
    this.sink.data(held);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
