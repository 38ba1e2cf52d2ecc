/**
 * `AtChannel`: the command/response discipline over one AT port.
 *
 * - One command in flight, a FIFO queue behind it; each command's timeout comes from the vendor's
 *   maximum response times (`timeouts.ts`) unless the caller gives one.
 * - Every line the module prints is routed as it arrives: the final result ends the command; a line
 *   is part of the response when it carries the command's response prefix (explicit, or `+NAME:` by
 *   default), otherwise a known URC is routed to the waitresses and the URC handlers, and anything
 *   else (bare info lines such as an IMEI) belongs to the response.
 * - "OK first, result later" (spec §1.6): a command can name its completion line; the channel arms
 *   the wait for it in the same tick as the `OK`, so a completion in the same chunk is never missed,
 *   and the queue moves on at once.
 * - Echo on or off is tolerated: the echo of the command just sent is stripped. CIPSEND: the data
 *   is written when the `>` prompt arrives; its echo is consumed if the command's was seen (ATE1).
 * - When the transport goes away, every pending, queued and waiting promise rejects with
 *   `ChannelClosedError`; after a timeout the late answer is absorbed for `recoveryMs` before the
 *   next command is written, and later still when its echo shows it (`late-answers.ts`).
 * - Every byte in and out is published on `a76xx:at:tx` / `a76xx:at:rx` (see `trace.ts`).
 * - Transparent data mode (spec §3.4, `data-mode.ts`): after `CONNECT` every byte is data both
 *   ways; commands wait (each within its timeout) until `+++` has left it.
 * - Bounds: one response keeps at most `maxResponseLines` lines / `maxResponseChars` characters;
 *   past that the command fails (`ResponseOverflowError`) and the rest is dropped until a final
 *   result or the recovery time. A boot URC fails the command in flight (`ModuleResetError`).
 * - Every timer is on the injected clock (`options.clock`).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { realClock, type Clock, type Timer } from '../time/clock.js';
import type {
  AtChannelEvents,
  AtChannelOptions,
  AtResponse,
  CommandOptions,
  EchoState,
  RxgetBlock,
  UrcHandler,
  WaitOptions,
} from './at-types.js';
import { DataModePort, dataModeTiming } from './data-mode.js';
import { AtTimeoutError, ChannelClosedError, commandError, ModuleResetError, ResponseOverflowError } from './errors.js';
import { ModuleOutputParser, type ModuleEvent } from '../at/module-output-framer.js';
import { maxResponseMs, type TimeoutOverrides } from './timeouts.js';
import { publishRx, publishTx } from './trace.js';
import { ALWAYS_URC, isBootLine, isKnownUrc } from './urcs.js';
import { isConnectResult, isFinalResult, isSuccessResult } from '../at/result-codes.js';
import { callerStack, Waiters, withCallerStack } from './waiter.js';
import { echoAfter, matchesAny, newPending, startsWithAny, type Pending } from './pending-command.js';
import { reportListenerError, UrcRouter } from './urc-router.js';
import { LateAnswers } from './late-answers.js';
import { toError } from '../common/errors.js';
import { drained } from './transports/drain.js';

export * from './at-types.js';

const DEFAULT_RECOVERY_MS = 1_000;
const DEFAULT_ERROR_SETTLE_MS = 50;
/** `AT+CLAC` lists a few hundred commands; a `+COPS=?` scan is one long line. */
const DEFAULT_MAX_RESPONSE_LINES = 1_024;
const DEFAULT_MAX_RESPONSE_CHARS = 256 * 1024;

export class AtChannel extends EventEmitter<AtChannelEvents> {
  readonly name: string;
  readonly clock: Clock;
  private readonly transport: Duplex;
  private readonly parser: ModuleOutputParser;
  private readonly timeouts: TimeoutOverrides;
  private readonly recoveryMs: number;
  private readonly errorSettleMs: number;
  private readonly maxLines: number;
  private readonly maxChars: number;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private recoveryTimer: Timer | undefined;
  /** After a failed command: the next one waits so a second `ERROR` of the failed one is not its answer. */
  private settleTimer: Timer | undefined;
  private readonly waiters: Waiters;
  private readonly router = new UrcRouter((error) => this.listenerFailed(error));
  private readonly late = new LateAnswers();
  private closedWith: ChannelClosedError | undefined;
  private echoState: EchoState = 'unknown';
  private readonly inbox: Buffer[] = [];
  private feeding = false;
  private dataMode = false;
  private readonly port: DataModePort;

  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onClose = (): void => this.shutdown(undefined);
  private readonly onError = (error: Error): void => this.shutdown(error);

