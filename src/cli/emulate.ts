import { isIPv4 } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { HostPort } from '../common/host-port.js';
import { DEFAULT_CONTROL_PORT } from '../control/address.js';
import { DIALECTS } from '../emulator/dialect.js';
import { AllowRuleError, parseAllowRule } from '../emulator/network/allow-list.js';
import { HostTableError, withHostEntry } from '../emulator/network/host-table.js';
import { DEFAULT_TCP_HOST } from '../emulator/serve/tcp.js';
import { MAX_FLEET } from '../fleet/fleet.js';
import { DEFAULT_TCP_PORT, runEmulate, type EmulateOptions } from './emulation.js';
import { addFidelityOptions } from './fidelity-options.js';
import { hostPortArgument } from './host-port-argument.js';
import { READY_PREFIX } from './ready-line.js';

/**
 * `a76xx emulate`: its flags and what they parse to; running them is emulation.ts (one path for
 * one modem and a fleet), the lines it prints for tools are ready-line.ts.
 */

export { DEFAULT_TCP_PORT } from './emulation.js';
export { MODEM_PREFIX, READY_PREFIX, parseModemLine, parseReadyLine, type ReadyEndpoint } from './ready-line.js';

/** `--tcp` and `--control` addresses. */
export type TcpAddress = HostPort;

export function command(): Command {
  const emulate = new Command('emulate')
    .summary('serve an emulated A76XX module on TCP, a pseudo-terminal or stdio')
    .description(
      'Serve the AT port of an emulated SIMCom A76XX module. The sockets it opens on command are real ' +
        `sockets of this machine: it is a network proxy, so it listens on loopback unless told otherwise. ` +
        `One transport per process; with none given, --tcp ${DEFAULT_TCP_HOST}:${DEFAULT_TCP_PORT}.`,
    )
    .addHelpText(
      'after',
      [
        '',
        'Once serving, it prints one line on stdout (on stderr with --stdio, where stdout is the port):',
        `  ${READY_PREFIX}tcp 127.0.0.1:7070`,
        `  ${READY_PREFIX}pty /dev/pts/5 (link /tmp/a76xx)`,
        `  ${READY_PREFIX}stdio`,
        'It stops cleanly (exit 0) on SIGINT, SIGTERM or SIGHUP, and with --stdio when stdin ends.',
        '',
        'Examples:',
        '  a76xx emulate                              # TCP on 127.0.0.1:7070',
        '  a76xx emulate --pty /tmp/a76xx             # then: picocom -b 115200 /tmp/a76xx',
        '  a76xx emulate --tcp 0 --host echo.test=127.0.0.1 --no-boot-urcs',
      ].join('\n'),
    )
    .addOption(
      new Option(
        '--tcp [[HOST:]PORT]',
        `serve on TCP, one host connection at a time, a new one taking over (HOST defaults to ${DEFAULT_TCP_HOST}, ` +
          `PORT to ${DEFAULT_TCP_PORT}; PORT 0 picks a free one)`,
      )
        .argParser(parseTcpAddress)
        .conflicts(['pty', 'stdio']),
    )
    .addOption(
      new Option('--pty [LINK]', 'serve on a new raw pseudo-terminal, print its /dev/pts/N path; with LINK also make a symlink to it there').conflicts(['stdio']),
    )
    .addOption(new Option('--stdio', 'serve on stdin/stdout (exit when stdin ends); messages go to stderr'))
    .addOption(
      new Option('--host <NAME=IP>', 'static host table entry, consulted before the system resolver (repeatable)').argParser(parseHostEntry),
    )
    .addOption(new Option('--hosts-only', 'resolve names only through --host entries, never the system resolver'))
    .addOption(
      new Option('--dialect <name>', 'behaviour profile where modules and documents disagree').choices(Object.keys(DIALECTS)).default('a76xx'),
    )
    .addOption(new Option('--no-boot-urcs', 'do not print the power-on URCs (*ATREADY: 1, +CPIN: READY, …)'))
    .addOption(
      new Option('--trace [FILE]', 'log every byte on the AT port as timestamped transcript lines (>> host, << module) to FILE, or to stderr'),
    )
    .addOption(
      new Option(
        '--control [[HOST:]PORT]',
        `serve the control API (HTTP+JSON, what \`a76xx ctl\` talks to) on HOST:PORT (default ${DEFAULT_TCP_HOST}:${DEFAULT_CONTROL_PORT}; PORT 0 picks a free one)`,
      ).argParser(parseTcpAddress),
    )
    .addOption(new Option('--token-file <FILE>', 'where --control writes its token (default $XDG_RUNTIME_DIR/a76xx/control-PORT.token, or ~/.a76xx/)'))
    .addOption(new Option('--latency <MS>', 'one-way delay added to every network packet (the control verb latency changes it)').argParser(nonNegativeInt))
    .addOption(new Option('--bandwidth <BPS>', 'network bandwidth each way in bit/s, 0 unlimited (control verb bandwidth)').argParser(nonNegativeInt))
    .addOption(new Option('--pace', "send the module's output at the serial line rate, 10 bits per byte at AT+IPR's rate (control verb baud)"))
    .addOption(
      new Option(
        '--listen-host <IPv4>',
        `address the module's TCP servers (AT+SERVERSTART) and UDP sockets listen on (default ${DEFAULT_TCP_HOST}; ` +
          'anything else makes them reachable from other machines, and lets UDP reach beyond loopback)',
      ).argParser(parseListenHost),
    )
    .addOption(
      new Option(
        '--port-offset <N>',
        'add N to every port the module listens on (AT+SERVERSTART, UDP local ports) so several emulators can share ' +
          'this machine; the module still reports the ports the host asked for',
      ).argParser(parsePortOffset),
    )
    .addOption(
      new Option('--escape-guard <MS>', 'silence required before and after the +++ escape in transparent mode (default 1000, as the module)').argParser(
        nonNegativeInt,
      ),
    )
    .addOption(
      new Option(
        '--count <N>',
        'emulate N modems in this process, each with its own state: on TCP ports PORT…PORT+N-1 (PORT 0: a free port ' +
          'each), or one PTY each (links LINK0…LINKN-1); --control addresses them as modems 0…N-1 (`a76xx ctl --modem K`, or all)',
      )
        .argParser(parseCount)
        .conflicts(['stdio', 'trace']),
    )
    .addOption(
      new Option(
        '--allow <HOST[:PORT]>',
        'let the module connect and send UDP only to HOST (an IPv4 address, a block like 127.0.0.0/8, or a --host name), ' +
          'on PORT or any port (repeatable); other destinations fail as unreachable. Use it before exposing the AT port',
      ).argParser(collectAllowRule),
    );
  return addFidelityOptions(emulate).action((options: EmulateOptions) => runEmulate(options));
}

