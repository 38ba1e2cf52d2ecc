import { EventEmitter } from 'node:events';
import { ByteBuilder } from '../common/byte-builder.js';
import { parseCommandLine, type AtCommand } from '../at/syntax.js';
import { Params, ParamError } from '../at/params.js';
import { formatCmeError, formatConnect, formatIpError, RESULT_CODES } from '../at/result-codes.js';
import { framed, framedLine, formatNumericResult, formatPrompt } from '../at/frames/framing.js';
import { cmeText } from '../at/errors.js';
import { realClock, type Clock } from './clock.js';
import { makeConfig, type ConfigOverrides, type EmulatorConfig } from './config.js';
import type { Dialect } from './dialect.js';
import { LineEditor } from './line-editor.js';
import { DataPhase } from './data-phase.js';
import { InputQueue } from './input-queue.js';
import { PortOutput } from './port-output.js';

export { HELD_URC_HIGH_WATER, HELD_URC_LIMIT } from './port-output.js';
import { powerOnState, type ModemState } from './state.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { InputHolds } from './input-holds.js';
import {
  ERROR,
  NONE,
  OK,
  type CommandContext,
  type CommandSpec,
  type DataRequest,
  type DataResult,
  type Outcome,
} from './commands/types.js';
import type { Network } from './network/types.js';
import { bootSequence } from './radio/boot.js';
import { RadioTimers } from './radio/timers.js';
import { SslService } from './ssl/service.js';
import { SocketService } from './links.js';
import { TransparentMode } from './transparent.js';
import { newLife, type LifeEnd } from './life.js';
import type { DataModeHandler, EmulatedModemEvents } from './module-port.js';
import { errorDetail } from '../common/errors.js';

export type { DataModeHandler, EmulatedModemEvents } from './module-port.js';

export interface EmulatedModemOptions {
  config?: EmulatorConfig | ConfigOverrides;
  clock?: Clock;
  network?: Network;
  /** Diagnostics that are not on the wire (handler exceptions, …). */
  log?: (message: string) => void;
  /** The commands the module answers, by upper-case name (default: the standard table, commands/index.ts). */
  commands?: ReadonlyMap<string, CommandSpec>;
}

/**
 * Bytes from the host waiting to be processed (a command runs meanwhile) above which the host's
 * input is held (`holdInput`); released at half of it. A host is meant to wait for the final
 * result code (spec §1.2), so only a flooding host gets here.
 */
export const INPUT_QUEUE_HIGH_WATER = 64 * 1024;
/**
 * Command-mode bytes one modem processes per turn of the event loop; more wait for the next turn
 * (a 5 MB line in one chunk must not stall the other modems of a fleet).
 */
export const COMMAND_BYTES_PER_TURN = 64 * 1024;
/** Echo bytes gathered before they are written (one write per input chunk, or per this many). */
const ECHO_BATCH = 4096;

/**
 * The emulated module on its AT port: bytes in (`input`), bytes out (`output` events).
 *
 * One command runs at a time; input that arrives meanwhile waits. URCs never split a response:
 * they are held while a command runs, during a data phase and in data mode, and written after.
 */
export class EmulatedModem extends EventEmitter<EmulatedModemEvents> {
  readonly config: EmulatorConfig;
  readonly clock: Clock;
  readonly network: Network | undefined;
  state: ModemState;

