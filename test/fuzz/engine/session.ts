import { traceLine } from '../../../src/at/transcript.js';
import { FakeClock } from '../../../src/emulator/clock.js';
import { DIALECTS } from '../../../src/emulator/dialect.js';
import { loseNetwork, socketService, type SocketService } from '../../../src/emulator/links.js';
import { EmulatedModem } from '../../../src/emulator/modem.js';
import { checkAnswers, checkLinkTable } from './consistency.js';
import { FuzzNetwork } from './fuzz-network.js';
import type { Delivery, Interrupt, PeerVerb, Scenario, Step } from './scenario.js';

/**
 * Plays a fuzz scenario against an in-process EmulatedModem on a FakeClock and a FuzzNetwork (scripted peers), and
 * checks after every step what must hold whatever the input:
 *
 * - no exception escapes (thrown by `input`, by a timer, or as an unhandled rejection) and the
 *   modem's `log` (where the engine reports internal errors) stays empty;
 * - no hang: after each step the module is idle, in a data phase or in data mode once the clock
 *   has been advanced at most `HANG_LIMIT_MS`; a line typed while idle gets a final result code
 *   (or the data prompt), unless it switched result codes off, powered off or rebooted;
 * - the link table agrees with itself and the sockets (consistency.ts), and at `check` steps and
 *   at the end with what CIPOPEN?, CIPCLOSE?, NETOPEN? and CIPRXGET=4 answer;
 * - at the end, once any data phase is ended, `AT` answers exactly `OK`.
 *
 * With `record`, everything is written down as a transcript (`#!` settings, `>>` host bytes,
 * `<<` module bytes, `!` actions) that test/emulator/sockets-simulated.test.ts can replay.
 */

/** Longest fake time a command may take to answer (CIPTIMEOUT allows 120 s). */
export const HANG_LIMIT_MS = 200_000;

export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    message: string,
    /** The exchange up to the failure, as a transcript (empty unless recorded). */
    readonly transcript: string,
  ) {
    super(message);
  }
}

export interface SessionResult {
  /** Command lines typed (steps of kind `line`, the checks' own lines included). */
  readonly lines: number;
  /** How deep the scenario went: data phases and data-mode sessions entered, TCP connections made, reboots. */
  readonly dataPhases: number;
  readonly dataModes: number;
  readonly connections: number;
  readonly reboots: number;
}

type Mode = 'idle' | 'data' | 'mode';

const ESC = '\x1b';

/**
 * The chunks after the echo of `line`, when they start with it: echo is written per input chunk,
 * so a chunk of echo such as `000\r` would otherwise read as an ATV0 result code.
 */
function withoutEcho(chunks: readonly Buffer[], line: string): Buffer[] {
  const all = Buffer.concat(chunks);
  if (!all.toString('latin1').startsWith(line)) return [...chunks];
  let skip = line.length;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}
// A reply is written as one burst (src/emulator/modem.ts): its final result code ends a chunk.
const FINAL_V1 = /\r\n(?:OK|ERROR|\+CM[ES] ERROR: [^\r\n]*|NO CARRIER|CONNECT(?: [^\r\n]*)?|CONNECT FAIL|BUSY|NO ANSWER|NO DIALTONE)\r\n$/;
const FINAL_V0 = /(?:^|\n)(?:\d+\r|\+CM[ES] ERROR: [^\r\n]*\r\n)$/;

export interface SessionOptions {
  /** Keep a transcript (for the failure report). */
  readonly record?: boolean;
  /** Also hand each transcript line over as it is written (debugging). */
  readonly onTranscriptLine?: (line: string) => void;
}

export async function runScenario(scenario: Scenario, options: SessionOptions = {}): Promise<SessionResult> {
  const session = new Session(scenario, options);
  return session.run();
}

