import { EventEmitter } from 'node:events';
import { realClock, type Clock, type Timer } from '../../time/clock.js';
import type { ModuleSide } from './endpoint.js';

/**
 * Baud pacing of what the module prints: bytes leave at the serial line's rate, as from a UART,
 * instead of as fast as the transport can carry them. A byte is 10 bits on the wire (start bit,
 * 8 data bits, stop bit: 8N1), so at 115200 bit/s a byte takes 86.8 µs and 1 KiB about 89 ms.
 *
 * Each byte is handed on once its last bit would have left. Bytes go out in batches on ticks of
 * the injected clock (at least `MIN_TICK_MS` apart), but the schedule is kept per byte, so a late
 * tick sends more and the rate holds however coarse the timer is. Each chunk keeps the rate that
 * was in force when the module wrote it: a `OK` to `AT+IPR=9600` still leaves at the old rate.
 *
 * A request/answer exchange (a prompt, a 1500-byte read) notices every tick, not just the rate:
 * so a batch never leaves a tail shorter than half a batch behind it (that tail would cost a
 * whole timer turn for a few bytes), and on the real clock a wait shorter than a timer's 1 ms
 * resolution is made of `setImmediate` turns.
 */
export const BITS_PER_BYTE = 10;

/** Shortest gap between two batches. */
export const MIN_TICK_MS = 4;

export interface LinePacerOptions {
  readonly clock?: Clock;
  /** The line rate in bit/s, read when bytes are written. */
  readonly rate: () => number;
  /** Pace from the start (default: pass bytes through until `enabled` is set). */
  readonly enabled?: boolean;
  /**
   * Told `true` when more than `highWaterBytes` wait, `false` once less than half of that does:
   * where the bytes come from should stop (a UART's sender stalls too).
   */
  readonly onPressure?: (full: boolean) => void;
  /** Default `DEFAULT_HIGH_WATER`. */
  readonly highWaterBytes?: number;
}

/** Bytes waiting for the line before the pacer asks its source to stop. */
export const DEFAULT_HIGH_WATER = 32 * 1024;

interface Queued {
  bytes: Buffer;
  /** Milliseconds per byte at the chunk's rate. */
  readonly byteMs: number;
}

/** Hands bytes to `sink` at the line rate (or at once while disabled). */
export class LinePacer {
  private readonly clock: Clock;
  private readonly rate: () => number;
  private queue: Queued[] = [];
  private queued = 0;
  /** When the line finishes the last byte handed on (or to be handed on next). */
  private cursor = -Infinity;
  private timer: Timer | undefined;
  private pacing: boolean;
  private readonly onPressure: ((full: boolean) => void) | undefined;
  private readonly highWater: number;
  private full = false;

  constructor(
    private readonly sink: (bytes: Buffer) => void,
    options: LinePacerOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.rate = options.rate;
    this.pacing = options.enabled ?? false;
    this.onPressure = options.onPressure;
    this.highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER;
  }

  get enabled(): boolean {
    return this.pacing;
  }

  /** Turning pacing off hands on whatever is waiting at once. */
  set enabled(on: boolean) {
    this.pacing = on;
    if (!on) this.flush();
  }

  /** Bytes written and not handed on yet. */
  get backlog(): number {
    return this.queued;
  }