  constructor(transport: Duplex, options: AtChannelOptions = {}) {
    super();
    this.transport = transport;
    this.name = options.name ?? 'at';
    this.clock = options.clock ?? realClock;
    this.timeouts = options.timeouts ?? {};
    this.recoveryMs = options.recoveryMs ?? DEFAULT_RECOVERY_MS;
    this.errorSettleMs = options.errorSettleMs ?? DEFAULT_ERROR_SETTLE_MS;
    this.maxLines = options.maxResponseLines ?? DEFAULT_MAX_RESPONSE_LINES;
    this.maxChars = options.maxResponseChars ?? DEFAULT_MAX_RESPONSE_CHARS;
    this.waiters = new Waiters(this.clock);
    this.parser = new ModuleOutputParser((event) => this.onEvent(event));
    this.port = new DataModePort(
      {
        parser: this.parser,
        clock: this.clock,
        inDataMode: () => this.dataMode,
        closedWith: () => this.closedWith,
        write: (bytes, callback) => this.write(bytes, callback),
        drainTransport: () => drained(this.transport, this.clock),
        command: (text) => this.command(text),
        underFeedLock: (work) => this.underFeedLock(work),
        onModeChange: (listener) => {
          this.on('data-mode', listener);
          return () => this.off('data-mode', listener);
        },
        onClose: (listener) => {
          this.on('close', listener);
          return () => this.off('close', listener);
        },
      },
      dataModeTiming(options),
    );
    transport.on('data', this.onData);
    transport.on('close', this.onClose);
    transport.on('end', this.onClose);
    transport.on('error', this.onError);
    if (transport.destroyed) queueMicrotask(() => this.shutdown(undefined));
  }

  // ---------------------------------------------------------------- public API

  /**
   * Send one command line (`AT…`, without `<CR>`) and resolve with its response once the final
   * result (and the completion, if asked for) has arrived. Rejects with `AtCommandError` (module
   * error, decoded), `AtTimeoutError` (with the caller's stack), `ModuleResetError`,
   * `ResponseOverflowError` or `ChannelClosedError`.
   */
  command(text: string, options: CommandOptions = {}): Promise<AtResponse> {
    if (this.closedWith !== undefined) return Promise.reject(new ChannelClosedError(text, this.closedWith.reason));
    if (/[\r\n]/.test(text)) return Promise.reject(new RangeError(`a command line cannot contain CR or LF: ${JSON.stringify(text)}`));
    const origin = callerStack(this.command);
    return new Promise<AtResponse>((resolve, reject) => {
      const pending = newPending(text, options, maxResponseMs(text, this.timeouts), origin, resolve, reject);
      this.queue.push(pending);
      if (this.dataMode) this.armQueueTimer(pending);
      this.pump();
    });
  }

  /**
   * Wait for an unsolicited line matching `match` (a "waitress"). Armed synchronously: only lines
   * that arrive after this call can match. Waitresses see URCs before the prefix handlers, and a
   * line taken by a waitress goes nowhere else.
   */
  waitFor(match: (line: string) => boolean, options: WaitOptions): Promise<string> {
    if (this.closedWith !== undefined) return Promise.reject(new ChannelClosedError(options.command, this.closedWith.reason));
    return this.waiters.wait(match, options, callerStack(this.waitFor));
  }

  /**
   * Reject the async completions still awaited for commands that `matches` (e.g. every
   * `AT+CIPSEND`/`AT+CIPOPEN` when the network is lost: their completion lines may never come).
   * Returns how many were rejected.
   */
  failCompletions(matches: (command: string) => boolean, error: Error): number {
    return this.waiters.fail((w) => w.completion && w.command !== undefined && matches(w.command), () => error);
  }

  /** Call `handler` for every unsolicited line starting with `prefix`. Returns the unsubscribe function. */
  onUrc(prefix: string, handler: UrcHandler): () => void {
    return this.router.on(prefix, handler);
  }

  /** Whether the module echoes commands, as last observed (`unknown` after a reset). */
  get echo(): EchoState {
    return this.echoState;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get inDataMode(): boolean {
    return this.dataMode;
  }

  /** Commands waiting behind the one in flight. */
  get queued(): number {
    return this.queue.length;
  }

  /** Bytes the parser holds for an item that has not ended (a line, a block, a held tail). */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes + (this.current?.chars ?? 0);
  }

  /** Raw bytes to the peer in transparent data mode (see `DataModePort.write`). */
  writeData(bytes: Uint8Array, callback?: (error?: Error | null) => void): void {
    if (this.closedWith !== undefined) {
      const error = new ChannelClosedError(undefined, this.closedWith.reason);
      if (callback === undefined) throw error;
      queueMicrotask(() => callback(error));
      return;
    }
    this.port.write(bytes, callback);
  }