// ---------------------------------------------------------------- option parsing

/** `--tcp` (and `--control`) value: `PORT`, `HOST:PORT` or `[IPv6]:PORT`. */
export const parseTcpAddress: (value: string) => TcpAddress = hostPortArgument(DEFAULT_TCP_PORT);

/** One `--host NAME=IP` entry added to the entries so far. */
export function parseHostEntry(value: string, previous: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  const match = /^([^=\s]+)=(\S+)$/.exec(value);
  if (match === null || !isIPv4(match[2] as string)) {
    throw new InvalidArgumentError('expected NAME=IPv4, e.g. example.com=127.0.0.1');
  }
  try {
    return withHostEntry(previous ?? new Map(), match[1] as string, match[2] as string);
  } catch (err) {
    if (err instanceof HostTableError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** One `--allow HOST[:PORT]` added to those so far (names are checked against --host later). */
export function collectAllowRule(value: string, previous: readonly string[] | undefined): readonly string[] {
  try {
    parseAllowRule(value);
  } catch (err) {
    if (err instanceof AllowRuleError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return [...(previous ?? []), value];
}

/** `--listen-host`: an IPv4 address (UDP sockets are IPv4). */
export function parseListenHost(value: string): string {
  if (!isIPv4(value)) throw new InvalidArgumentError('expected an IPv4 address, e.g. 127.0.0.1 or 0.0.0.0');
  return value;
}

/** `--port-offset`: 0–65535. */
export function parsePortOffset(value: string): number {
  const offset = nonNegativeInt(value);
  if (offset > 65535) throw new InvalidArgumentError('expected 0 to 65535');
  return offset;
}

/** `--count`: 1 to MAX_FLEET modems. */
export function parseCount(value: string): number {
  const count = nonNegativeInt(value);
  if (count < 1 || count > MAX_FLEET) throw new InvalidArgumentError(`expected 1 to ${MAX_FLEET}`);
  return count;
}

/** A count of ms or bit/s. */
function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number >= 0');
  return Number(value);
}
