import type { Duplex, Readable, Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { isFinalLine } from '../driver/urcs.js';
import { openTransport } from '../transport/client-transport.js';
import { addDeviceOptions, complain, positiveInt, type DeviceOptions } from './nc.js';

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
    port.on('close', () => {
      if (!finished) {
        io.stderr.write('a76xx console: the device went away\n');
        finish(1);
      }
    });
    if (interactive) interactiveSession(port, options, io, finish);
    else pipedSession(port, options, io, finish);
  });
}

function interactiveSession(port: Duplex, options: ConsoleOptions, io: ConsoleIo, finish: (code: number) => void): void {
  io.stdin.setRawMode?.(true);
  io.stderr.write(`a76xx console: ${options.device} (Ctrl-] quits)\r\n`);
  port.on('data', (bytes: Buffer) => io.stdout.write(bytes));
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

function pipedSession(port: Duplex, options: ConsoleOptions, io: ConsoleIo, finish: (code: number) => void): void {
  let idleTimer: NodeJS.Timeout | undefined;
  let inputEnded = false;
  let answerTimer: NodeJS.Timeout | undefined;
  /** Waiting for the module's answer to the line just sent. */
  let awaiting = false;
  /** A `>` prompt came: the next line is data, sent without `<CR>`. */
  let dataNext = false;
  const queue: string[] = [];
  let partial = '';
  let outputLine = '';

  const armIdle = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (inputEnded && !awaiting && queue.length === 0) idleTimer = setTimeout(() => finish(0), options.idle);
  };
  const sendNext = (): void => {
    if (awaiting) return;
    const line = queue.shift();
    if (line === undefined) {
      armIdle();
      return;
    }
    const asData = dataNext;
    dataNext = false;
    awaiting = true;
    port.write(Buffer.from(asData ? line : `${line}\r`, 'latin1'));
    answerTimer = setTimeout(answered, options.lineTimeout);
  };
  const answered = (): void => {
    if (answerTimer !== undefined) clearTimeout(answerTimer);
    answerTimer = undefined;
    awaiting = false;
    sendNext();
  };

  port.on('data', (bytes: Buffer) => {
    io.stdout.write(bytes);
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
      if (awaiting && isFinalLine(line)) answered();
    }
    if (/^\r*> ?$/.test(outputLine) && awaiting) {
      outputLine = '';
      dataNext = true;
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
