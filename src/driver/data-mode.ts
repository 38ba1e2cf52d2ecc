/**
 * Transparent data mode's host side (spec §3.4), on the injected clock: the bytes the host writes
 * while it must wait, `+++` with its guard times, the probe of a `CLOSED` inside the data, `ATO`,
 * and the release of a held tail once the line has gone quiet.
 *
 * Why each wait is what it is:
 * - `+++` is only recognised with `guardMs` of silence before and after it (the module's guard
 *   time, AT+CGUARD / S12; spec §2.1.19), so the host writes nothing for `guardMs` either side.
 *   The module counts the silence from the last data byte it *received*: data written just before
 *   the escape may still be in the transport (a busy event loop, a serial port's kernel buffer),
 *   and the module's clock is not ours. So the silence before `+++` counts from the moment the
 *   transport took the last data write (and, where it can tell, put it on the wire: a serial
 *   port's `drain`), plus a margin of `guardMs / 10` (at least 10 ms); a `+++` that lands inside
 *   the module's guard is data to the peer, and the escape is lost.
 * - After `+++`, an `\r\nOK\r\n` inside the peer's data may still be in flight; the module answers
 *   only after its trailing guard and passes no data after answering: so the answer is the *last*
 *   `OK` once `guardMs` has passed and the line has then been quiet for `quietMs`.
 * - A peer's close prints `\r\nCLOSED\r\n`, which no byte tells from data: the parser holds the
 *   stream from it on, and a guarded `+++` asks the module (an `OK` = still in data mode).
 * - To spot that marker the parser keeps a tail that could be its start (`\r\n`, `\r\nCLO`…). The
 *   module prints the marker in one write, so once the line has been quiet for `tailReleaseMs`
 *   the tail is data: a server's `+OK ready\r\n` arrives whole without waiting for more bytes.
 */
import type { Clock, Timer } from '../time/clock.js';
import { doneOrAfter, sleep } from '../time/sleep.js';
import type { AtChannelOptions, AtResponse } from './at-types.js';
import { AtTimeoutError, ChannelClosedError, DriverStateError } from './errors.js';
import type { ModuleOutputParser } from '../at/module-output-framer.js';
import { framed } from '../at/frames/framing.js';
import { toError } from '../common/errors.js';

/** What the data-mode port needs from the channel it belongs to. */
export interface DataModeHost {
  readonly parser: ModuleOutputParser;
  readonly clock: Clock;
  inDataMode(): boolean;
  /** The channel's close, once it happened. */
  closedWith(): ChannelClosedError | undefined;
  write(bytes: Buffer, callback?: (error?: Error | null) => void): void;
  /** Resolves once what was written has left the transport for the wire, where the transport can tell (a serial port's drain). */
  drainTransport(): Promise<void>;
  command(text: string): Promise<AtResponse>;
  /** Run parser work with the channel's no-re-entry discipline. */
  underFeedLock(work: () => void): void;
  /** Subscribe to data mode left (`entered` false) and to the channel's close. */
  onModeChange(listener: (entered: boolean, line: string) => void): () => void;
  onClose(listener: (error: ChannelClosedError) => void): () => void;
}

export interface DataModeTiming {
  /** Silence before and after `+++` (default 1000 ms, spec §2.1.19). */
  readonly guardMs?: number;
  /** After the trailing guard, how long the `OK` of `+++` may take (default 1000 ms). */
  readonly escapeAnswerMs?: number;
  /** Quiet time after which a held tail that could start `\r\nCLOSED\r\n` is data (default 50 ms). */
  readonly tailReleaseMs?: number;
  /** What the module prints when a transparent link ends; undefined = never watch. */
  readonly closeLine: string | undefined;
}

/** The port's timing and close line from the channel's options. */
export function dataModeTiming(options: AtChannelOptions): DataModeTiming {
  return {
    ...(options.guardMs === undefined ? {} : { guardMs: options.guardMs }),
    ...(options.escapeAnswerMs === undefined ? {} : { escapeAnswerMs: options.escapeAnswerMs }),
    ...(options.tailReleaseMs === undefined ? {} : { tailReleaseMs: options.tailReleaseMs }),
    closeLine: options.transparentCloseLine === null ? undefined : (options.transparentCloseLine ?? 'CLOSED'),
  };
}

