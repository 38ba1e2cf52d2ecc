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
 * - CIPSEND: the data is written when the `>` prompt arrives; its echo is consumed if the command's
 *   own echo was seen (ATE1).
 * - Echo on or off is tolerated: the echo of the command just sent is stripped.
 * - When the transport goes away, every pending, queued and waiting promise rejects with
 *   `ChannelClosedError`; after a timeout the late answer (if any) is absorbed for `recoveryMs`
 *   before the next command is written, so it cannot be taken for the next command's answer.
 * - Every byte in and out is published on `a76xx:at:tx` / `a76xx:at:rx` (see `trace.ts`).
 * - Transparent data mode (spec §3.4): after `CONNECT` every byte is data both ways; commands are
 *   held (they could only reach the peer) until `escapeDataMode()` (`+++`) has left it, each
 *   bounded by its own timeout.
 *   `CLOSED` from a peer close cannot be told from data by its bytes: the parser holds the stream
 *   from a `<CR><LF>CLOSED<CR><LF>` on (`close-candidate` event) and `probeDataMode()` asks the
 *   module with a guarded `+++`: an `OK` means data mode was still on (the bytes were data; then
 *   `resumeDataMode()` sends `ATO`), silence means the module had left it (the link closed).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ModuleOutputParser, type ModuleEvent, type RemoteAddress } from './parser.js';
import { AtTimeoutError, ChannelClosedError, commandError, DriverStateError, ModuleResetError } from './errors.js';
import { commandsOf, maxResponseMs, type TimeoutOverrides } from './timeouts.js';
import { ALWAYS_URC, isBootLine, isConnectLine, isFinalLine, isKnownUrc, isSuccessLine } from './urcs.js';
import { publishRx, publishTx } from './trace.js';

export interface AtChannelOptions {
  /** Response-time overrides by command name (`+CIPOPEN`, `+COPS=?`, `E`…) or `default` (spec §2.3 otherwise). */
  timeouts?: TimeoutOverrides;
  /** After a timeout, how long a late answer is awaited (and absorbed) before the next command is written. */
  recoveryMs?: number;
  /** Name used on trace messages and in errors (default `at`). */
  name?: string;
  /** Silence before and after `+++` in data mode (spec §2.1.19: at least 1000 ms; the module's guard time). */
  guardMs?: number;
  /** After the trailing guard, how long the `OK` of `+++` may take (default 1000 ms). */
  escapeAnswerMs?: number;
  /** What the module prints when a transparent link ends (default `CLOSED`); undefined = never watch. */
  transparentCloseLine?: string | null;
}

/** How the module's answer to one command is recognised. */
export interface CommandOptions {
  /** Longest wait for the final result (and the prompt), in ms. */
  timeoutMs?: number;
  /**
   * Lines starting with one of these belong to this response even if they look like URCs (e.g.
   * `+CIPOPEN: 1,` for a UDP open of link 1). Default: `+NAME:` of the command, except lines that
   * are always URCs (`+CIPRXGET: 1,<link>`, `+CIPEVENT`, boot lines, …).
   */
  responsePrefixes?: readonly string[];
  /** Bytes to write after the `>` prompt (AT+CIPSEND). */
  data?: Uint8Array;
  /** A line that completes the command after `OK` (or before it, in the response). */
  completion?: CompletionSpec;
  /**
   * Called synchronously with the successful response (completion included) before any later byte
   * is parsed — for state that the very next output depends on (a link is open before its first
   * pushed data is routed). The promise resolves afterwards, as usual.
   */
  onSuccess?: (response: AtResponse) => void;
}

export interface CompletionSpec {
  readonly match: (line: string) => boolean;
  /** What is awaited, for the timeout message (`+CIPOPEN: 1,<err>`). */
  readonly what: string;
  /** Default: the command's response time. */
  readonly timeoutMs?: number;
}

/** A block of a CIPRXGET=2 (raw) or =3 (hex) read. */
export interface RxgetBlock {
  readonly mode: 2 | 3;
  readonly link: number;
  /** Bytes still buffered in the module after this read. */
  readonly rest: number;
  readonly bytes: Buffer;
}