  /** Leave transparent data mode with a guarded `+++`: `OK` or `CLOSED` (see `DataModePort.escape`). */
  escapeDataMode(options: { guardMs?: number; timeoutMs?: number } = {}): Promise<string> {
    return this.port.escape(options);
  }

  /** After a `close-candidate`: is the module still in data mode? (see `DataModePort.probeDataMode`) */
  probeDataMode(): Promise<'data' | 'closed'> {
    return this.port.probeDataMode();
  }

  /** `ATO` back to data mode, then the data held meanwhile goes out (see `DataModePort.resume`). */
  resumeDataMode(): Promise<void> {
    return this.port.resume();
  }

  /** Fail every data write still waiting (the transparent link is gone). */
  dropHeldData(error: Error): void {
    this.port.dropHeldData(error);
  }

  /** The guard time around `+++` this channel uses. */
  get guardMs(): number {
    return this.port.guardMs;
  }

  /** Bytes to the module as they are (`+++` of an escape-first open); traced like every write. */
  writeRaw(bytes: Uint8Array): void {
    if (this.closedWith === undefined) this.write(Buffer.from(bytes));
  }

  /** Close the transport; everything pending rejects with `ChannelClosedError`. */
  close(): void {
    this.shutdown(undefined);
    if (!this.transport.destroyed) this.transport.destroy();
  }

  // ---------------------------------------------------------------- sending

