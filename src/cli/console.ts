import type { Duplex, Readable, Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { isFinalResult } from '../at/result-codes.js';
import { completionOf, waitDirective } from './completions.js';
import { openTransport } from '../driver/transports/open.js';
import { addDeviceOptions, complain, positiveInt, watchReader, type DeviceOptions } from './nc.js';

/**
 * `a76xx console`: an AT terminal on the device. The module's bytes go to stdout as they come, so
 * URCs show up when the module prints them.
 *
 * - On a terminal: raw mode (no local line editing: the module edits and echoes, ATE1), every key
 *   goes to the module as typed (Enter is `<CR>`); Ctrl-] quits. `--local-echo` shows what is
 *   typed for a module with echo off.
 * - With stdin from a pipe or file: line mode. Each input line is sent as `line<CR>`, the next one
 *   only after the module answered with a final result code (or a `>` prompt, after which the next
 *   line is sent as it is, without `<CR>`: the CIPSEND data), or after --line-timeout. When stdin
 *   has ended and the last answer came, it exits after --idle ms of quiet (URCs still show). `--raw`
 *   sends the bytes unchanged instead, and exits after stdin ended and --idle ms of quiet.
 *
 * Exit 0; 1 when the device cannot be opened or goes away.
 */

export interface ConsoleOptions extends DeviceOptions {
  readonly raw?: boolean;
  readonly localEcho?: boolean;
  readonly idle: number;
  readonly lineTimeout: number;
}

export interface ConsoleIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const QUIT = 0x1d; // Ctrl-]

export function command(): Command {
  const cmd = new Command('console')
    .summary('interactive AT terminal on the device (URCs shown as they come)')
    .description(
      'Talk AT to the module. On a terminal every key goes to the module (Ctrl-] quits); with stdin from a pipe, ' +
        'one line per command, each sent after the previous answer, exiting once stdin ended and the module went quiet.',
    )
    .addOption(new Option('--raw', 'piped stdin: send the bytes unchanged (no line pacing, no <CR> added)'))
    .addOption(new Option('--local-echo', 'terminal: show typed bytes locally (for a module with ATE0)'))
    .addOption(new Option('--idle <MS>', 'piped stdin: quiet time after the end before exiting').argParser(positiveInt).default(500))
    .addOption(new Option('--line-timeout <MS>', 'piped stdin: longest wait for an answer before the next line').argParser(positiveInt).default(10_000))
    .addHelpText('after', ['', 'Examples:', '  a76xx console --device /dev/ttyUSB2', "  printf 'ATI\\nAT+CSQ\\n' | a76xx console --device tcp://127.0.0.1:7070"].join('\n'));
  return addDeviceOptions(cmd).action(async (options: ConsoleOptions) => {
    process.exitCode = await runConsole(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  });
}

export async function runConsole(options: ConsoleOptions, io: ConsoleIo): Promise<number> {
  let port: Duplex;
  try {
    port = await openTransport(options.device, { ...(options.baud !== undefined ? { baudRate: options.baud } : {}), connectTimeoutMs: Math.min(options.timeout, 10_000) });
  } catch (error) {
    complain(io.stderr, 'console', error);
    return 1;
  }
  const interactive = io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      if (interactive) io.stdin.setRawMode?.(false);
      io.stdin.pause();
      port.destroy();
      resolve(code);
    };
    port.on('error', (error: Error) => {
      complain(io.stderr, 'console', error);
      finish(1);
    });
    const reader = watchReader(io.stdout, () => finish(0));
    const show = (bytes: Buffer): void => {
      if (!reader.gone) io.stdout.write(bytes);
    };
    port.on('close', () => {
      if (!finished) {
        io.stderr.write('a76xx console: the device went away\n');
        finish(1);
      }
    });
    if (interactive) interactiveSession(port, options, io, show, finish);
    else pipedSession(port, options, io, show, finish);
  });
}

function interactiveSession(port: Duplex, options: ConsoleOptions, io: ConsoleIo, show: (bytes: Buffer) => void, finish: (code: number) => void): void {
  io.stdin.setRawMode?.(true);
  io.stderr.write(`a76xx console: ${options.device} (Ctrl-] quits)\r\n`);
  port.on('data', show);
  io.stdin.on('data', (chunk: Buffer) => {
    const quit = chunk.indexOf(QUIT);
    const bytes = quit < 0 ? chunk : chunk.subarray(0, quit);
    if (bytes.length > 0) {
      if (options.localEcho === true) io.stdout.write(bytes);
      port.write(bytes);
    }
    if (quit >= 0) finish(0);
  });
  io.stdin.on('end', () => finish(0));
  io.stdin.resume();
}

/** Module lines kept for an `@wait` that comes after them (the lines since the last command sent). */
const MAX_RECENT_LINES = 256;

/** What the piped console waits for after sending a line. */
interface Awaiting {
  /** The final result code came (or a prompt). */
  final: boolean;
  /** The completion line still to come (spec §1.6), if any. */
  completion: RegExp | undefined;
  completionSeen: boolean;
}

