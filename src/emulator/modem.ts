import { EventEmitter } from 'node:events';
import { parseCommandLine, type AtCommand } from '../at/syntax.js';
import { Params, ParamError } from '../at/params.js';
import { CTRL_Z, ESC, ETX, RESULT_CODES } from '../at/result-codes.js';
import { cmeText, IP_ERROR_TEXT_A76XX, IP_ERROR_TEXT_SIM7600 } from '../at/errors.js';
import { realClock, type Clock } from './clock.js';
import { makeConfig, type ConfigOverrides, type EmulatorConfig } from './config.js';
import type { Dialect } from './dialect.js';
import { LineEditor } from './line-editor.js';
import { powerOnState, type ModemState } from './state.js';
import { COMMANDS, LENIENT_ALIASES, S_REGISTER_KEY } from './commands/index.js';
import {
  ERROR,
  NONE,
  OK,
  type CommandContext,
  type DataRequest,
  type DataResult,
  type Outcome,
} from './commands/types.js';
import type { Network } from './network/types.js';
import { bootSequence } from './radio/boot.js';
import { SslService } from './ssl/service.js';

/** Receives every byte the host sends while the port is in data (transparent) mode. */
export interface DataModeHandler {
  input(bytes: Buffer): void;
}

export interface ModemOptions {
  config?: EmulatorConfig | ConfigOverrides;
  clock?: Clock;
  network?: Network;
  /** Diagnostics that are not on the wire (handler exceptions, …). */
  log?: (message: string) => void;
}

export interface ModemEvents {
  /** Bytes for the host, in order. */
  output: [Buffer];
  /** The module was reset (reboot, CFUN=1,1): services drop their sockets. */
  reset: [];
  /** DTR changed (true = asserted). */
  dtr: [boolean];
  /**
   * Input hold changed: true while the module wants the host to stop sending (RTS/CTS as the
   * transports can give it), false once it may send again. See `holdInput`.
   */
  'input-hold': [boolean];
}

interface DataPhase {
  request: DataRequest;
  bytes: number[];
  escaped: boolean;
  overflow: boolean;
  resolve: (result: DataResult) => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * The emulated module on its AT port: bytes in (`input`), bytes out (`output` events).
 *
 * One command runs at a time; input that arrives meanwhile waits. URCs never split a response:
 * they are held while a command runs, during a data phase and in data mode, and written after.
 */
export class Modem extends EventEmitter<ModemEvents> {
  readonly config: EmulatorConfig;
  readonly clock: Clock;
  readonly network: Network | undefined;
  state: ModemState;

  /** Diagnostics that are not on the wire (handler exceptions, bytes a full link lost, …). */
  readonly log: (message: string) => void;
  private readonly editor = new LineEditor();
  private inbox: Buffer = EMPTY;
  private busy = false;
  /** Bumped by `reboot()`: a command of an earlier life prints nothing more and holds nothing up. */
  private life = 0;
  private responseOpen = false;
  private dataPhase: DataPhase | undefined;
  private dataMode: DataModeHandler | undefined;
  private heldUrcs: Buffer[] = [];
  private dtrLevel = true;
  /** Why input is held (see `holdInput`); empty when the host may send. */
  private readonly inputHolds = new Set<string>();

  constructor(options: ModemOptions = {}) {
    super();
    const config = options.config;
    this.config = config !== undefined && 'dialect' in config && 'identity' in config && 'hosts' in config
      ? (config as EmulatorConfig)
      : makeConfig(config as ConfigOverrides | undefined);
    this.clock = options.clock ?? realClock;
    this.network = options.network;
    this.log = options.log ?? (() => {});
    this.state = powerOnState(this.config);
  }

  private sslService: SslService | undefined;

  /** The SSL service (AT+CSSLCFG, AT+CCERT*, AT+CCH*), made on first use; its certificate files survive reboots. */
  get ssl(): SslService {
    return (this.sslService ??= new SslService(this));
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
    this.inbox = this.inbox.length === 0 ? bytes : Buffer.concat([this.inbox, bytes]);
    this.pump();
  }

  private pump(): void {
    let pos = 0;
    const inbox = this.inbox;
    while (pos < inbox.length) {
      // Powered off (AT+CPOF): input is lost until power-on (`reboot()`).
      if (this.state.poweredOff) {
        pos = inbox.length;
        break;
      }
      if (this.dataPhase !== undefined) {
        pos = this.feedDataPhase(inbox, pos);
        continue;
      }
      if (this.busy) break;
      if (this.dataMode !== undefined) {
        // The inbox is the modem's own copy and is never written to: no second copy.
        const rest = inbox.subarray(pos);
        pos = inbox.length;
        this.dataMode.input(rest);
        continue;
      }
      const step = this.editor.feed(inbox[pos++] as number);
      if (step.kind === 'echo') {
        if (this.state.serial.echo) this.emitOutput(ECHO_BYTES[step.byte] as Buffer);
      } else if (step.kind === 'line') {
        if (this.state.serial.echo) this.emitOutput(ECHO_BYTES[0x0d] as Buffer);
        void this.runLine(step.body, step.overflow);
      }
    }
    this.inbox = pos >= inbox.length ? EMPTY : inbox.subarray(pos);
  }