  private pump(): void {
    // In data mode every byte written goes to the peer: commands wait until it is left.
    if (this.current !== undefined || this.closedWith !== undefined || this.dataMode || this.settleTimer !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.current = next;
    next.queueTimer?.cancel();
    this.parser.expectEcho(next.bytes);
    if (next.options.data !== undefined) this.parser.expectPrompt();
    next.timer = this.clock.setTimeout(() => this.onTimeout(next), next.timeoutMs);
    this.write(next.bytes);
  }

  /** A command asked for in data mode gives up after its timeout if data mode has not ended by then. */
  private armQueueTimer(pending: Pending): void {
    if (pending.queueTimer !== undefined) return;
    pending.queueTimer = this.clock.setTimeout(() => {
      const i = this.queue.indexOf(pending);
      if (i < 0) return;
      this.queue.splice(i, 1);
      pending.reject(withCallerStack(new AtTimeoutError(pending.text, 'the end of transparent data mode', pending.timeoutMs), pending.origin));
    }, pending.timeoutMs);
  }

  private write(bytes: Buffer, callback?: (error?: Error | null) => void): void {
    publishTx(this.name, bytes);
    if (callback === undefined) this.transport.write(bytes);
    else this.transport.write(bytes, callback);
  }

  private onTimeout(pending: Pending): void {
    if (this.current !== pending || pending.zombie) return;
    pending.timer = undefined;
    const waitingFor = pending.options.data !== undefined && !pending.promptSeen ? 'prompt ">"' : 'final result';
    this.abandon(pending, withCallerStack(new AtTimeoutError(pending.text, waitingFor, pending.timeoutMs), pending.origin));
  }

  /**
   * Fail the command in flight but keep it as a zombie that absorbs its late answer (its final
   * result ends it), or gives up on it after `recoveryMs`; then the next command is written.
   */
  private abandon(pending: Pending, error: Error): void {
    pending.timer?.cancel();
    pending.timer = undefined;
    pending.zombie = true;
    pending.lines = [];
    pending.chars = 0;
    pending.blocks = [];
    pending.reject(error);
    this.recoveryTimer?.cancel();
    this.recoveryTimer = this.clock.setTimeout(() => {
      this.recoveryTimer = undefined;
      if (this.current !== pending) return;
      this.current = undefined;
      this.late.gaveUp(pending.text);
      this.parser.clearEcho();
      this.parser.cancelPrompt();
      this.pump();
    }, this.recoveryMs);
  }

  // ---------------------------------------------------------------- receiving

  private receive(chunk: Buffer): void {
    publishRx(this.name, chunk);
    this.inbox.push(chunk);
    // Handlers may write, and an in-memory peer may answer synchronously: never re-enter the parser.
    if (this.feeding) return;
    this.underFeedLock(() => {});
    this.port.afterChunk();
  }

  /**
   * The one feed loop: run `work` (parser work from a timer, or nothing), then feed every chunk
   * that waits, never re-entering the parser (a chunk that arrives meanwhile waits its turn).
   */
  private underFeedLock(work: () => void): void {
    if (this.feeding) {
      work();
      return;
    }
    this.feeding = true;
    try {
      work();
      let next: Buffer | undefined;
      while ((next = this.inbox.shift()) !== undefined) this.parser.feed(next);
    } finally {
      this.feeding = false;
    }
  }

  private onEvent(event: ModuleEvent): void {
    try {
      this.dispatch(event);
    } catch (error) {
      this.listenerFailed(error);
    }
  }

  private listenerFailed(error: unknown): void {
    reportListenerError(this, error);
  }

  /** Emit to user listeners; a throwing listener is reported, never allowed to break the channel. */
  private notify<K extends keyof AtChannelEvents>(event: K, ...args: AtChannelEvents[K]): void {
    try {
      (this.emit as (name: K, ...rest: AtChannelEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.listenerFailed(error);
    }
  }

  private dispatch(event: ModuleEvent): void {
    switch (event.kind) {
      case 'line':
        this.onLine(event.text);
        return;
      case 'echo':
        if (!event.data && this.current !== undefined) this.current.echoSeen = true;
        return;
      case 'prompt':
        this.onPrompt();
        return;
      case 'push':
        this.notify('push', { header: event.header, link: event.link, from: event.from, bytes: event.bytes });
        return;
      case 'rxget': {
        const block: RxgetBlock = { mode: event.mode, link: event.link, rest: event.rest, bytes: event.bytes };
        if (this.current !== undefined && !this.current.zombie) this.current.blocks.push(block);
        else this.notify('rxget', block);
        return;
      }
      case 'cch':
        this.notify('cch-data', event.session, event.bytes);
        return;
      case 'passthrough':
        this.notify('passthrough', event.bytes);
        return;
      case 'close-candidate':
        this.notify('close-candidate');
        return;
    }
  }

  private onPrompt(): void {
    const pending = this.current;
    if (pending === undefined || pending.options.data === undefined || pending.promptSeen) return;
    pending.promptSeen = true;
    // Even after a timeout the module now waits for exactly these bytes: give them, or it wedges.
    const data = Buffer.from(pending.options.data);
    if (pending.echoSeen) this.parser.expectDataEcho(data);
    this.write(data);
  }

  private onLine(line: string): void {
    if (this.dataMode && !this.parser.inPassthrough) {
      // The result that ended passthrough (`OK` after `+++`).
      this.dataMode = false;
      this.notify('data-mode', false, line);
      queueMicrotask(() => this.pump());
    }
    const late = this.late.classify(line);
    if (late !== undefined) {
      if (late === 'inside') this.routeUrc(line);
      else if (late === 'end') this.notify('stray-final', line);
      return;
    }
    const pending = this.current;
    if (isFinalResult(line)) {
      if (pending !== undefined) this.finish(pending, line);
      else this.unownedFinal(line);
      return;
    }
    if (isBootLine(line)) this.onBoot(line);
    if (pending === undefined || pending.zombie) {
      this.routeUrc(line);
      return;
    }
    if (pending.explicitPrefixes && startsWithAny(line, pending.prefixes)) {
      this.keep(pending, line);
      return;
    }
    // A query's `+NAME: …` is its answer even when a completion of the same shape is awaited.
    if (pending.query && !pending.explicitPrefixes && startsWithAny(line, pending.prefixes) && !matchesAny(line, ALWAYS_URC)) {
      this.keep(pending, line);
      return;
    }
    if (this.waiters.offer(line)) {
      this.notify('urc', line, true);
      return;
    }
    if (matchesAny(line, ALWAYS_URC)) {
      this.routeUrc(line, false);
      return;
    }
    if (!pending.explicitPrefixes && startsWithAny(line, pending.prefixes)) {
      this.keep(pending, line);
      return;
    }
    if (isKnownUrc(line) || this.router.handles(line)) {
      this.routeUrc(line, false);
      return;
    }
    this.keep(pending, line);
  }

  /** A line of the response in flight, within its bounds (past them the command fails). */
  private keep(pending: Pending, line: string): void {
    pending.chars += line.length;
    if (pending.lines.length >= this.maxLines || pending.chars > this.maxChars) {
      this.abandon(pending, withCallerStack(new ResponseOverflowError(pending.text, pending.lines.length + 1, pending.chars), pending.origin));
      return;
    }
    pending.lines.push(line);
  }

  private finish(pending: Pending, final: string): void {
    pending.timer?.cancel();
    this.current = undefined;
    this.parser.clearEcho();
    this.parser.cancelPrompt();
    if (pending.zombie) {
      // The late answer of a command that already failed.
      this.recoveryTimer?.cancel();
      this.recoveryTimer = undefined;
      this.notify('stray-final', final);
      this.pump();
      return;
    }
    this.echoState = echoAfter(pending, final, pending.echoSeen ? 'on' : 'off');
    if (isSuccessResult(final)) {
      if (isConnectResult(final)) this.enterDataMode(final);
      this.succeed(pending, final);
    } else {
      pending.reject(commandError(pending.text, final, pending.lines));
      // Only a bare ERROR (no detail line) is what such firmware repeats; reads answered
      // `+IP ERROR: No data` and CME errors go on at once.
      if (final === 'ERROR' && pending.lines.length === 0) this.settle();
    }
    this.pump();
  }

  /** After a bare ERROR the next command waits `errorSettleMs`: a duplicate `ERROR` then is stray. */
  private settle(): void {
    if (this.errorSettleMs <= 0) return;
    this.settleTimer?.cancel();
    this.settleTimer = this.clock.setTimeout(() => {
      this.settleTimer = undefined;
      this.pump();
    }, this.errorSettleMs);
  }

  private succeed(pending: Pending, final: string): void {
    const completion = pending.options.completion;
    const settle = (line: string | undefined): void => {
      const response: AtResponse = { command: pending.text, lines: pending.lines, final, blocks: pending.blocks, completion: line };
      try {
        pending.options.onSuccess?.(response);
      } catch (error) {
        pending.reject(toError(error));
        return;
      }
      pending.resolve(response);
    };
    // `CONNECT`: the operation succeeded by entering data mode; no completion line will follow.
    if (completion === undefined || isConnectResult(final)) {
      settle(undefined);
      return;
    }
    const early = pending.lines.find((l) => completion.match(l));
    if (early !== undefined) {
      settle(early);
      return;
    }
    // Armed now, in the same tick as the OK: a completion later in this very chunk is caught.
    const timeoutMs = completion.timeoutMs ?? pending.timeoutMs;
    this.waiters.add({
      match: completion.match,
      command: pending.text,
      completion: true,
      timeoutMs,
      onTimeout: () => new AtTimeoutError(pending.text, completion.what, timeoutMs),
      origin: pending.origin,
      resolve: settle,
      reject: pending.reject,
    });
  }

  /**
   * The module restarted: the command in flight will never be answered (it fails now, and its
   * late bytes are absorbed), completions still awaited will never come; echo is back to its default.
   */
  private onBoot(line: string): void {
    this.echoState = 'unknown';
    const pending = this.current;
    if (pending !== undefined && !pending.zombie) this.abandon(pending, withCallerStack(new ModuleResetError(line), pending.origin));
    this.waiters.fail((w) => w.completion, () => new ModuleResetError(line));
    this.notify('reset', line);
  }

  private unownedFinal(line: string): void {
    if (isConnectResult(line)) {
      // A transparent-mode server accepted a client (`+CLIENT: 0,0,…` then `CONNECT 115200`).
      this.enterDataMode(line);
      return;
    }
    if (this.waiters.offer(line)) return;
    this.notify('stray-final', line);
  }

  private enterDataMode(line: string): void {
    this.parser.enterPassthrough();
    this.parser.watchCloseMarker(this.port.closeLine);
    this.dataMode = true;
    // Commands queued behind the one that entered data mode wait for it to end, but not forever.
    for (const queued of this.queue) this.armQueueTimer(queued);
    this.notify('data-mode', true, line);
  }

  private routeUrc(line: string, offerWaitresses = true): void {
    if (offerWaitresses && this.waiters.offer(line)) {
      this.notify('urc', line, true);
      return;
    }
    const handled = this.router.route(line);
    this.notify('urc', line, handled);
  }

  // ---------------------------------------------------------------- shutdown

  private shutdown(reason: Error | undefined): void {
    if (this.closedWith !== undefined) return;
    const error = new ChannelClosedError(undefined, reason);
    this.closedWith = error;
    this.transport.off('data', this.onData);
    this.recoveryTimer?.cancel();
    this.settleTimer?.cancel();
    this.port.shutdown(new ChannelClosedError(undefined, reason));
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined) {
      pending.timer?.cancel();
      if (!pending.zombie) pending.reject(new ChannelClosedError(pending.text, reason));
    }
    for (const queued of this.queue.splice(0)) {
      queued.queueTimer?.cancel();
      queued.reject(new ChannelClosedError(queued.text, reason));
    }
    this.waiters.fail(() => true, (w) => new ChannelClosedError(w.command, reason));
    // An 'error' after close must not become an uncaught exception.
    this.transport.on('error', () => {});
    this.notify('close', error);
  }
}