/** Data the module pushed (`+IPD`, `+RECEIVE`). */
export interface PushBlock {
  readonly header: 'ipd' | 'receive';
  /** Known with `+RECEIVE,<link>,<n>`; `+IPD<n>` carries no link number. */
  readonly link: number | undefined;
  readonly from: RemoteAddress | undefined;
  readonly bytes: Buffer;
}

export interface AtResponse {
  readonly command: string;
  /** Information lines in order (echo, URCs and the final result excluded). */
  readonly lines: readonly string[];
  readonly final: string;
  readonly blocks: readonly RxgetBlock[];
  /** The completion line, when the command asked for one. */
  readonly completion: string | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  /** What is awaited, for the timeout message. */
  what: string;
  /** The command this wait belongs to, for error messages. */
  command?: string;
  signal?: AbortSignal;
}

export interface AtChannelEvents {
  /** Every unsolicited line; `handled` = a waitress or a handler took it. */
  urc: [line: string, handled: boolean];
  push: [block: PushBlock];
  /** A CIPRXGET data block with no read in flight (should not happen; kept, not lost). */
  rxget: [block: RxgetBlock];
  /** A `+CCHRECV: DATA,<session>,<n>` frame of the SSL service (see ssl-client.ts). */
  'cch-data': [session: number, bytes: Buffer];
  /** Bytes in transparent data mode. */
  passthrough: [bytes: Buffer];
  /** Data mode entered (`CONNECT…` answer or unsolicited on a transparent accept) or left. */
  'data-mode': [entered: boolean, line: string];
  /** `<CR><LF>CLOSED<CR><LF>` appeared in data mode: data or the link's end? (`probeDataMode`) */
  'close-candidate': [];
  /** A boot URC: the module restarted. */
  reset: [line: string];
  /** A final result with no command to own it (e.g. `OK` after `+++`, a late answer after a timeout). */
  'stray-final': [line: string];
  close: [error: ChannelClosedError];
  /**
   * A listener or URC handler threw. Without a listener for this event the error is rethrown on
   * the next tick (an uncaught exception, as from any listener); either way the parser goes on
   * with the rest of the chunk, so one bad listener cannot break the framing.
   */
  'listener-error': [error: unknown];
}

export type UrcHandler = (line: string) => void;

interface Pending {
  readonly text: string;
  readonly bytes: Buffer;
  readonly options: CommandOptions;
  readonly timeoutMs: number;
  readonly prefixes: readonly string[];
  readonly explicitPrefixes: boolean;
  readonly resolve: (response: AtResponse) => void;
  readonly reject: (error: Error) => void;
  lines: string[];
  blocks: RxgetBlock[];
  echoSeen: boolean;
  promptSeen: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Bounds the wait in the queue while the port is in data mode. */
  queueTimer: NodeJS.Timeout | undefined;
  /** Timed out: kept only to absorb a late answer. */
  zombie: boolean;
}

interface Waitress {
  readonly match: (line: string) => boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
  readonly command: string | undefined;
  /** Awaits a command's async completion: a module reset means it will never come. */
  readonly completion: boolean;
  timer: NodeJS.Timeout | undefined;
}

export type EchoState = 'unknown' | 'on' | 'off';

const DEFAULT_RECOVERY_MS = 1_000;
const DEFAULT_GUARD_MS = 1_000;
const DEFAULT_ESCAPE_ANSWER_MS = 1_000;
const OK_BYTES = Buffer.from('\r\nOK\r\n', 'latin1');

/** Data written in transparent mode while it must wait (guard silence, online command mode). */
interface HeldData {
  readonly bytes: Buffer;
  readonly callback: ((error?: Error | null) => void) | undefined;
}

export class AtChannel extends EventEmitter<AtChannelEvents> {
  readonly name: string;
  private readonly transport: Duplex;
  private readonly parser: ModuleOutputParser;
  private readonly timeouts: TimeoutOverrides;
  private readonly recoveryMs: number;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private readonly waitresses: Waitress[] = [];
  private readonly handlers: { prefix: string; handler: UrcHandler }[] = [];
  private closedWith: ChannelClosedError | undefined;
  private echoState: EchoState = 'unknown';
  private readonly inbox: Buffer[] = [];
  private feeding = false;
  private dataMode = false;
  private readonly guardMs: number;
  private readonly escapeAnswerMs: number;
  private readonly closeLine: string | undefined;
  /** Transparent data is held (not written) while this is set: during `+++` and until `ATO`. */
  private holdingData = false;
  private heldData: HeldData[] = [];
  /** Called after every chunk while a probe watches the held bytes. */
  private heldWatcher: (() => void) | undefined;
  private probe: Promise<'data' | 'closed'> | undefined;

  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onClose = (): void => this.shutdown(undefined);
  private readonly onError = (error: Error): void => this.shutdown(error);

