/**
 * Waiters ("waitresses", zigbee-herdsman style): promises for an unsolicited line that matches a
 * predicate, each bounded by a timeout on the injected clock. A timeout error carries the stack of
 * the code that started the wait (not of the timer that fired), so a stuck `await` points at its
 * caller.
 */
import type { Clock, Timer } from '../time/clock.js';
import type { WaitOptions } from './at-types.js';
import { AtTimeoutError } from './errors.js';

export interface Waiter {
  readonly match: (line: string) => boolean;
  readonly command: string | undefined;
  /** Awaits a command's async completion: a module reset means it will never come. */
  readonly completion: boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
  timer: Timer | undefined;
}

export interface WaitSpec {
  readonly match: (line: string) => boolean;
  readonly command: string | undefined;
  readonly completion: boolean;
  readonly timeoutMs: number;
  /** The error a timeout rejects with (built when it fires). */
  readonly onTimeout: () => Error;
  /** Where the wait began, for the timeout's stack (see `callerStack`). */
  readonly origin?: CallerStack;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
}

export class Waiters {
  private readonly clock: Clock;
  private readonly list: Waiter[] = [];

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get size(): number {
    return this.list.length;
  }

  add(spec: WaitSpec): Waiter {
    const waiter: Waiter = { match: spec.match, command: spec.command, completion: spec.completion, resolve: spec.resolve, reject: spec.reject, timer: undefined };
    this.list.push(waiter);
    waiter.timer = this.clock.setTimeout(() => {
      if (!this.remove(waiter)) return;
      waiter.reject(withCallerStack(spec.onTimeout(), spec.origin));
    }, spec.timeoutMs);
    return waiter;
  }

  /**
   * A promise for the next line `match` takes, armed now; `AtTimeoutError` (with the stack of
   * `origin`) after `options.timeoutMs`, the signal's reason when it aborts.
   */
  wait(match: (line: string) => boolean, options: WaitOptions, origin: CallerStack): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const waiter = this.add({
        match,
        command: options.command,
        completion: false,
        timeoutMs: options.timeoutMs,
        onTimeout: () => new AtTimeoutError(options.command ?? '', options.what, options.timeoutMs),
        origin,
        resolve,
        reject,
      });
      const signal = options.signal;
      if (signal !== undefined) {
        const abort = (): void => {
          if (!this.remove(waiter)) return;
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  /** Take `waiter` out (its timer stopped); false when it had settled already. */
  remove(waiter: Waiter): boolean {
    const i = this.list.indexOf(waiter);
    if (i < 0) return false;
    this.list.splice(i, 1);
    waiter.timer?.cancel();
    return true;
  }

  /** The first waiter whose predicate takes `line` gets it (and nobody else). */
  offer(line: string): boolean {
    for (const waiter of this.list) {
      let matched = false;
      try {
        matched = waiter.match(line);
      } catch {
        matched = false;
      }
      if (!matched) continue;
      this.remove(waiter);
      waiter.resolve(line);
      return true;
    }
    return false;
  }

  /** Reject every waiter `select` picks with `errorFor(waiter)`; how many. */
  fail(select: (waiter: Waiter) => boolean, errorFor: (waiter: Waiter) => Error): number {
    let count = 0;
    for (const waiter of [...this.list]) {
      if (!select(waiter)) continue;
      this.remove(waiter);
      waiter.reject(errorFor(waiter));
      count++;
    }
    return count;
  }
}

/** The stack of whoever started an operation, captured cheaply (no Error built until needed). */
export interface CallerStack {
  stack?: string;
}

export function callerStack(below?: (...args: never[]) => unknown): CallerStack {
  const holder: CallerStack = {};
  Error.captureStackTrace(holder, below);
  return holder;
}

/** `error` with the frames of `origin` in place of its own (message kept). */
export function withCallerStack<E extends Error>(error: E, origin: CallerStack | undefined): E {
  const frames = origin?.stack;
  if (frames === undefined) return error;
  const at = frames.indexOf('\n');
  error.stack = `${error.name}: ${error.message}${at < 0 ? '' : frames.slice(at)}`;
  return error;
}