  /** Diagnostics that are not on the wire (handler exceptions, bytes a full link lost, …). */
  readonly log: (message: string) => void;
  /** The socket service: ten links, four servers, NETOPEN, receive buffers (links.ts). */
  readonly sockets: SocketService;
  /** Transparent mode on link 0 (transparent.ts). */
  readonly transparent: TransparentMode;
  /** Timers of the radio (boot steps, AUTOCSQ, pings, NTP, a scheduled reboot); they die with the life. */
  readonly radioTimers: RadioTimers;
  private readonly commands: ReadonlyMap<string, CommandSpec>;
  /** The current life (life.ts): aborted by `reboot()` and `powerOff()`, renewed by `reboot()`. */
  private lifeController = newLife();
  private editor = new LineEditor();
  private readonly inbox = new InputQueue();
  /** Command-mode bytes this turn of the event loop may still process (COMMAND_BYTES_PER_TURN). */
  private turnBudget = 0;
  private resumeScheduled = false;
  /** Echo bytes not written yet (see `flushEcho`). */
  /** Echo waiting for the end of its input chunk (flushed early at ECHO_BATCH bytes). */
  private readonly echo = new ByteBuilder(ECHO_BATCH);
  /** Replies as bursts, held URCs, output pressure (port-output.ts). */
  private readonly out = new PortOutput({
    write: (bytes) => this.emit('output', bytes),
    holding: () => this.holdingUrcs,
    pressureChanged: (full, hostStalled) => {
      // A host that does not read gets no more echo either: its input waits until it reads again
      // (held URCs alone do not hold it: the host must be able to finish a `>` prompt).
      this.holdInput(HOST_NOT_READING_REASON, hostStalled);
      if (full === this.pressureReported) return;
      this.pressureReported = full;
      this.sockets.followHostPressure(full);
      this.emit('output-pressure', full);
    },
    log: (message) => this.log(message),
  });
  private pressureReported = false;
  private busy = false;
  private responseOpen = false;
  private dataPhase: DataPhase | undefined;
  private dataMode: DataModeHandler | undefined;
  private dtrLevel = true;
  /** The input push after which the last `>` prompt or `CONNECT` went out. */
  private promptAfterPush = 0;
  /** Why input is held (see `holdInput`); empty when the host may send. */
  private readonly inputHolds = new InputHolds((held) => this.emit('input-hold', held));

  constructor(options: EmulatedModemOptions = {}) {
    super();
    const config = options.config;
    this.config = config !== undefined && 'dialect' in config && 'identity' in config && 'hosts' in config
      ? (config as EmulatorConfig)
      : makeConfig(config as ConfigOverrides | undefined);
    this.clock = options.clock ?? realClock;
    this.network = options.network;
    this.log = options.log ?? (() => {});
    this.state = powerOnState(this.config);
    this.commands = options.commands ?? COMMANDS;
    this.sockets = new SocketService(this);
    this.transparent = new TransparentMode(this, this.sockets);
    this.radioTimers = new RadioTimers(this.clock, () => this.life);
  }

  private sslService: SslService | undefined;

  /** The SSL service (AT+CSSLCFG, AT+CCERT*, AT+CCH*), made on first use; its certificate files survive reboots. */
  get ssl(): SslService {
    return (this.sslService ??= new SslService(this));
  }

  /**
   * The signal of the module's current life: everything scheduled in a life (timers, opens,
   * handshakes) stops when it aborts, at a reboot or power-off.
   */
  get life(): AbortSignal {
    return this.lifeController.signal;
  }

  /**
   * Whether the module rebooted since `life` (a newer life began): what a command of it would still
   * print is cut off. A power-off ends a life without beginning one: the command that powered the
   * module off still prints its result code.
   */
  private rebootedSince(life: AbortSignal): boolean {
    return life !== this.life;
  }

  get dialect(): Dialect {
    return this.config.dialect;
  }

  /** Print the boot URCs (when configured): call once the host side is attached. */
  start(): void {
    bootSequence(this, this.config.bootUrcs);
  }

  // ---------------------------------------------------------------- input

  /**
   * Bytes from the host. The modem keeps them (not a copy) until they are processed — in data
   * mode until they left on the link — so a caller must not write into them afterwards (stream
   * chunks are never reused; the transports and AtLine hand over fresh buffers).
   */
  input(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.inbox.push(bytes);
    this.pump();
  }

  private pump(): void {
    this.turnBudget = COMMAND_BYTES_PER_TURN;
    for (let chunk = this.inbox.head; chunk !== undefined; chunk = this.inbox.head) {
      const used = this.consume(chunk);
      this.inbox.advance(used);
      if (used < chunk.length) break; // a command runs, or this turn's budget is spent: the rest waits
    }
    if (this.turnBudget <= 0 && !this.resumeScheduled && this.inbox.length > 0) {
      // Fairness (fleet mode): a host typing megabytes without a <CR> gets one budget per turn of
      // the event loop, so the other modems in the process are served in between.
      this.resumeScheduled = true;
      const life = this.life;
      setImmediate(() => {
        this.resumeScheduled = false;
        if (!this.rebootedSince(life)) this.pump();
      });
    }
    this.flushEcho();
    const held = this.inputHeldForQueue;
    const full = this.inbox.length > (held ? INPUT_QUEUE_HIGH_WATER / 2 : INPUT_QUEUE_HIGH_WATER);
    if (full !== held) this.holdInput(INPUT_QUEUE_REASON, full);
  }

  private get inputHeldForQueue(): boolean {
    return this.inputHolds.has(INPUT_QUEUE_REASON);
  }