  // ---------------------------------------------------------------- execution

  private async runLine(body: string, overflow: boolean): Promise<void> {
    this.busy = true;
    this.responseOpen = false;
    const life = this.life;
    let outcome: Outcome;
    try {
      // Always finish asynchronously: the pump that started this line is still on the stack, and
      // re-entering it from here would run the same input again.
      outcome = await (overflow ? ERROR : this.runCommands(body, life));
    } catch (err) {
      this.log(`internal error on AT${body}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      outcome = ERROR;
    }
    if (this.life !== life) return; // the module rebooted meanwhile: the command died with it
    this.writeFinal(outcome);
    this.busy = false;
    this.responseOpen = false;
    this.flushUrcs();
    this.pump();
  }

  private async runCommands(body: string, life: number): Promise<Outcome> {
    let commands: AtCommand[];
    try {
      commands = parseCommandLine(body);
    } catch {
      return ERROR;
    }
    for (const command of commands) {
      if (this.life !== life) return NONE;
      const outcome = await this.dispatch(command, life);
      if (outcome.kind !== 'ok') return outcome;
    }
    return OK;
  }

  private async dispatch(command: AtCommand, life: number): Promise<Outcome> {
    const key = /^S\d+$/.test(command.name) ? S_REGISTER_KEY : command.name;
    const spec = COMMANDS.get(key) ?? this.aliasOf(key);
    const handler = spec?.[command.form];
    if (handler === undefined) return ERROR;
    try {
      return await handler(this.contextFor(command, life));
    } catch (err) {
      if (err instanceof ParamError) return ERROR;
      throw err;
    }
  }

  private aliasOf(name: string) {
    const target = this.dialect.lenientAliases ? LENIENT_ALIASES.get(name) : undefined;
    return target === undefined ? undefined : COMMANDS.get(target);
  }

  /** A handler's view of the port; once the module rebooted, a handler still running is cut off. */
  private contextFor(command: AtCommand, life: number): CommandContext {
    const modem = this;
    const alive = () => this.life === life;
    return {
      modem,
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
        if (alive()) this.writeInfo(`+IP ERROR: ${this.ipErrorInfo(code)}`);
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
    const table = this.dialect.family === 'sim7600' ? IP_ERROR_TEXT_SIM7600 : IP_ERROR_TEXT_A76XX;
    return table[code] ?? String(code);
  }

  // ---------------------------------------------------------------- data phase (CIPSEND)

  private readData(request: DataRequest): Promise<DataResult> {
    this.emitOutput(Buffer.from(`\r\n${this.dialect.prompt}`, 'latin1'));
    return new Promise((resolve) => {
      this.dataPhase = { request, bytes: [], escaped: false, overflow: false, resolve };
      // Bytes that arrived behind the command line are the data.
      queueMicrotask(() => this.pump());
    });
  }

  /** Feed data-phase bytes from `inbox[pos]`; returns the new position. */
  private feedDataPhase(inbox: Buffer, pos: number): number {
    const phase = this.dataPhase as DataPhase;
    const echo = this.state.serial.echo && this.state.ip.dataEcho;
    const start = pos;
    let result: DataResult | undefined;
    if ('length' in phase.request) {
      const take = Math.min(phase.request.length - phase.bytes.length, inbox.length - pos);
      for (let i = 0; i < take; i++) phase.bytes.push(inbox[pos + i] as number);
      pos += take;
      if (phase.bytes.length === phase.request.length) result = { kind: 'data', data: Buffer.from(phase.bytes) };
    } else {
      while (pos < inbox.length && result === undefined) {
        const b = inbox[pos++] as number;
        if (phase.escaped) {
          phase.escaped = false;
          this.pushVariable(phase, b);
        } else if (b === ETX) {
          phase.escaped = true;
        } else if (b === CTRL_Z) {
          result = phase.overflow ? { kind: 'overflow' } : { kind: 'data', data: Buffer.from(phase.bytes) };
        } else if (b === ESC) {
          result = { kind: 'cancelled' };
        } else {
          this.pushVariable(phase, b);
        }
      }
    }
    if (echo && pos > start) this.emitOutput(Buffer.from(inbox.subarray(start, pos)));
    if (result !== undefined) {
      this.dataPhase = undefined;
      phase.resolve(result);
    }
    return pos;
  }

  /** Whether a CIPSEND-style data phase is collecting bytes (so input is data, not commands). */
  get inDataPhase(): boolean {
    return this.dataPhase !== undefined;
  }

  private pushVariable(phase: DataPhase, byte: number): void {
    const max = 'max' in phase.request ? phase.request.max : Infinity;
    if (phase.bytes.length >= max) phase.overflow = true;
    else phase.bytes.push(byte);
  }

  // ---------------------------------------------------------------- data mode (transparent)

  /** Route all host input to `handler` until `leaveDataMode`. URCs are held meanwhile. */
  enterDataMode(handler: DataModeHandler): void {
    this.dataMode = handler;
    this.editor.reset();
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
    this.emitOutput(Buffer.from(bytes));
  }

  // ---------------------------------------------------------------- input flow control

  /**
   * Ask the host to stop (`on`) or let it resume sending, for `reason` (e.g. link 0's queue is
   * full). Input stays held while any reason holds it; `input-hold` reports each change. Bytes
   * already under way are still taken: this is flow control, not a gate.
   */
  holdInput(reason: string, on: boolean): void {
    const before = this.inputHolds.size > 0;
    if (on) this.inputHolds.add(reason);
    else this.inputHolds.delete(reason);
    const after = this.inputHolds.size > 0;
    if (before !== after) this.emit('input-hold', after);
  }

  /** True while some reason holds the host's input (see `holdInput`). */
  get inputHeld(): boolean {
    return this.inputHolds.size > 0;
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
    this.urcRaw(Buffer.from(this.state.serial.verbose ? `\r\n${line}\r\n` : `${line}\r\n`, 'latin1'));
  }

  /** An unsolicited block already framed (pushed data: `RECV FROM…+IPD…<data>`). */
  urcRaw(bytes: Buffer): void {
    if (this.state.poweredOff) return;
    if (this.holdingUrcs) this.heldUrcs.push(bytes);
    else this.emitOutput(bytes);
  }

  /** Whether URCs are being held right now. */
  get holdingUrcs(): boolean {
    return this.busy || this.dataPhase !== undefined || this.dataMode !== undefined;
  }

  /** A result code outside any command (`CLOSED`, `CONNECT 115200` on accept, `OK` after +++). */
  resultLine(text: string, numeric?: number): void {
    if (this.state.serial.quiet) return;
    if (this.state.serial.verbose) this.emitOutput(Buffer.from(`\r\n${text}\r\n`, 'latin1'));
    else if (numeric !== undefined) this.emitOutput(Buffer.from(`${numeric}\r`, 'latin1'));
  }

  /** The text after `CONNECT`: the baud rate, or nothing with ATX0 (spec §3.4). */
  connectText(): string {
    return this.state.serial.connectText === 0 ? 'CONNECT' : `CONNECT ${this.state.serial.baud}`;
  }

  private writeInfo(line: string): void {
    const framedLine = this.state.serial.verbose && !this.responseOpen ? `\r\n${line}\r\n` : `${line}\r\n`;
    this.responseOpen = true;
    this.emitOutput(Buffer.from(framedLine, 'latin1'));
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
          text = `+CME ERROR: ${serial.cmee === 1 ? outcome.code : cmeText(outcome.code)}`;
        }
        break;
      case 'result':
        text = outcome.text;
        numeric = outcome.numeric;
        break;
    }
    if (serial.verbose) this.emitOutput(Buffer.from(`\r\n${text}\r\n`, 'latin1'));
    else this.emitOutput(Buffer.from(numeric === undefined ? `${text}\r\n` : `${numeric}\r`, 'latin1'));
  }

  private flushUrcs(): void {
    while (this.heldUrcs.length > 0 && !this.holdingUrcs) {
      this.emitOutput(this.heldUrcs.shift() as Buffer);
    }
  }

  private emitOutput(bytes: Buffer): void {
    this.emit('output', bytes);
  }

  // ---------------------------------------------------------------- reset

  /** Reboot: drop every connection, restore power-on state, print the boot URCs. */
  reboot(): void {
    this.life++;
    this.emit('reset');
    this.dataMode = undefined;
    // Whatever held the host's input died with the old life.
    if (this.inputHolds.size > 0) {
      this.inputHolds.clear();
      this.emit('input-hold', false);
    }
    if (this.dataPhase !== undefined) {
      const phase = this.dataPhase;
      this.dataPhase = undefined;
      phase.resolve({ kind: 'cancelled' });
    }
    this.editor.reset();
    this.inbox = EMPTY;
    this.heldUrcs = [];
    // A command still running belongs to the old life (runLine drops its result).
    this.busy = false;
    this.responseOpen = false;
    this.state = powerOnState(this.config, this.state);
    bootSequence(this, true);
  }
}

const ECHO_BYTES: Buffer[] = Array.from({ length: 256 }, (_, b) => Buffer.from([b]));