  constructor(transport: Duplex, options: AtChannelOptions = {}) {
    super();
    this.transport = transport;
    this.name = options.name ?? 'at';
    this.timeouts = options.timeouts ?? {};
    this.recoveryMs = options.recoveryMs ?? DEFAULT_RECOVERY_MS;
    this.guardMs = options.guardMs ?? DEFAULT_GUARD_MS;
    this.escapeAnswerMs = options.escapeAnswerMs ?? DEFAULT_ESCAPE_ANSWER_MS;
    this.closeLine = options.transparentCloseLine === null ? undefined : (options.transparentCloseLine ?? 'CLOSED');
    this.parser = new ModuleOutputParser((event) => this.onEvent(event));
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
   * error, decoded), `AtTimeoutError` or `ChannelClosedError`.
   */
  command(text: string, options: CommandOptions = {}): Promise<AtResponse> {
    if (this.closedWith !== undefined) return Promise.reject(new ChannelClosedError(text, this.closedWith.reason));
    if (/[\r\n]/.test(text)) return Promise.reject(new RangeError(`a command line cannot contain CR or LF: ${JSON.stringify(text)}`));
    const explicit = options.responsePrefixes !== undefined;
    return new Promise<AtResponse>((resolve, reject) => {
      this.queue.push({
        text,
        bytes: Buffer.from(`${text}\r`, 'latin1'),
        options,
        timeoutMs: options.timeoutMs ?? maxResponseMs(text, this.timeouts),
        prefixes: options.responsePrefixes ?? defaultPrefixes(text),
        explicitPrefixes: explicit,
        resolve,
        reject,
        lines: [],
        blocks: [],
        echoSeen: false,
        promptSeen: false,
        timer: undefined,
        queueTimer: undefined,
        zombie: false,
      });
      if (this.dataMode) this.armQueueTimer(this.queue[this.queue.length - 1] as Pending);
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
    return new Promise<string>((resolve, reject) => {
      const waitress = this.addWaitress(match, options.command, resolve, reject, false);
      waitress.timer = setTimeout(() => {
        this.removeWaitress(waitress);
        reject(new AtTimeoutError(options.command ?? '', options.what, options.timeoutMs));
      }, options.timeoutMs);
      const signal = options.signal;
      if (signal !== undefined) {
        const abort = (): void => {
          if (!this.removeWaitress(waitress)) return;
          clearTimeout(waitress.timer);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  /**
   * Reject the async completions still awaited for commands that `matches` (e.g. every
   * `AT+CIPSEND`/`AT+CIPOPEN` when the network is lost: their completion lines may never come).
   * Returns how many were rejected.
   */
  failCompletions(matches: (command: string) => boolean, error: Error): number {
    let count = 0;
    for (const waitress of [...this.waitresses]) {
      if (!waitress.completion || waitress.command === undefined || !matches(waitress.command)) continue;
      this.removeWaitress(waitress);
      clearTimeout(waitress.timer);
      waitress.reject(error);
      count++;
    }
    return count;
  }

  /** Call `handler` for every unsolicited line starting with `prefix`. Returns the unsubscribe function. */
  onUrc(prefix: string, handler: UrcHandler): () => void {
    const entry = { prefix, handler };
    this.handlers.push(entry);
    return () => {
      const i = this.handlers.indexOf(entry);
      if (i >= 0) this.handlers.splice(i, 1);
    };
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

  /**
   * Raw bytes to the module in data mode (transparent). `callback` runs once the transport took
   * them (back-pressure) or with the error that lost them. While `+++` is in progress or the port
   * is in online command mode the bytes wait, in order, for `resumeDataMode()`.
   */
  writeData(bytes: Uint8Array, callback?: (error?: Error | null) => void): void {
    if (this.closedWith !== undefined) {
      const error = new ChannelClosedError(undefined, this.closedWith.reason);
      if (callback === undefined) throw error;
      queueMicrotask(() => callback(error));
      return;
    }
    if (this.holdingData) {
      this.heldData.push({ bytes: Buffer.from(bytes), callback });
      return;
    }
    this.write(Buffer.from(bytes), callback);
  }

  /**
   * Leave transparent data mode with `+++` (guard times around it, spec §3.4). Resolves with the
   * line that ended data mode: `OK` (online command mode, the link stays up: `resumeDataMode()`
   * goes back) or `CLOSED` (the link ended meanwhile). Data written meanwhile waits for
   * `resumeDataMode()`; data that arrives meanwhile is still delivered as passthrough (what comes
   * after `+++` once the answer is known: an `OK` inside the data is data).
   */
  async escapeDataMode(options: { guardMs?: number; timeoutMs?: number } = {}): Promise<string> {
    if (!this.dataMode) throw new DriverStateError('not in data mode');
    const guard = options.guardMs ?? this.guardMs;
    this.holdingData = true;
    if (this.parser.heldBytes !== undefined) {
      // A close candidate is being probed already: its probe decides.
      return (await this.probeDataMode()) === 'closed' ? 'CLOSED' : 'OK';
    }
    // Before `+++` is out an `OK` can only be data; the link may still end meanwhile (`CLOSED`).
    this.parser.watchCloseMarker(undefined);
    this.parser.endPassthroughAt(this.closeLine === undefined ? [] : [this.closeLine]);
    const left = this.dataModeLeft(options.timeoutMs ?? guard * 2 + this.escapeAnswerMs + this.quietMs * 2, '+++');
    left.catch(() => {}); // observed below; must not count as unhandled while the guard runs
    await sleep(guard);
    // (Read again: a close candidate may have come during the guard; its probe decides then.)
    const alreadyHeld = (this.parser.heldBytes as Buffer | undefined) !== undefined;
    if (this.closedWith === undefined && this.dataMode && this.parser.inPassthrough && !alreadyHeld) {
      // From `+++` on, an `OK` may be the peer's data still in flight or the answer: hold and decide.
      this.parser.holdFromHere();
      this.write(Buffer.from('+++', 'latin1'));
      const okAt = await this.okInHeld(0, guard, guard + this.escapeAnswerMs);
      const marker = this.closeLine === undefined ? undefined : Buffer.from(`\r\n${this.closeLine}\r\n`, 'latin1');
      const held = this.parser.heldBytes as Buffer | undefined;
      const closedAt = okAt >= 0 || marker === undefined || held === undefined ? -1 : held.indexOf(marker);
      const answerAt = okAt >= 0 ? okAt : closedAt;
      // Up to the answer (`OK`, or the `CLOSED` of a link that ended meanwhile) the bytes are data;
      // without one they all are, and `left` times out.
      this.underFeedLock(() => this.parser.settleHeld(answerAt >= 0 ? answerAt : Number.MAX_SAFE_INTEGER, answerAt >= 0 ? 'command' : 'data'));
    }
    return left;
  }

  /** Silence after an `OK` in the held bytes that makes it the answer to `+++` (see `okInHeld`). */
  private get quietMs(): number {
    return Math.min(this.escapeAnswerMs, Math.max(20, Math.round(this.guardMs / 4)));
  }

  /**
   * After a `close-candidate`: find out whether the module is still in data mode. Sends a guarded
   * `+++`; an `OK` after it means yes (the held bytes up to it are data; the port is now in online
   * command mode: call `resumeDataMode()`), none means the module had left data mode and printed
   * `CLOSED` (the held bytes are parsed as command-mode output). Host data waits meanwhile.
   */
  async probeDataMode(): Promise<'data' | 'closed'> {
    const start = this.parser.heldBytes;
    if (start === undefined) return this.dataMode ? 'data' : 'closed';
    this.holdingData = true;
    if (this.probe !== undefined) return this.probe;
    const probe = (async (): Promise<'data' | 'closed'> => {
      await sleep(this.guardMs);
      if (this.closedWith !== undefined) throw new ChannelClosedError('+++', this.closedWith.reason);
      const mark = this.parser.heldBytes?.length ?? 0;
      this.write(Buffer.from('+++', 'latin1'));
      const okAt = await this.okInHeld(mark, this.guardMs, this.guardMs + this.escapeAnswerMs);
      this.underFeedLock(() => this.parser.settleHeld(okAt < 0 ? 0 : okAt, 'command'));
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
  async resumeDataMode(): Promise<void> {
    if (this.dataMode) {
      this.releaseHeldData();
      return;
    }
    try {
      await this.command('ATO');
    } catch (error) {
      this.dropHeldData(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (!this.dataMode) {
      const error = new DriverStateError('ATO answered without CONNECT');
      this.dropHeldData(error);
      throw error;
    }
    this.releaseHeldData();
  }

  /** Fail every data write still waiting (the transparent link is gone). */
  dropHeldData(error: Error): void {
    this.holdingData = false;
    for (const held of this.heldData.splice(0)) held.callback?.(error);
  }

  private releaseHeldData(): void {
    this.holdingData = false;
    for (const held of this.heldData.splice(0)) this.write(held.bytes, held.callback);
  }

  /** Resolves with the line that ends data mode (`data-mode` false), or rejects after `timeoutMs`. */
  private dataModeLeft(timeoutMs: number, command: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const onMode = (entered: boolean, line: string): void => {
        if (entered) return;
        cleanup();
        resolve(line);
      };
      const onClose = (error: ChannelClosedError): void => {
        cleanup();
        reject(new ChannelClosedError(command, error.reason));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new AtTimeoutError(command, 'OK (or CLOSED) leaving data mode', timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('data-mode', onMode);
        this.off('close', onClose);
      };
      this.on('data-mode', onMode);
      this.on('close', onClose);
    });
  }

  /**
   * Where the module's `OK` to a `+++` just written is in the held bytes (at or after `from`); -1
   * when none came within `timeoutMs`. The module answers only after its trailing guard time (`guardMs`) and
   * passes no data after answering, while an `\r\nOK\r\n` inside the peer's data may still be on
   * its way when `+++` goes out: so the answer is the *last* `OK` once the guard time has passed
   * and the line has then been quiet for `quietMs`.
   */
  private okInHeld(from: number, guardMs: number, timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const started = Date.now();
      let length = this.parser.heldBytes?.length ?? 0;
      let changed = started;
      const lastOk = (): number => {
        const at = this.parser.heldBytes?.lastIndexOf(OK_BYTES) ?? -1;
        return at >= from ? at : -1;
      };
      const finish = (at: number): void => {
        clearInterval(poll);
        clearTimeout(timer);
        if (this.heldWatcher === watcher) this.heldWatcher = undefined;
        resolve(at);
      };
      const watcher = (): void => {
        const now = this.parser.heldBytes?.length ?? 0;
        if (now !== length) {
          length = now;
          changed = Date.now();
        }
        if (this.closedWith !== undefined || this.parser.heldBytes === undefined) finish(-1);
      };
      const check = (): void => {
        const now = Date.now();
        if (now - started < guardMs || now - changed < this.quietMs) return;
        const at = lastOk();
        if (at >= 0) finish(at);
      };
      const poll = setInterval(check, Math.max(5, Math.round(this.quietMs / 2)));
      const timer = setTimeout(() => finish(lastOk()), timeoutMs);
      this.heldWatcher = watcher;
      watcher();
    });
  }

  /** Run parser work outside `receive` with the same no-re-entry discipline. */
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

  /** Close the transport; everything pending rejects with `ChannelClosedError`. */
  close(): void {
    this.shutdown(undefined);
    if (!this.transport.destroyed) this.transport.destroy();
  }

  // ---------------------------------------------------------------- sending

  private pump(): void {
    // In data mode every byte written goes to the peer: commands wait until it is left.
    if (this.current !== undefined || this.closedWith !== undefined || this.dataMode) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.current = next;
    if (next.queueTimer !== undefined) clearTimeout(next.queueTimer);
    this.parser.expectEcho(next.bytes);
    if (next.options.data !== undefined) this.parser.expectPrompt();
    next.timer = setTimeout(() => this.onTimeout(next), next.timeoutMs);
    this.write(next.bytes);
  }

  /** A command asked for in data mode gives up after its timeout if data mode has not ended by then. */
  private armQueueTimer(pending: Pending): void {
    if (pending.queueTimer !== undefined) return;
    pending.queueTimer = setTimeout(() => {
      const i = this.queue.indexOf(pending);
      if (i < 0) return;
      this.queue.splice(i, 1);
      pending.reject(new AtTimeoutError(pending.text, 'the end of transparent data mode', pending.timeoutMs));
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
    pending.zombie = true;
    pending.reject(new AtTimeoutError(pending.text, waitingFor, pending.timeoutMs));
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = undefined;
      if (this.current !== pending) return;
      this.current = undefined;
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
    this.feeding = true;
    try {
      let next: Buffer | undefined;
      while ((next = this.inbox.shift()) !== undefined) this.parser.feed(next);
    } finally {
      this.feeding = false;
    }
    this.heldWatcher?.();
  }

  private onEvent(event: ModuleEvent): void {
    try {
      this.dispatch(event);
    } catch (error) {
      this.listenerFailed(error);
    }
  }

  private listenerFailed(error: unknown): void {
    if (this.listenerCount('listener-error') > 0) {
      try {
        this.emit('listener-error', error);
        return;
      } catch (again) {
        error = again;
      }
    }
    process.nextTick(() => {
      throw error;
    });
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
    const pending = this.current;
    if (isFinalLine(line)) {
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
      pending.lines.push(line);
      return;
    }
    if (this.offerToWaitresses(line)) {
      this.notify('urc', line, true);
      return;
    }
    if (matchesAny(line, ALWAYS_URC)) {
      this.routeUrc(line, false);
      return;
    }
    if (!pending.explicitPrefixes && startsWithAny(line, pending.prefixes)) {
      pending.lines.push(line);
      return;
    }
    if (isKnownUrc(line) || this.hasHandlerFor(line)) {
      this.routeUrc(line, false);
      return;
    }
    pending.lines.push(line);
  }

  private finish(pending: Pending, final: string): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    this.current = undefined;
    this.parser.clearEcho();
    this.parser.cancelPrompt();
    if (pending.zombie) {
      // The late answer of a command that already timed out.
      if (this.recoveryTimer !== undefined) clearTimeout(this.recoveryTimer);
      this.recoveryTimer = undefined;
      this.notify('stray-final', final);
      this.pump();
      return;
    }
    this.learnEcho(pending, final);
    if (isSuccessLine(final)) {
      if (isConnectLine(final)) this.enterDataMode(final);
      this.succeed(pending, final);
    } else {
      pending.reject(commandError(pending.text, final, pending.lines));
    }
    this.pump();
  }

  private succeed(pending: Pending, final: string): void {
    const completion = pending.options.completion;
    const settle = (line: string | undefined): void => {
      const response: AtResponse = { command: pending.text, lines: pending.lines, final, blocks: pending.blocks, completion: line };
      try {
        pending.options.onSuccess?.(response);
      } catch (error) {
        pending.reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      pending.resolve(response);
    };
    // `CONNECT`: the operation succeeded by entering data mode; no completion line will follow.
    if (completion === undefined || isConnectLine(final)) {
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
    const waitress = this.addWaitress(completion.match, pending.text, settle, pending.reject, true);
    waitress.timer = setTimeout(() => {
      this.removeWaitress(waitress);
      pending.reject(new AtTimeoutError(pending.text, completion.what, timeoutMs));
    }, timeoutMs);
  }

  private learnEcho(pending: Pending, final: string): void {
    this.echoState = pending.echoSeen ? 'on' : 'off';
    if (final !== 'OK') return;
    for (const c of commandsOf(pending.text)) {
      if (c.name === 'E') {
        const value = c.params[0];
        this.echoState = value !== undefined && value.kind !== 'empty' && value.value === '1' ? 'on' : 'off';
      } else if (c.name === 'Z' || c.name === '&F') {
        this.echoState = 'unknown';
      }
    }
  }

  /** The module restarted: completions still awaited will never come; echo is back to its default. */
  private onBoot(line: string): void {
    this.echoState = 'unknown';
    for (const waitress of [...this.waitresses]) {
      if (!waitress.completion) continue;
      this.removeWaitress(waitress);
      clearTimeout(waitress.timer);
      waitress.reject(new ModuleResetError(line));
    }
    this.notify('reset', line);
  }

  private unownedFinal(line: string): void {
    if (isConnectLine(line)) {
      // A transparent-mode server accepted a client (`+CLIENT: 0,0,…` then `CONNECT 115200`).
      this.enterDataMode(line);
      return;
    }
    if (this.offerToWaitresses(line)) return;
    this.notify('stray-final', line);
  }

  private enterDataMode(line: string): void {
    this.parser.enterPassthrough();
    this.parser.watchCloseMarker(this.closeLine);
    this.dataMode = true;
    // Commands queued behind the one that entered data mode wait for it to end, but not forever.
    for (const queued of this.queue) this.armQueueTimer(queued);
    this.notify('data-mode', true, line);
  }

  private routeUrc(line: string, offerWaitresses = true): void {
    if (offerWaitresses && this.offerToWaitresses(line)) {
      this.notify('urc', line, true);
      return;
    }
    let handled = false;
    for (const { prefix, handler } of [...this.handlers]) {
      if (!line.startsWith(prefix)) continue;
      handled = true;
      try {
        handler(line);
      } catch (error) {
        // A failing handler must not break the line discipline for everyone else.
        this.listenerFailed(error);
      }
    }
    this.notify('urc', line, handled);
  }

  private hasHandlerFor(line: string): boolean {
    for (const { prefix } of this.handlers) if (line.startsWith(prefix)) return true;
    return false;
  }

  // ---------------------------------------------------------------- waitresses

  private addWaitress(
    match: (line: string) => boolean,
    command: string | undefined,
    resolve: (line: string) => void,
    reject: (error: Error) => void,
    completion: boolean,
  ): Waitress {
    const waitress: Waitress = { match, resolve, reject, command, completion, timer: undefined };
    this.waitresses.push(waitress);
    return waitress;
  }

  private removeWaitress(waitress: Waitress): boolean {
    const i = this.waitresses.indexOf(waitress);
    if (i < 0) return false;
    this.waitresses.splice(i, 1);
    return true;
  }

  private offerToWaitresses(line: string): boolean {
    for (const waitress of this.waitresses) {
      let matched = false;
      try {
        matched = waitress.match(line);
      } catch {
        matched = false;
      }
      if (!matched) continue;
      this.removeWaitress(waitress);
      clearTimeout(waitress.timer);
      waitress.resolve(line);
      return true;
    }
    return false;
  }


  // ---------------------------------------------------------------- shutdown

  private shutdown(reason: Error | undefined): void {
    if (this.closedWith !== undefined) return;
    const error = new ChannelClosedError(undefined, reason);
    this.closedWith = error;
    this.transport.off('data', this.onData);
    if (this.recoveryTimer !== undefined) clearTimeout(this.recoveryTimer);
    this.dropHeldData(new ChannelClosedError(undefined, reason));
    this.heldWatcher?.();
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      if (!pending.zombie) pending.reject(new ChannelClosedError(pending.text, reason));
    }
    for (const queued of this.queue.splice(0)) {
      if (queued.queueTimer !== undefined) clearTimeout(queued.queueTimer);
      queued.reject(new ChannelClosedError(queued.text, reason));
    }
    for (const waitress of this.waitresses.splice(0)) {
      clearTimeout(waitress.timer);
      waitress.reject(new ChannelClosedError(waitress.command, reason));
    }
    // An 'error' after close must not become an uncaught exception.
    this.transport.on('error', () => {});
    this.notify('close', error);
  }
}

/** The default response prefix: `+NAME:` of an extended command (`+CICCID` answers `+ICCID:`). */
function defaultPrefixes(text: string): readonly string[] {
  const first = commandsOf(text)[0];
  if (first === undefined || !/^[+*$^]/.test(first.name)) return [];
  if (first.name === '+CICCID') return ['+ICCID:'];
  return [`${first.name}:`];
}

function startsWithAny(line: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) if (line.startsWith(p)) return true;
  return false;
}

function matchesAny(line: string, patterns: readonly RegExp[]): boolean {
  for (const re of patterns) if (re.test(line)) return true;
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text after `prefix` (and one optional space) of the first response line that has it. */
export function responseValue(response: AtResponse, prefix: string): string | undefined {
  for (const line of response.lines) {
    if (line.startsWith(prefix)) return line.slice(prefix.length).replace(/^ /, '');
  }
  return undefined;
}