const OK_BYTES = Buffer.from(framed('OK'), 'latin1');
export const DEFAULT_GUARD_MS = 1_000;
export const DEFAULT_ESCAPE_ANSWER_MS = 1_000;
export const DEFAULT_TAIL_RELEASE_MS = 50;

/** A transport that never calls back must not hang an escape: waits for writes end after guard + this. */
const WRITES_TAKEN_SLACK_MS = 2_000;

/** Extra silence before `+++` beyond the module's guard time (see the file comment). */
export function guardMarginMs(guardMs: number): number {
  return Math.max(10, Math.ceil(guardMs / 10));
}

/** Data written in transparent mode while it must wait (guard silence, online command mode). */
interface HeldData {
  readonly bytes: Buffer;
  readonly callback: ((error?: Error | null) => void) | undefined;
}

export class DataModePort {
  readonly guardMs: number;
  readonly escapeAnswerMs: number;
  readonly tailReleaseMs: number;
  readonly closeLine: string | undefined;
  private readonly host: DataModeHost;
  /** Host data is held (not written) while this is set: during `+++` and until `ATO`. */
  private holding = false;
  private heldData: HeldData[] = [];
  /** Called after every chunk while a probe watches the held bytes. */
  private heldWatcher: (() => void) | undefined;
  private probe: Promise<'data' | 'closed'> | undefined;
  private tailTimer: Timer | undefined;
  /** Data writes the transport has not taken yet; the guard before `+++` waits for them. */
  private writesInFlight = 0;
  private readonly writesDone: (() => void)[] = [];
  /** When the transport last took data (clock time): the module's silence starts no earlier. */
  private lastDataOut = Number.NEGATIVE_INFINITY;

  constructor(host: DataModeHost, timing: DataModeTiming) {
    this.host = host;
    this.guardMs = timing.guardMs ?? DEFAULT_GUARD_MS;
    this.escapeAnswerMs = timing.escapeAnswerMs ?? DEFAULT_ESCAPE_ANSWER_MS;
    this.tailReleaseMs = timing.tailReleaseMs ?? DEFAULT_TAIL_RELEASE_MS;
    this.closeLine = timing.closeLine;
  }

  /** Silence after an `OK` in the held bytes that makes it the answer to `+++`. */
  get quietMs(): number {
    return Math.min(this.escapeAnswerMs, Math.max(20, Math.round(this.guardMs / 4)));
  }

  /** The channel fed a chunk: watchers look at the held bytes, a marker-like tail gets its timer. */
  afterChunk(): void {
    this.heldWatcher?.();
    this.tailTimer?.cancel();
    this.tailTimer = undefined;
    if (this.host.parser.passthroughTail === 0) return;
    this.tailTimer = this.host.clock.setTimeout(() => {
      // Timers run before the event loop polls its sockets: after a stall (a busy machine) this
      // timer can fire with the marker's next bytes already waiting unread. One more timer turn
      // lets them be read first (their chunk cancels it); only then is the line really quiet.
      this.tailTimer = this.host.clock.setTimeout(() => {
        this.tailTimer = undefined;
        this.host.underFeedLock(() => this.host.parser.releaseTail());
      }, 0);
    }, this.tailReleaseMs);
  }

  /**
   * Raw bytes to the module in data mode (transparent). `callback` runs once the transport took
   * them (back-pressure) or with the error that lost them. While `+++` is in progress or the port
   * is in online command mode the bytes wait, in order, for `resume()`.
   */
  write(bytes: Uint8Array, callback?: (error?: Error | null) => void): void {
    if (this.holding) {
      this.heldData.push({ bytes: Buffer.from(bytes), callback });
      return;
    }
    this.sendData(Buffer.from(bytes), callback);
  }

  private sendData(bytes: Buffer, callback: ((error?: Error | null) => void) | undefined): void {
    this.writesInFlight++;
    this.host.write(bytes, (error) => {
      this.writesInFlight--;
      this.lastDataOut = this.host.clock.now();
      if (this.writesInFlight === 0) for (const done of this.writesDone.splice(0)) done();
      callback?.(error);
    });
  }