  /** Process bytes from the front of `chunk` until a command starts running; returns how many were used. */
  private consume(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length) {
      // Powered off (AT+CPOF): input is lost until power-on (`reboot()`).
      if (this.state.poweredOff) return chunk.length;
      if (this.editor.awaitingLf) {
        // The terminator's LF is judged in every mode, even while the command runs (line-editor.ts).
        if (this.editor.takeTerminatorLf(chunk[pos] as number, this.promptOut)) pos++;
        continue;
      }
      if (this.dataPhase !== undefined) {
        pos += this.feedDataPhase(pos === 0 ? chunk : chunk.subarray(pos));
        continue;
      }
      if (this.busy) return pos;
      if (this.dataMode !== undefined) {
        // The chunk is the modem's own and is never written to: no second copy.
        this.dataMode.input(pos === 0 ? chunk : chunk.subarray(pos));
        return chunk.length;
      }
      if (this.turnBudget-- <= 0) return pos;
      const step = this.editor.feed(chunk[pos++] as number);
      if (step.kind === 'echo') {
        if (this.state.serial.echo) this.echoByte(step.byte);
      } else if (step.kind === 'line') {
        if (this.state.serial.echo) this.echoByte(0x0d);
        this.flushEcho();
        void this.runLine(step.body, step.overflow);
      }
    }
    return pos;
  }

  /** Whether the byte at the head of the input arrived after the `>` prompt or `CONNECT` went out. */
  private get promptOut(): boolean {
    return (this.dataPhase !== undefined || this.dataMode !== undefined) && this.inbox.headSerial > this.promptAfterPush;
  }

  private echoByte(byte: number): void {
    if (this.echo.full) this.flushEcho();
    this.echo.push(byte);
  }

  /** Echo goes out as typed, but as one write per input chunk rather than one per byte. */
  private flushEcho(): void {
    if (this.echo.length > 0) this.emitOutput(this.echo.take());
  }

  // ---------------------------------------------------------------- execution

  private async runLine(body: string, overflow: boolean): Promise<void> {
    this.busy = true;
    this.responseOpen = false;
    this.out.beginBurst();
    const life = this.life;
    let outcome: Outcome;
    try {
      // Always finish asynchronously: the pump that started this line is still on the stack, and
      // re-entering it from here would run the same input again.
      outcome = await (overflow ? ERROR : this.runCommands(body, life));
    } catch (err) {
      this.log(`internal error on AT${body}: ${errorDetail(err)}`);
      outcome = ERROR;
    }
    if (this.rebootedSince(life)) return; // the module rebooted meanwhile: the command died with it
    this.writeFinal(outcome);
    this.out.endBurst();
    this.busy = false;
    this.responseOpen = false;
    this.flushUrcs();
    this.pump();
  }

  private async runCommands(body: string, life: AbortSignal): Promise<Outcome> {
    let commands: AtCommand[];
    try {
      commands = parseCommandLine(body);
    } catch {
      return ERROR;
    }
    for (const command of commands) {
      if (this.rebootedSince(life)) return NONE;
      const outcome = await this.dispatch(command, life);
      if (outcome.kind !== 'ok') return outcome;
    }
    return OK;
  }

  private async dispatch(command: AtCommand, life: AbortSignal): Promise<Outcome> {
    const handler = findCommand(this.commands, command.name, this.dialect.lenientAliases)?.[command.form];
    if (handler === undefined) return ERROR;
    try {
      return await handler(this.contextFor(command, life));
    } catch (err) {
      if (err instanceof ParamError) return ERROR;
      throw err;
    }
  }

  /** A handler's view of the port; once the module rebooted, a handler still running is cut off. */
  private contextFor(command: AtCommand, life: AbortSignal): CommandContext {
    const modem = this;
    const alive = () => !this.rebootedSince(life);
    return {
      modem,
      life,
      state: this.state,
      command,
      params: new Params(command.params),
      info: (line) => {
        if (alive()) this.writeInfo(line);
      },
      raw: (bytes) => {
        if (alive()) this.emitOutput(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
      },
      ipError: (code) => {
        if (alive()) this.writeInfo(formatIpError(this.ipErrorInfo(code)));
        return ERROR;
      },
      failWith: (line) => {
        if (alive()) this.writeInfo(line);
        return ERROR;
      },
      readData: (request) => (alive() ? this.readData(request) : Promise.resolve({ kind: 'cancelled' })),
    };
  }

  /** `<err_info>` as text or number per CIPCCFG errMode (spec §5.1). */
  ipErrorInfo(code: number): string {
    if (this.state.ip.ccfg.errMode === 0) return String(code);
    return this.dialect.ipErrorText[code] ?? String(code);
  }

  // ---------------------------------------------------------------- data phase (CIPSEND)

  private readData(request: DataRequest): Promise<DataResult> {
    this.emitOutput(Buffer.from(formatPrompt(this.dialect.prompt), 'latin1'));
    // The prompt ends this part of the reply: the host waits for it.
    this.out.flushBurst();
    this.promptAfterPush = this.inbox.pushed;
    return new Promise((resolve) => {
      this.dataPhase = new DataPhase(request, resolve);
      // Bytes that arrived behind the command line are the data.
      queueMicrotask(() => this.pump());
    });
  }

  /** Feed data-phase bytes from the front of `bytes`; returns how many were used. */
  private feedDataPhase(bytes: Buffer): number {
    const phase = this.dataPhase as DataPhase;
    const { used, result } = phase.feed(bytes);
    if (used > 0 && this.state.serial.echo && this.state.ip.dataEcho) {
      this.emitOutput(Buffer.from(bytes.subarray(0, used)));
      this.out.flushBurst();
    }
    if (result !== undefined) {
      this.dataPhase = undefined;
      phase.resolve(result);
    }
    return used;
  }

  /** Whether a CIPSEND-style data phase is collecting bytes (so input is data, not commands). */
  get inDataPhase(): boolean {
    return this.dataPhase !== undefined;
  }

  // ---------------------------------------------------------------- data mode (transparent)

  /**
   * Route all host input to `handler` until `leaveDataMode`. URCs are held meanwhile.
   * `afterCommandLine` false: the module entered data mode by itself (an accepted connection), so
   * the next byte is data even if it is an LF (see line-editor.ts on the terminator's LF).
   */
  enterDataMode(handler: DataModeHandler, afterCommandLine = true): void {
    this.dataMode = handler;
    this.promptAfterPush = this.inbox.pushed;
    this.editor.reset();
    if (!afterCommandLine) this.editor.forgetLf();
  }

  leaveDataMode(): void {
    this.dataMode = undefined;
    if (!this.busy) {
      this.flushUrcs();
      queueMicrotask(() => this.pump());
    }
  }

  get inDataMode(): boolean {
    return this.dataMode !== undefined;
  }

  /** Raw bytes to the host in data mode (network → UART). */
  writeData(bytes: Uint8Array): void {
    this.out.flushBurst();
    this.emitOutput(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  // ---------------------------------------------------------------- input flow control

  /**
   * Ask the host to stop (`on`) or let it resume sending, for `reason` (e.g. link 0's queue is
   * full). Input stays held while any reason holds it; `input-hold` reports each change. Bytes
   * already under way are still taken: this is flow control, not a gate.
   */
  holdInput(reason: string, on: boolean): void {
    this.inputHolds.set(reason, on);
  }

  /** True while some reason holds the host's input (see `holdInput`). */
  get inputHeld(): boolean {
    return this.inputHolds.held;
  }

  // ---------------------------------------------------------------- DTR

  /** The DTR line from the host (transports that carry it, or the control API). */
  setDtr(asserted: boolean): void {
    if (asserted === this.dtrLevel) return;
    this.dtrLevel = asserted;
    this.emit('dtr', asserted);
  }

  get dtr(): boolean {
    return this.dtrLevel;
  }

  // ---------------------------------------------------------------- output

  /** An unsolicited line, framed; held while a response, data phase or data mode is in progress. */
  urc(line: string): void {
    this.urcRaw(Buffer.from(framedLine(line, this.state.serial.verbose), 'latin1'));
  }

  /** An unsolicited block already framed (pushed data: `RECV FROM…+IPD…<data>`). */
  urcRaw(bytes: Buffer): void {
    if (this.state.poweredOff) return;
    this.out.urc(bytes);
  }

  /**
   * A transport tells whether output to the host can leave (`full` false) or piles up because the
   * host does not read (`full` true), for `source` (`tcp`, `pty`, `pacer`, …). While any source is
   * full, or too many URC bytes are held, `outputPressure` is true and `output-pressure` says so.
   */
  setOutputPressure(source: string, full: boolean): void {
    this.out.setStall(source, full);
  }

  /** True while the module's output to the host is backed up (see `setOutputPressure`). */
  get outputPressure(): boolean {
    return this.out.pressure;
  }

  /** Bytes of URCs held right now. */
  get heldUrcLength(): number {
    return this.out.heldLength;
  }

  /** URCs dropped (held URCs over HELD_URC_LIMIT) since the process started. */
  get droppedUrcs(): number {
    return this.out.droppedUrcs;
  }

  /** Whether URCs are being held right now. */
  get holdingUrcs(): boolean {
    return this.busy || this.dataPhase !== undefined || this.dataMode !== undefined;
  }

  /** A result code outside any command (`CLOSED`, `CONNECT 115200` on accept, `OK` after +++). */
  resultLine(text: string, numeric?: number): void {
    if (this.state.serial.quiet) return;
    if (this.state.serial.verbose) this.emitOutput(Buffer.from(framed(text), 'latin1'));
    else if (numeric !== undefined) this.emitOutput(Buffer.from(formatNumericResult(numeric), 'latin1'));
  }

  /** The text after `CONNECT`: the baud rate, or nothing with ATX0 (spec §3.4). */
  connectText(): string {
    return this.state.serial.connectText === 0 ? formatConnect() : formatConnect(this.state.serial.baud);
  }

  private writeInfo(line: string): void {
    const text = framedLine(line, this.state.serial.verbose, !this.responseOpen);
    this.responseOpen = true;
    this.emitOutput(Buffer.from(text, 'latin1'));
  }

  private writeFinal(outcome: Outcome): void {
    const serial = this.state.serial;
    if (outcome.kind === 'none' || serial.quiet) return;
    let text: string;
    let numeric: number | undefined;
    switch (outcome.kind) {
      case 'ok':
        text = 'OK';
        numeric = RESULT_CODES.OK;
        break;
      case 'error':
        text = 'ERROR';
        numeric = RESULT_CODES.ERROR;
        break;
      case 'cme':
        if (serial.cmee === 0) {
          text = 'ERROR';
          numeric = RESULT_CODES.ERROR;
        } else {
          text = formatCmeError(serial.cmee === 1 ? outcome.code : cmeText(outcome.code));
        }
        break;
      case 'result':
        text = outcome.text;
        numeric = outcome.numeric;
        break;
    }
    if (serial.verbose) this.emitOutput(Buffer.from(framed(text), 'latin1'));
    else this.emitOutput(Buffer.from(numeric === undefined ? framedLine(text, false) : formatNumericResult(numeric), 'latin1'));
  }

  private flushUrcs(): void {
    this.out.flushHeld();
  }

  private emitOutput(bytes: Buffer): void {
    this.out.write(bytes);
  }

  // ---------------------------------------------------------------- life

  /** Drop the PDP context as the network would (control API, fault injection, detach): sockets and SSL sessions die. */
  loseNetwork(): void {
    this.sockets.loseNetwork();
    // The SSL service rides on the same PDP context (docs/ssl-spec.md §6: +CCH: CCHSTOP).
    this.sslService?.loseNetwork();
  }

  /** End the current life: its timers stop, its parts drop their sockets silently. */
  private endLife(how: LifeEnd): void {
    if (!this.life.aborted) this.lifeController.abort(how);
    this.sockets.reset();
    this.sslService?.reset();
  }

  /**
   * AT+CPOF: the life ends without a new one (input is lost until `reboot()` powers the module on);
   * the command that powered it off still ends with its result code.
   */
  powerOff(): void {
    this.state.poweredOff = true;
    this.endLife('power-off');
    this.emit('reset');
  }

  /** Reboot: drop every connection, restore power-on state, print the boot URCs. */
  reboot(): void {
    // What the old life printed still goes out, before the boot URCs.
    this.flushEcho();
    this.out.endBurst();
    this.endLife('reboot');
    this.lifeController = newLife();
    this.emit('reset');
    this.dataMode = undefined;
    // Whatever held the host's input died with the old life.
    this.inputHolds.clear();
    if (this.dataPhase !== undefined) {
      const phase = this.dataPhase;
      this.dataPhase = undefined;
      phase.resolve({ kind: 'cancelled' });
    }
    this.editor = new LineEditor();
    this.inbox.clear();
    this.out.clear();
    // A command still running belongs to the old life (runLine drops its result).
    this.busy = false;
    this.responseOpen = false;
    this.state = powerOnState(this.config, this.state);
    bootSequence(this, true);
  }
}

/** The reason `holdInput` is given while the input queue is over INPUT_QUEUE_HIGH_WATER. */
const INPUT_QUEUE_REASON = 'input queue full';
/** The reason `holdInput` is given while a transport reports that the host does not read. */
const HOST_NOT_READING_REASON = 'host not reading';