class Session {
  private readonly clock = new FakeClock();
  private readonly network = new FuzzNetwork(this.clock);
  private readonly modem: EmulatedModem;
  private readonly service: SocketService;
  private readonly logs: string[] = [];
  private readonly escaped: unknown[] = [];
  /** Every output chunk as emitted (the oracle reads chunk boundaries: one final result is one chunk). */
  private readonly chunks: Buffer[] = [];
  private resets = 0;
  private mode: Mode = 'idle';
  private readonly entered = { idle: 0, data: 0, mode: 0 };
  private prompts = 0;
  /** Output chunk of the last reboot, until the host sends again: nothing may answer a command of before. */
  private rebootedAt: number | undefined;
  /** Where the data phase in progress began (output chunk, resets so far). */
  private dataPhaseFrom: { chunk: number; resets: number } | undefined;
  private lines = 0;
  private readonly transcript: string[] = [];
  private unrecorded: Buffer[] = [];
  private readonly record: boolean;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SessionOptions,
  ) {
    this.record = options.record === true || options.onTranscriptLine !== undefined;
    this.modem = new EmulatedModem({
      config: { bootUrcs: false, dialect: DIALECTS[scenario.dialect] },
      clock: this.clock,
      network: this.network,
      log: (message) => this.logs.push(message),
    });
    this.service = socketService(this.modem);
    const prompt = `\r\n${this.modem.dialect.prompt}`;
    this.modem.on('output', (bytes) => {
      this.chunks.push(bytes);
      if (bytes.length === prompt.length && bytes.toString('latin1') === prompt) this.prompts++;
      if (this.record) this.unrecorded.push(bytes);
    });
    this.modem.on('reset', () => {
      this.resets++;
      // AT+CPOF also resets the services, and its own OK follows; a reboot ends every command.
      if (!this.modem.state.poweredOff) this.rebootedAt ??= this.chunks.length;
    });
    if (this.record) this.write(`#! dialect=${scenario.dialect}`);
  }

  async run(): Promise<SessionResult> {
    const onRejection = (reason: unknown) => this.escaped.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      for (const step of this.scenario.steps) {
        await this.play(step);
        this.verify(`after ${describe(step)}`);
      }
      await this.finish();
      if (this.mode !== 'idle') this.fail(`still in ${this.mode === 'data' ? 'a data phase' : 'data mode'} after finishing`);
      await this.checkAnswers();
      await this.expectExactly('AT', /^\r\nOK\r\n$/);
      if (this.record) this.flushOutput();
      return {
        lines: this.lines,
        dataPhases: this.prompts,
        dataModes: this.entered.mode,
        connections: this.network.connections.length,
        reboots: this.resets,
      };
    } catch (err) {
      if (err instanceof FuzzFailure) throw err;
      throw this.failure(`exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      // A rejection from this session may surface one turn later.
      await turn();
      process.off('unhandledRejection', onRejection);
      this.modem.removeAllListeners();
    }
  }

  // ---------------------------------------------------------------- steps

  private async play(step: Step): Promise<void> {
    switch (step.kind) {
      case 'line':
        await this.typeLine(step.prefix + step.body, step.tail, step.delivery, step.interrupt);
        return;
      case 'bytes':
        await this.send(Buffer.from(step.bytes, 'latin1'), step.delivery);
        await this.settle();
        return;
      case 'finish':
        await this.finish();
        return;
      case 'peer':
        await this.peer(step.verb, step.connection, step.payload);
        return;
      case 'udp-peer-send': {
        const count = this.network.udpSockets.length;
        if (count === 0) return;
        const n = step.socket % count;
        const socket = this.network.udpSockets[n];
        if (socket === undefined || socket.closed) return;
        await this.act(`udp-peer-send ${n} ${step.port} ${step.payload}`, () =>
          socket.handlers?.message(Buffer.from(step.payload, 'latin1'), { address: '192.0.2.1', port: step.port }),
        );
        return;
      }
      case 'peer-connect': {
        const count = this.network.listeners.length;
        if (count === 0) return;
        const n = step.listener % count;
        if (this.network.listeners[n]?.closed !== false) return;
        await this.act(`peer-connect ${n}`, () => this.network.peerConnect(n));
        await this.settle();
        return;
      }
      case 'advance':
        await this.advance(step.ms);
        return;
      case 'dtr':
        await this.act(`dtr ${step.asserted ? 'on' : 'off'}`, () => this.modem.setDtr(step.asserted));
        await this.settle();
        return;
      case 'lose-network':
        await this.act('lose-network', () => loseNetwork(this.modem));
        return;
      case 'reboot':
        await this.act('reboot', () => this.modem.reboot());
        return;
      case 'check':
        if (this.mode === 'idle') await this.checkAnswers();
        return;
    }
  }

  private async peer(verb: PeerVerb, which: number, payload: string): Promise<void> {
    const count = this.network.connections.length;
    if (count === 0) return;
    const n = which % count;
    const connection = this.network.connection(n);
    if (connection.endedBy !== undefined) return;
    switch (verb) {
      case 'peer-send':
        // A paused connection holds its peer back (TCP flow control): the peer cannot send.
        if (connection.paused) return;
        return this.act(`peer-send ${n} ${payload}`, () => connection.peerSend(Buffer.from(payload, 'latin1')));
      case 'peer-close':
        return this.act(`peer-close ${n}`, () => connection.peerClose('remote'));
      case 'peer-reset':
        return this.act(`peer-reset ${n}`, () => connection.peerClose('reset'));
      case 'hold-writes':
        return this.act(`hold-writes ${n}`, () => (connection.holdWrites = true));
      case 'release-writes':
        return this.act(`release-writes ${n}`, () => connection.releaseWrites());
    }
  }

  /** Type a command line; a line typed while idle must be answered (or open a data phase). */
  private async typeLine(text: string, tail: string, delivery: Delivery, interrupt?: Interrupt): Promise<void> {
    const wasIdle = this.mode === 'idle';
    const from = this.chunks.length;
    const resets = this.resets;
    this.lines++;
    await this.send(Buffer.from(`${text}\r${tail}`, 'latin1'), delivery);
    if (interrupt !== undefined) await this.interrupt(interrupt);
    await this.settle();
    if (!wasIdle || this.resets !== resets) return;
    // The echo of the line up to its first <CR>, without the control bytes a line does not echo.
    const echoed = (text.split('\r')[0] ?? '').replace(/[\x00-\x07\x09-\x1f]/g, '');
    const printed = withoutEcho(this.chunks.slice(from), `${echoed}\r`);
    if (this.mode === 'data') {
      const prompt = `\r\n${this.modem.dialect.prompt}`;
      if (!printed.some((c) => c.toString('latin1').endsWith(prompt))) this.fail(`a data phase began without the prompt`);
      return;
    }
    const serial = this.modem.state.serial;
    if (serial.quiet || this.mode === 'mode') return;
    const final = serial.verbose ? FINAL_V1 : FINAL_V0;
    const finals = printed.filter((c) => final.test(c.toString('latin1'))).length;
    if (finals === 0) this.fail(`no final result code for ${JSON.stringify(text.slice(0, 200))}`);
    // One line in, one final result out (a <CR> inside or behind the line makes more lines).
    if (finals > 1 && !`${text}${tail}`.includes('\r')) this.fail(`${finals} final result codes for ${JSON.stringify(text.slice(0, 200))}`);
  }

  /** Something that happens while the command may still be running (it waits on the clock or the network). */
  private async interrupt(what: Interrupt): Promise<void> {
    // After one turn, so that a replay of the transcript meets the command in the same state.
    await turn();
    switch (what) {
      case 'reboot':
        return this.act('reboot', () => this.modem.reboot());
      case 'lose-network':
        return this.act('lose-network', () => loseNetwork(this.modem));
      case 'dtr-off':
        await this.act('dtr off', () => this.modem.setDtr(false));
        return this.act('dtr on', () => this.modem.setDtr(true));
      case 'peer-close': {
        const n = this.network.connections.findIndex((c) => c.endedBy === undefined);
        const connection = this.network.connections[n];
        if (connection !== undefined) await this.act(`peer-close ${n}`, () => connection.peerClose('remote'));
        return;
      }
      case 'advance':
        return this.act('advance 1000', () => this.clock.advance(1000));
    }
  }

  /**
   * Back to command mode. A data phase: ESC (twice, in case the last data byte was an ETX), then
   * filler for a fixed length. Data mode: `+++` between two guard times of silence.
   */
  private async finish(): Promise<void> {
    await this.settle();
    // A line may chain several sends, so several data phases may follow one another.
    const attempts = Array.from({ length: 8 }, () => [ESC, ESC, 'y'.repeat(1500)]).flat();
    for (const bytes of attempts) {
      if (this.mode !== 'data') break;
      await this.send(Buffer.from(bytes, 'latin1'), { cuts: [], paused: false });
      await this.settle();
    }
    if (this.mode === 'data') this.fail('the data phase does not end (ESC, ESC and 1500 bytes sent, 8 times)');
    if (this.mode !== 'mode') return;
    const guard = this.modem.config.escapeGuardMs;
    await this.act(`advance ${guard + 1}`, () => this.clock.advance(guard + 1));
    await this.send(Buffer.from('+++', 'latin1'), { cuts: [], paused: false });
    await this.advance(guard + 1);
    if (this.mode === 'mode') this.fail('data mode does not end on a guarded +++');
    // Back in command mode: what data mode left behind is handled like any other state.
    if (this.mode === 'data') await this.finish();
  }

  // ---------------------------------------------------------------- checks

  /** A command running when the module rebooted died with it: no final result code may follow. */
  private checkSinceReboot(): void {
    if (this.rebootedAt === undefined) return;
    const final = this.modem.state.serial.verbose ? FINAL_V1 : FINAL_V0;
    const stale = this.chunks.slice(this.rebootedAt).find((c) => final.test(c.toString('latin1')));
    if (stale !== undefined) this.fail(`${JSON.stringify(stale.toString('latin1'))} after a reboot, for a command typed before it`);
  }

  private verify(when: string): void {
    this.checkSinceReboot();
    if (this.logs.length > 0) this.fail(`internal error logged ${when}: ${this.logs.join('\n')}`);
    if (this.escaped.length > 0) {
      const err = this.escaped[0];
      this.fail(`unhandled rejection ${when}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    const problem = checkLinkTable(this.modem, this.service, this.network);
    if (problem !== undefined) this.fail(`${problem} (${when})`);
  }

  /** Ask CIPOPEN?, CIPCLOSE?, NETOPEN? and CIPRXGET=4 for every link; compare with the table. */
  private async checkAnswers(): Promise<void> {
    await this.endPartialLine();
    await this.expectExactly('ATE0V1Q0', /\r\nOK\r\n$/);
    const ask = async (command: string) => {
      const from = this.chunks.length;
      await this.typeRaw(command);
      return Buffer.concat(this.chunks.slice(from)).toString('latin1');
    };
    const answers = { cipopen: await ask('AT+CIPOPEN?'), cipclose: await ask('AT+CIPCLOSE?'), netopen: await ask('AT+NETOPEN?'), rxget: [] as string[] };
    for (let i = 0; i < this.service.rx.length; i++) answers.rxget.push(await ask(`AT+CIPRXGET=4,${i}`));
    const problem = checkAnswers(this.modem, this.service, answers);
    if (problem !== undefined) this.fail(problem);
  }

  private async expectExactly(line: string, pattern: RegExp): Promise<void> {
    const from = this.chunks.length;
    await this.typeRaw(line);
    const printed = Buffer.concat(this.chunks.slice(from)).toString('latin1');
    if (this.mode !== 'idle' || !pattern.test(printed)) this.fail(`${line} answered ${JSON.stringify(printed)}`);
  }

  /** Noise may have started a line (an `at` inside data): a lone <CR> ends it, whatever it answers. */
  private async endPartialLine(): Promise<void> {
    await this.send(Buffer.from('\r'), { cuts: [], paused: false });
    await this.finish();
  }

  private async typeRaw(line: string): Promise<void> {
    this.lines++;
    await this.send(Buffer.from(`${line}\r`, 'latin1'), { cuts: [], paused: false });
    await this.settle();
  }

  // ---------------------------------------------------------------- driving

  /**
   * Let the module work: turn the event loop; while a command is still running, move the clock
   * on (recorded as `! advance`) up to HANG_LIMIT_MS. Powered off (AT+CPOF), it is powered on
   * again (`! reboot`), as a host would.
   */
  private async settle(): Promise<void> {
    let waited = 0;
    for (;;) {
      await turn();
      if (this.modem.state.poweredOff) {
        await this.act('reboot', () => this.modem.reboot());
        continue;
      }
      if (this.modem.inDataPhase) return this.enter('data');
      if (this.modem.inDataMode) return this.enter('mode');
      if (!this.modem.holdingUrcs) return this.enter('idle');
      if (waited >= HANG_LIMIT_MS) this.fail(`no final result code after ${HANG_LIMIT_MS} ms`);
      const ms = waited < 100 ? 10 : waited < 10_000 ? 1000 : 10_000;
      this.recordAction(`advance ${ms}`);
      this.guard(() => this.clock.advance(ms));
      waited += ms;
    }
  }

  /** Track the mode; a data phase that ends (without a reset) must end with a final result code. */
  private enter(mode: Mode): void {
    if (mode === 'data' && this.mode !== 'data') this.dataPhaseFrom = { chunk: this.chunks.length, resets: this.resets };
    const from = this.dataPhaseFrom;
    if (mode !== 'data' && this.mode === 'data' && from !== undefined) {
      this.dataPhaseFrom = undefined;
      const serial = this.modem.state.serial;
      const final = serial.verbose ? FINAL_V1 : FINAL_V0;
      const answered = this.chunks.slice(from.chunk).some((c) => final.test(c.toString('latin1')));
      if (!answered && !serial.quiet && from.resets === this.resets) this.fail('a data phase ended without a final result code');
    }
    if (mode !== this.mode) this.entered[mode]++;
    this.mode = mode;
  }

  private async advance(ms: number): Promise<void> {
    await this.act(`advance ${ms}`, () => this.clock.advance(ms));
    await this.settle();
  }

  private async act(text: string, run: () => void): Promise<void> {
    this.recordAction(text);
    this.guard(run);
    await turn();
  }

  private async send(bytes: Buffer, delivery: Delivery): Promise<void> {
    this.checkSinceReboot();
    this.rebootedAt = undefined;
    const pieces = cut(bytes, delivery.cuts);
    // Pieces written in one turn are one write as far as the module can tell: one `>>` line.
    if (this.record && !delivery.paused) {
      this.flushOutput();
      this.write(traceLine('host', bytes));
    }
    for (const [i, piece] of pieces.entries()) {
      if (delivery.paused) {
        if (i > 0) await turn();
        if (this.record) {
          this.flushOutput();
          this.write(traceLine('host', piece));
        }
      }
      this.guard(() => this.modem.input(piece));
    }
  }

  /** Run code that reaches into the module; whatever it throws is a failure. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.fail(`exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private recordAction(text: string): void {
    if (!this.record) return;
    this.flushOutput();
    this.write(`! ${text}`);
  }

  private write(line: string): void {
    this.transcript.push(line);
    this.options.onTranscriptLine?.(line);
  }

  private flushOutput(): void {
    if (this.unrecorded.length === 0) return;
    this.write(traceLine('module', Buffer.concat(this.unrecorded)));
    this.unrecorded = [];
  }

  private failure(message: string): FuzzFailure {
    if (!this.record) return new FuzzFailure(message, '');
    this.flushOutput();
    return new FuzzFailure(message, [...this.transcript, `# FAILED: ${message.split('\n')[0]}`].join('\n') + '\n');
  }

  private fail(message: string): never {
    throw this.failure(message);
  }
}

/** One event-loop turn: every microtask (the scripted network's promises) runs first. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

function describe(step: Step): string {
  switch (step.kind) {
    case 'line':
      return `line ${JSON.stringify((step.prefix + step.body).slice(0, 80))}`;
    case 'bytes':
      return `${step.bytes.length} raw bytes`;
    case 'peer':
      return `${step.verb} ${step.connection}`;
    case 'advance':
      return `advance ${step.ms}`;
    default:
      return step.kind;
  }
}