  /**
   * The silence before `+++`: at least `guard` from now, and `guard` plus its margin from the
   * moment the last data write left (see the file comment). Data writes are held meanwhile.
   */
  private async guardSilence(guard: number): Promise<void> {
    const started = this.host.clock.now();
    if (this.writesInFlight > 0) await this.writesTaken(guard);
    if (this.host.closedWith() !== undefined) return;
    if (this.lastDataOut > Number.NEGATIVE_INFINITY) {
      await this.host.drainTransport();
      this.lastDataOut = Math.max(this.lastDataOut, this.host.clock.now());
    }
    const now = this.host.clock.now();
    const wait = Math.max(started + guard - now, this.lastDataOut + guard + guardMarginMs(guard) - now);
    if (wait > 0) await sleep(wait, this.host.clock);
  }

  /**
   * Leave transparent data mode with `+++` (guard times around it, spec §3.4). Resolves with the
   * line that ended data mode: `OK` (online command mode, the link stays up: `resume()` goes
   * back) or `CLOSED` (the link ended meanwhile). Data written meanwhile waits for `resume()`;
   * data that arrives meanwhile is still delivered as passthrough.
   */
  async escape(options: { guardMs?: number; timeoutMs?: number } = {}): Promise<string> {
    const { parser } = this.host;
    if (!this.host.inDataMode()) throw new DriverStateError('not in data mode');
    const guard = options.guardMs ?? this.guardMs;
    this.holding = true;
    if (parser.heldBytes !== undefined) {
      // A close candidate is being probed already: its probe decides.
      return (await this.probeDataMode()) === 'closed' ? 'CLOSED' : 'OK';
    }
    // Before `+++` is out an `OK` can only be data; the link may still end meanwhile (`CLOSED`).
    parser.watchCloseMarker(undefined);
    parser.endPassthroughAt(this.closeLine === undefined ? [] : [this.closeLine]);
    const left = this.dataModeLeft(options.timeoutMs ?? guard * 2 + this.escapeAnswerMs + this.quietMs * 2, '+++');
    left.catch(() => {}); // observed below; must not count as unhandled while the guard runs
    await this.guardSilence(guard);
    // (Read again: a close candidate may have come during the guard; its probe decides then.)
    const alreadyHeld = (parser.heldBytes as Buffer | undefined) !== undefined;
    if (this.host.closedWith() === undefined && this.host.inDataMode() && parser.inPassthrough && !alreadyHeld) {
      // From `+++` on, an `OK` may be the peer's data still in flight or the answer: hold and decide.
      parser.holdFromHere();
      this.host.write(Buffer.from('+++', 'latin1'));
      const okAt = await this.okInHeld(0, guard, guard + this.escapeAnswerMs);
      const marker = this.closeLine === undefined ? undefined : Buffer.from(framed(this.closeLine), 'latin1');
      const held = parser.heldBytes as Buffer | undefined;
      const closedAt = okAt >= 0 || marker === undefined || held === undefined ? -1 : held.indexOf(marker);
      const answerAt = okAt >= 0 ? okAt : closedAt;
      // Up to the answer (`OK`, or the `CLOSED` of a link that ended meanwhile) the bytes are data;
      // without one they all are, and `left` times out.
      this.host.underFeedLock(() => parser.settleHeld(answerAt >= 0 ? answerAt : Number.MAX_SAFE_INTEGER, answerAt >= 0 ? 'command' : 'data'));
    }
    return left;
  }

  /**
   * After a `close-candidate`: find out whether the module is still in data mode. Sends a guarded
   * `+++`; an `OK` after it means yes (the held bytes up to it are data; the port is now in online
   * command mode: call `resume()`), none means the module had left data mode and printed
   * `CLOSED` (the held bytes are parsed as command-mode output). Host data waits meanwhile.
   */
  async probeDataMode(): Promise<'data' | 'closed'> {
    const { parser } = this.host;
    if (parser.heldBytes === undefined) return this.host.inDataMode() ? 'data' : 'closed';
    this.holding = true;
    if (this.probe !== undefined) return this.probe;
    const probe = (async (): Promise<'data' | 'closed'> => {
      await this.guardSilence(this.guardMs);
      const closed = this.host.closedWith();
      if (closed !== undefined) throw new ChannelClosedError('+++', closed.reason);
      const mark = parser.heldBytes?.length ?? 0;
      this.host.write(Buffer.from('+++', 'latin1'));
      const okAt = await this.okInHeld(mark, this.guardMs, this.guardMs + this.escapeAnswerMs);
      this.host.underFeedLock(() => parser.settleHeld(okAt < 0 ? 0 : okAt, 'command'));
      return okAt < 0 ? 'closed' : 'data';
    })();
    this.probe = probe;
    try {
      return await probe;
    } finally {
      this.probe = undefined;
    }
  }

