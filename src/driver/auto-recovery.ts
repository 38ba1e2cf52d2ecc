/**
 * Automatic recovery after a network loss or a module restart: `recover()` is retried with
 * exponential backoff on the injected clock until it succeeds or the owner stops it, so a client
 * that reconnects by itself (MQTT.js, a reconnecting WebSocket) works without user code.
 *
 * Policy (A76xx's `recovery` option): first attempt `firstDelayMs` after the loss (default 500 ms,
 * time for the module to print what else it has to say), then ×2 up to `maxDelayMs` (default
 * 30 s); `maxAttempts` (default unlimited) gives up with a 'recovery-failed' whose `next` is
 * undefined. Sockets asked for meanwhile fail at once with ENETDOWN (as net does with no route);
 * the owner's reconnect logic tries again later.
 */
import type { Clock, Timer } from '../time/clock.js';

export interface RecoveryPolicy {
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts per loss before giving up (default unlimited). */
  readonly maxAttempts?: number;
}

export interface RecoveryListener {
  /** An attempt starts (1, 2, …). */
  attempt(attempt: number): void;
  recovered(attempt: number): void;
  /** An attempt failed; `nextDelayMs` undefined when no other attempt follows. */
  failed(error: unknown, attempt: number, nextDelayMs: number | undefined): void;
}

export class AutoRecovery {
  private readonly clock: Clock;
  private readonly run: () => Promise<void>;
  private readonly listener: RecoveryListener;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;
  private timer: Timer | undefined;
  private active = false;
  private running = false;
  private stopped = false;

  constructor(clock: Clock, run: () => Promise<void>, listener: RecoveryListener, policy: RecoveryPolicy = {}) {
    this.clock = clock;
    this.run = run;
    this.listener = listener;
    this.firstDelayMs = policy.firstDelayMs ?? 500;
    this.maxDelayMs = policy.maxDelayMs ?? 30_000;
    this.maxAttempts = policy.maxAttempts ?? Number.POSITIVE_INFINITY;
  }

  /** Something was lost: start (unless a recovery is under way already). */
  trigger(): void {
    if (this.stopped || this.active) return;
    this.active = true;
    this.schedule(1, this.firstDelayMs);
  }

  /** Recovery happened by other means (`recover()` called by the user): stop retrying. */
  settled(): void {
    if (this.running) return; // our own attempt: it reports itself
    this.timer?.cancel();
    this.timer = undefined;
    this.active = false;
  }

  /** The owner is closing: no more attempts. */
  stop(): void {
    this.stopped = true;
    this.settled();
  }

  get recovering(): boolean {
    return this.active;
  }

  private schedule(attempt: number, delayMs: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.attempt(attempt, delayMs);
    }, delayMs);
  }

  private async attempt(attempt: number, delayMs: number): Promise<void> {
    if (this.stopped || !this.active) return;
    this.listener.attempt(attempt);
    this.running = true;
    try {
      await this.run();
    } catch (error) {
      this.running = false;
      if (this.stopped || !this.active) return;
      const next = attempt < this.maxAttempts ? Math.min(this.maxDelayMs, delayMs * 2) : undefined;
      this.listener.failed(error, attempt, next);
      if (next === undefined) this.active = false;
      else this.schedule(attempt + 1, next);
      return;
    }
    this.running = false;
    if (this.stopped || !this.active) return;
    this.active = false;
    this.listener.recovered(attempt);
  }
}