  write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (!this.pacing) {
      this.sink(bytes);
      return;
    }
    const rate = this.rate();
    if (!(rate > 0)) throw new RangeError(`line rate ${rate} is not a positive number`);
    if (this.queue.length === 0) this.cursor = Math.max(this.cursor, this.clock.now());
    this.queue.push({ bytes, byteMs: (BITS_PER_BYTE * 1000) / rate });
    this.queued += bytes.length;
    this.arm();
    this.checkPressure();
  }

  private checkPressure(): void {
    const full = this.full ? this.queued >= this.highWater / 2 : this.queued > this.highWater;
    if (full === this.full) return;
    this.full = full;
    this.onPressure?.(full);
  }

  /** Hand on everything waiting now (pacing off, shutdown). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const waiting = this.queue.map((q) => q.bytes);
    this.queue = [];
    this.queued = 0;
    if (waiting.length > 0) this.sink(waiting.length === 1 ? (waiting[0] as Buffer) : Buffer.concat(waiting));
    this.checkPressure();
  }

  /** Drop everything waiting and stop. */
  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.queue = [];
    this.queued = 0;
    this.checkPressure();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const head = this.queue[0];
    if (head === undefined) return;
    // The next batch: at least one byte, and at least MIN_TICK_MS of them — or everything waiting
    // when what would be left after that batch is less than half a batch.
    const perTick = Math.max(1, Math.ceil(MIN_TICK_MS / head.byteMs));
    const end = this.lineEnd();
    const batchEnd = this.cursor + Math.min(perTick, head.bytes.length) * head.byteMs;
    const last = end - batchEnd < (perTick * head.byteMs) / 2;
    this.timer = lineTimeout(
      this.clock,
      () => {
        this.timer = undefined;
        this.tick();
      },
      last ? end : batchEnd,
      last,
    );
  }

  /** When the line finishes everything waiting. */
  private lineEnd(): number {
    let end = this.cursor;
    for (const q of this.queue) end += q.bytes.length * q.byteMs;
    return end;
  }

  private tick(): void {
    const now = this.clock.now();
    const out: Buffer[] = [];
    while (this.queue.length > 0) {
      const head = this.queue[0] as Queued;
      // A tiny epsilon: floating-point sums must not hold a byte back a whole tick.
      const ready = Math.floor((now - this.cursor) / head.byteMs + 1e-9);
      if (ready <= 0) break;
      const take = Math.min(ready, head.bytes.length);
      out.push(head.bytes.subarray(0, take));
      this.cursor += take * head.byteMs;
      this.queued -= take;
      if (take === head.bytes.length) this.queue.shift();
      else head.bytes = head.bytes.subarray(take);
    }
    if (out.length > 0) this.sink(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    this.arm();
    this.checkPressure();
  }
}

/**
 * Run `fn` once `clock` reaches `due`. A Node timer cannot wait less than 1 ms and fires up to a
 * millisecond late (libuv counts whole milliseconds from the start of the loop's turn). A stream
 * does not notice (a late tick sends more), but an exchange waits for its answer's last batch, and
 * a short answer (a prompt, a command line: tens of microseconds at 3.6 Mbaud) would wait a whole
 * millisecond: so on the real clock a wait under 1 ms is made of `setImmediate` turns (sockets are
 * still served between them), and a `precise` longer wait (the batch that empties the queue) takes
 * a timer for all but its last millisecond or two and finishes on turns. An injected clock's own
 * timers are used as they are.
 */
export function lineTimeout(clock: Clock, fn: () => void, due: number, precise: boolean): Timer {
  const wait = due - clock.now();
  if (clock !== realClock) return clock.setTimeout(fn, Math.max(0, wait));
  let cancelled = false;
  let timer: Timer | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const poll = (): void => {
    immediate = undefined;
    if (cancelled) return;
    if (clock.now() >= due) fn();
    else immediate = setImmediate(poll);
  };
  const timerMs = precise ? Math.floor(wait) - 1 : wait;
  if (timerMs >= 1) {
    timer = clock.setTimeout(() => {
      timer = undefined;
      poll();
    }, timerMs);
  } else immediate = setImmediate(poll);
  return {
    cancel: () => {
      cancelled = true;
      timer?.cancel();
      if (immediate !== undefined) clearImmediate(immediate);
    },
  };
}

/**
 * A module side whose output is paced: serve this instead of the module to put a UART's speed on
 * any transport (TCP, PTY, stdio).
 */
export class PacedModuleSide extends EventEmitter<{ output: [Buffer] }> implements ModuleSide {
  readonly pacer: LinePacer;
  private readonly forward = (bytes: Buffer): void => this.pacer.write(bytes);

  constructor(
    private readonly module: ModuleSide,
    options: LinePacerOptions,
  ) {
    super();
    // A line that falls behind is a host that does not read, for the module too.
    this.pacer = new LinePacer((bytes) => this.emit('output', bytes), {
      ...options,
      onPressure: (full) => {
        module.setOutputPressure?.('pacer', full);
        options.onPressure?.(full);
      },
    });
    module.on('output', this.forward);
  }

  input(bytes: Uint8Array): void {
    this.module.input(bytes);
  }

  setOutputPressure(source: string, full: boolean): void {
    this.module.setOutputPressure?.(source, full);
  }

  /** Stop listening to the module; what is still waiting is dropped. */
  detach(): void {
    this.module.off('output', this.forward);
    this.pacer.close();
  }
}