  /**
   * `ATO` (spec §2.1.19): back to data mode after `+++`, then the data written meanwhile goes out.
   * `NO CARRIER` (the link is gone) rejects, and so does every held write.
   */
  async resume(): Promise<void> {
    if (this.host.inDataMode()) {
      this.releaseHeldData();
      return;
    }
    try {
      await this.host.command('ATO');
    } catch (error) {
      this.dropHeldData(toError(error));
      throw error;
    }
    if (!this.host.inDataMode()) {
      const error = new DriverStateError('ATO answered without CONNECT');
      this.dropHeldData(error);
      throw error;
    }
    this.releaseHeldData();
  }

  /** Fail every data write still waiting (the transparent link is gone). */
  dropHeldData(error: Error): void {
    this.holding = false;
    for (const held of this.heldData.splice(0)) held.callback?.(error);
  }

  /** The channel closed: stop timers, fail held writes, let a watching probe finish. */
  shutdown(error: Error): void {
    this.tailTimer?.cancel();
    this.tailTimer = undefined;
    this.dropHeldData(error);
    for (const done of this.writesDone.splice(0)) done();
    this.heldWatcher?.();
  }

  private releaseHeldData(): void {
    this.holding = false;
    for (const held of this.heldData.splice(0)) this.sendData(held.bytes, held.callback);
  }

  /** Resolves when the transport has taken every data write, or after `bound + 2 s` at most. */
  private writesTaken(bound: number): Promise<void> {
    return doneOrAfter((done) => this.writesDone.push(done), bound + WRITES_TAKEN_SLACK_MS, this.host.clock);
  }

  /** Resolves with the line that ends data mode (`data-mode` false), or rejects after `timeoutMs`. */
  private dataModeLeft(timeoutMs: number, command: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const offMode = this.host.onModeChange((entered, line) => {
        if (entered) return;
        cleanup();
        resolve(line);
      });
      const offClose = this.host.onClose((error) => {
        cleanup();
        reject(new ChannelClosedError(command, error.reason));
      });
      const timer = this.host.clock.setTimeout(() => {
        cleanup();
        reject(new AtTimeoutError(command, 'OK (or CLOSED) leaving data mode', timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        timer.cancel();
        offMode();
        offClose();
      };
    });
  }

  /**
   * Where the module's `OK` to a `+++` just written is in the held bytes (at or after `from`); -1
   * when none came within `timeoutMs` (see the file comment for why the last one counts).
   */
  private okInHeld(from: number, guardMs: number, timeoutMs: number): Promise<number> {
    const { parser, clock } = this.host;
    return new Promise<number>((resolve) => {
      const started = clock.now();
      let length = parser.heldBytes?.length ?? 0;
      let changed = started;
      let poll: Timer | undefined;
      const lastOk = (): number => {
        const at = parser.heldBytes?.lastIndexOf(OK_BYTES) ?? -1;
        return at >= from ? at : -1;
      };
      const finish = (at: number): void => {
        poll?.cancel();
        timer.cancel();
        if (this.heldWatcher === watcher) this.heldWatcher = undefined;
        resolve(at);
      };
      const watcher = (): void => {
        const now = parser.heldBytes?.length ?? 0;
        if (now !== length) {
          length = now;
          changed = clock.now();
        }
        if (this.host.closedWith() !== undefined || parser.heldBytes === undefined) finish(-1);
      };
      const period = Math.max(5, Math.round(this.quietMs / 2));
      const check = (): void => {
        const now = clock.now();
        if (now - started >= guardMs && now - changed >= this.quietMs) {
          const at = lastOk();
          if (at >= 0) {
            finish(at);
            return;
          }
        }
        poll = clock.setTimeout(check, period);
      };
      poll = clock.setTimeout(check, period);
      const timer = clock.setTimeout(() => finish(lastOk()), timeoutMs);
      this.heldWatcher = watcher;
      watcher();
    });
  }
}