function pipedSession(port: Duplex, options: ConsoleOptions, io: ConsoleIo, show: (bytes: Buffer) => void, finish: (code: number) => void): void {
  let idleTimer: NodeJS.Timeout | undefined;
  let inputEnded = false;
  let answerTimer: NodeJS.Timeout | undefined;
  /** Waiting for the module's answer to the line just sent. */
  let awaiting: Awaiting | undefined;
  /** Waiting for a line matching an `@wait` pattern. */
  let waitingFor: RegExp | undefined;
  /** A `>` prompt came: the next line is data, sent without `<CR>`; it inherits the completion. */
  let dataNext: RegExp | undefined | false = false;
  /** The completion the data after the coming prompt will wait for. */
  let carriedToData: RegExp | undefined;
  const queue: string[] = [];
  const recent: string[] = [];
  let partial = '';
  let outputLine = '';

  // The session ended (device gone, reader gone, done): no timer may keep the process alive.
  port.once('close', () => {
    clearTimeout(idleTimer);
    clearTimeout(answerTimer);
    queue.length = 0;
  });
  const busy = (): boolean => awaiting !== undefined || waitingFor !== undefined || port.destroyed;
  const armIdle = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (inputEnded && !busy() && queue.length === 0) idleTimer = setTimeout(() => finish(0), options.idle);
  };
  const sendNext = (): void => {
    while (!busy()) {
      const line = queue.shift();
      if (line === undefined) {
        armIdle();
        return;
      }
      const pattern = dataNext === false ? waitDirective(line) : undefined;
      if (pattern !== undefined) {
        if (recent.some((seen) => pattern.test(seen))) continue;
        waitingFor = pattern;
        answerTimer = setTimeout(() => {
          io.stderr.write(`a76xx console: no module line matched ${pattern} within ${options.lineTimeout} ms (--line-timeout)\n`);
          finish(1);
        }, options.lineTimeout);
        return;
      }
      const asData = dataNext !== false;
      const sendsData = !asData && /^at\+cipsend=/i.test(line);
      const completion = asData ? (dataNext as RegExp | undefined) : completionOf(line);
      dataNext = false;
      recent.length = 0;
      // CIPSEND's completion follows its data: it waits for the prompt here, then for the data's answer.
      awaiting = { final: false, completion: sendsData ? undefined : completion, completionSeen: false };
      carriedToData = sendsData ? completion : undefined;
      port.write(Buffer.from(asData ? line : `${line}\r`, 'latin1'));
      answerTimer = setTimeout(answered, options.lineTimeout);
    }
  };
  const answered = (): void => {
    if (answerTimer !== undefined) clearTimeout(answerTimer);
    answerTimer = undefined;
    awaiting = undefined;
    waitingFor = undefined;
    sendNext();
  };
  const moduleLine = (line: string): void => {
    if (line === '') return;
    recent.push(line);
    if (recent.length > MAX_RECENT_LINES) recent.shift();
    if (waitingFor !== undefined) {
      if (waitingFor.test(line)) answered();
      return;
    }
    if (awaiting === undefined) return;
    if (awaiting.completion?.test(line) === true) awaiting.completionSeen = true;
    if (isFinalResult(line)) {
      awaiting.final = true;
      // An error: no completion will follow.
      if (line !== 'OK') awaiting.completion = undefined;
    }
    if (awaiting.final && (awaiting.completion === undefined || awaiting.completionSeen)) answered();
  };

  port.on('data', (bytes: Buffer) => {
    show(bytes);
    if (options.raw === true) {
      armIdle();
      return;
    }
    // Watch the module's lines for the end of each answer.
    outputLine += bytes.toString('latin1');
    let nl: number;
    while ((nl = outputLine.indexOf('\n')) >= 0) {
      const line = outputLine.slice(0, nl).replace(/\r+$/, '').replace(/^\r+/, '');
      outputLine = outputLine.slice(nl + 1);
      moduleLine(line);
    }
    if (/^\r*> ?$/.test(outputLine) && awaiting !== undefined) {
      outputLine = '';
      dataNext = carriedToData;
      carriedToData = undefined;
      answered();
    }
    armIdle();
  });

  io.stdin.on('data', (chunk: Buffer) => {
    if (options.raw === true) {
      port.write(chunk);
      return;
    }
    partial += chunk.toString('latin1');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      queue.push(partial.slice(0, nl).replace(/\r$/, ''));
      partial = partial.slice(nl + 1);
    }
    sendNext();
  });
  io.stdin.on('end', () => {
    if (partial !== '') queue.push(partial.replace(/\r$/, ''));
    partial = '';
    inputEnded = true;
    sendNext();
    armIdle();
  });
  io.stdin.on('error', (error: Error) => {
    complain(io.stderr, 'console', error);
    finish(1);
  });
  io.stdin.resume();
}
