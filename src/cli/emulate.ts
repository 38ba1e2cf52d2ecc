import { isIP, isIPv4 } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONTROL_PORT } from '../control/address.js';
import { controlReadyLine, serveControl, type ControlServer } from '../control/http-server.js';
import { AtLine } from '../control/line.js';
import { NetworkOutage } from '../control/outage.js';
import { ControlPlane } from '../control/plane.js';
import { DEFAULT_MODEM_ID, type ControlTarget } from '../control/target.js';
import { defaultTokenPath, generateToken, removeTokenFile, writeTokenFile } from '../control/token.js';
import { makeConfig, type EmulatorConfig } from '../emulator/config.js';
import { DIALECTS, type DialectName } from '../emulator/dialect.js';
import { EmulatedModem } from '../emulator/modem.js';
import { AllowList, AllowListNetwork, AllowRuleError, parseAllowRule, type Refusal } from '../emulator/network/allow-list.js';
import { HostTableError, withHostEntry } from '../emulator/network/host-table.js';
import { RealNetwork } from '../emulator/network/real.js';
import { SimulatedNetwork } from '../emulator/network/simulated.js';
import { openTraceFile, traceHeader, traceInto, TraceWriter } from '../emulator/trace.js';
import type { ModuleSide, ServedEndpoint } from '../emulator/serve/endpoint.js';
import { serveStdio } from '../emulator/serve/stdio.js';
import { DEFAULT_TCP_HOST, formatHostPort, serveTcp } from '../emulator/serve/tcp.js';
import { closeAll, Fleet, MAX_FLEET, serveFleetPty, serveFleetTcp } from '../fleet/fleet.js';
import type { Network } from '../emulator/network/types.js';
import { addFidelityOptions, fidelityConfig, type FidelityOptions } from './fidelity-options.js';
import { errorMessage } from '../common/errors.js';

/** `a76xx emulate`: wiring only — an EmulatedModem on a real network, served on one transport. */

export const DEFAULT_TCP_PORT = 7070;

/**
 * The one line printed once the port is served (stdout; stderr in --stdio mode), for humans and
 * for tools that start the emulator and need the endpoint:
 *   a76xx emulator ready: tcp 127.0.0.1:7070
 *   a76xx emulator ready: pty /dev/pts/5
 *   a76xx emulator ready: pty /dev/pts/5 (link /tmp/a76xx)
 *   a76xx emulator ready: stdio
 */
export const READY_PREFIX = 'a76xx emulator ready: ';

export type ReadyEndpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'pty'; readonly path: string; readonly link: string | undefined }
  | { readonly kind: 'stdio' };

/** Read a ready line back (what a test or a supervising tool sees); undefined if it is not one. */
export function parseReadyLine(line: string): ReadyEndpoint | undefined {
  if (!line.startsWith(READY_PREFIX)) return undefined;
  const rest = line.slice(READY_PREFIX.length).trimEnd();
  if (rest === 'stdio') return { kind: 'stdio' };
  const tcp = /^tcp (?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(rest);
  if (tcp !== null) return { kind: 'tcp', host: (tcp[1] ?? tcp[2]) as string, port: Number(tcp[3]) };
  const pty = /^pty (\S+)(?: \(link (.+)\))?$/.exec(rest);
  if (pty !== null) return { kind: 'pty', path: pty[1] as string, link: pty[2] };
  return undefined;
}

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

interface EmulateOptions extends FidelityOptions {
  readonly tcp?: TcpAddress | true;
  readonly pty?: string | true;
  readonly stdio?: true;
  readonly host?: ReadonlyMap<string, string>;
  readonly hostsOnly?: true;
  readonly dialect: DialectName;
  readonly bootUrcs: boolean;
  /** `--trace` alone: stderr; with a FILE: that file. */
  readonly trace?: string | true;
  readonly control?: TcpAddress | true;
  readonly tokenFile?: string;
  readonly latency?: number;
  readonly bandwidth?: number;
  readonly pace?: true;
  readonly listenHost?: string;
  readonly portOffset?: number;
  readonly escapeGuard?: number;
  /** `--allow` rules as typed (checked against the host table once all options are in). */
  readonly allow?: readonly string[];
  /** `--count N`: a fleet of N modems (fleet mode, when N > 1). */
  readonly count?: number;
}

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

/** `--tcp` value: `PORT`, `HOST:PORT` or `[IPv6]:PORT`. */
export function parseTcpAddress(value: string): TcpAddress {
  const match = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new InvalidArgumentError('expected [HOST:]PORT, e.g. 7070, 127.0.0.1:7070 or [::1]:7070');
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? DEFAULT_TCP_HOST : host, port };
}

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

// ---------------------------------------------------------------- running

const warn = (message: string): void => {
  process.stderr.write(`a76xx emulate: ${message}\n`);
};

async function runEmulate(options: EmulateOptions): Promise<void> {
  const hosts = options.host ?? new Map<string, string>();
  const listenAddress = options.listenHost ?? DEFAULT_TCP_HOST;
  if (!isLoopback(listenAddress)) {
    warn(
      `warning: the module's servers and UDP sockets listen on ${listenAddress}, not loopback: other machines can ` +
        'reach them (and through them this machine)',
    );
  }
  const real = new RealNetwork({ hosts, staticOnly: options.hostsOnly === true, listenAddress, portOffset: options.portOffset ?? 0 });
  const allowed = options.allow === undefined ? real : new AllowListNetwork(real, allowListOf(options.allow, hosts), { onRefused: refusalLogger() });
  if (options.count !== undefined && options.count > 1) return runFleet(options, options.count, allowed, hosts);
  // The simulated network passes everything through untouched until told otherwise (control verbs).
  const network = new SimulatedNetwork(allowed, {
    conditions: { latencyMs: options.latency ?? 0, bandwidthBps: options.bandwidth ?? 0 },
  });
  const modem = new EmulatedModem({
    config: modemConfig(options, hosts),
    network,
    log: warn,
  });
  // What the transports serve: the modem's line, paced when asked, with injected URCs.
  // A paced line that falls behind holds the network back, as a real module's UART does.
  const port = new AtLine(modem, { pacing: options.pace === true, onPressure: (full) => network.holdDelivery(full) });
  if (options.trace !== undefined) startTrace(port, options.trace, options.dialect);

  let endpoint: ServedEndpoint;
  let listening = '';
  try {
    if (options.stdio === true) {
      const stdio = serveStdio(port);
      endpoint = stdio;
      void stdio.ended.then(() => stop(endpoint, port));
    } else if (options.pty !== undefined) {
      // Loaded on demand: node-pty is native, and nothing else needs it.
      const { servePty } = await import('../emulator/serve/pty.js');
      endpoint = await servePty(port, { link: options.pty === true ? undefined : options.pty, log: warn });
    } else {
      const address = options.tcp === undefined || options.tcp === true ? { host: DEFAULT_TCP_HOST, port: DEFAULT_TCP_PORT } : options.tcp;
      listening = formatHostPort(address.host, address.port);
      const exposed = !isLoopback(address.host);
      const exposure = (where: string): string =>
        `warning: listening on ${where}, not loopback: whoever reaches it can make this machine open connections anywhere (the emulator is a network proxy)`;
      // Before binding, so the warning stands even if the bind fails; with PORT 0, once the port is known.
      if (exposed && address.port !== 0) warn(exposure(listening));
      let booted = false;
      const served = await serveTcp(port, {
        ...address,
        onHostAttach(remote) {
          warn(`host ${remote} attached`);
          // The module "powers on" when the first host listens, so its boot URCs are seen.
          if (!booted) modem.start();
          booted = true;
        },
        log: warn,
        onHostDetach: (remote, reason) => warn(`host ${remote} ${reason === 'taken-over' ? 'replaced by a new connection' : 'detached'}`),
      });
      endpoint = served;
      if (exposed && address.port === 0) warn(exposure(formatHostPort(served.host, served.port)));
    }
  } catch (err) {
    warn(describeStartError(err, listening));
    process.exit(1);
  }
  // Announced before the ready line, on the same stream: once a tool sees "ready", control is up.
  const announce = (line: string): void => void (options.stdio === true ? process.stderr : process.stdout).write(`${line}\n`);
  if (options.control !== undefined) {
    await startControl(options.control, { id: DEFAULT_MODEM_ID, modem, line: port, network, outage: new NetworkOutage(network, modem.clock) }, options.tokenFile, announce);
  }

  // Before the ready line: whoever reads it may signal us at once. SIGHUP too: a closed terminal
  // should not leave the PTY symlink behind.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop(endpoint, port));
  if (options.stdio === true || options.pty !== undefined) modem.start();
  const ready = `${READY_PREFIX}${endpoint.description}\n`;
  (options.stdio === true ? process.stderr : process.stdout).write(ready);
}

/** The --allow list, or exit 1 (a bad flag) when a rule names a host the table does not have. */
function allowListOf(values: readonly string[], hosts: ReadonlyMap<string, string>): AllowList {
  try {
    return AllowList.from(values, hosts);
  } catch (err) {
    if (!(err instanceof AllowRuleError)) throw err;
    warn(`--allow ${err.message}`);
    process.exit(1);
  }
}

/** Logs each refused destination once (a flood of datagrams to one place is one line). */
function refusalLogger(): (refusal: Refusal) => void {
  const seen = new Set<string>();
  return ({ kind, to }) => {
    const key = `${kind} ${formatHostPort(to.address, to.port)}`;
    if (seen.has(key) || seen.size >= 1000) return;
    seen.add(key);
    warn(`refused ${kind === 'tcp' ? 'a connection' : 'datagrams'} to ${formatHostPort(to.address, to.port)}: not in --allow`);
  };
}

let stopping = false;

/** Close the endpoint (servers, PTY, symlink), bounded, then exit 0. */
async function stop(endpoint: ServedEndpoint, modem: ModuleSide): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Let the answer to the last command out first (stdin may end right behind it).
  await quietOutput(modem, 100, 2000);
  await Promise.race([endpoint.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  for (const cleanup of cleanups) await Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  process.exit(0);
}

/** Resolve once the module has printed nothing for `quietMs`, or after `maxMs` in any case. */
function quietOutput(modem: ModuleSide, quietMs: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(limit);
      modem.off('output', restart);
      resolve();
    };
    const restart = (): void => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    const limit = setTimeout(done, maxMs);
    modem.on('output', restart);
    restart();
  });
}

/** Run on stop, after the endpoint closed (control server, token file, trace file). */
const cleanups: (() => void | Promise<void>)[] = [];

/** `--trace`: the AT line as a replayable transcript, to stderr or a file. */
function startTrace(line: AtLine, target: string | true, dialect: DialectName): void {
  const header = traceHeader(`a76xx emulate --dialect ${dialect}`);
  if (target === true) {
    traceInto(line, new TraceWriter((text) => void process.stderr.write(text), { header }));
    return;
  }
  try {
    const file = openTraceFile(target, { header });
    traceInto(line, file.writer);
    cleanups.push(() => file.close());
  } catch (err) {
    warn(`cannot write the trace to ${target}: ${(err as Error).message}`);
    process.exit(1);
  }
}

/** `--control`: the HTTP+JSON control API, its token printed and saved for `a76xx ctl`. */
async function startControl(
  address: TcpAddress | true,
  target: ControlTarget | readonly ControlTarget[],
  tokenFileOption: string | undefined,
  announce: (line: string) => void,
): Promise<void> {
  const { host, port } = address === true ? { host: DEFAULT_TCP_HOST, port: DEFAULT_CONTROL_PORT } : address;
  const where = formatHostPort(host, port);
  if (!isLoopback(host)) {
    warn(`warning: control API on ${where}, not loopback: whoever has the token can drive the emulator from elsewhere`);
  }
  const plane = new ControlPlane();
  for (const one of Array.isArray(target) ? target : [target]) plane.add(one);
  const token = generateToken();
  let server: ControlServer;
  try {
    server = await serveControl(plane, { host, port, token, log: warn });
  } catch (err) {
    warn(describeStartError(err, `${where} (control)`));
    process.exit(1);
  }
  const running = server;
  cleanups.push(() => running.close());
  const tokenFile = tokenFileOption ?? defaultTokenPath(server.port);
  try {
    writeTokenFile(tokenFile, token);
    cleanups.push(() => removeTokenFile(tokenFile, token));
  } catch (err) {
    warn(`cannot write the control token to ${tokenFile}: ${(err as Error).message}`);
    await server.close();
    process.exit(1);
  }
  announce(controlReadyLine(server, token, tokenFile));
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function describeStartError(err: unknown, listening: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `cannot listen on ${listening}: address already in use`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `cannot listen on ${listening}: not an address of this machine`;
  if (code === 'EACCES') return `cannot listen on ${listening}: permission denied`;
  return errorMessage(err);
}

// ---------------------------------------------------------------- fleet mode

/**
 * The line printed for each modem of a fleet before the ready line (same stream):
 *   a76xx emulator modem 0: tcp 127.0.0.1:20000
 *   a76xx emulator modem 1: pty /dev/pts/7 (link /tmp/a76xx1)
 * and then one ready line for all: `a76xx emulator ready: fleet 2 tcp 127.0.0.1:20000-20001`
 * (consecutive ports), `… fleet 2 tcp` (free ports) or `… fleet 2 pty`.
 */
export const MODEM_PREFIX = 'a76xx emulator modem ';

/** A modem line of a fleet read back: its control id and its endpoint. */
export function parseModemLine(line: string): { id: string; endpoint: ReadyEndpoint } | undefined {
  if (!line.startsWith(MODEM_PREFIX)) return undefined;
  const match = /^(\d+): (.*)$/.exec(line.slice(MODEM_PREFIX.length).trimEnd());
  if (match === null) return undefined;
  const endpoint = parseReadyLine(`${READY_PREFIX}${match[2] as string}`);
  return endpoint === undefined ? undefined : { id: match[1] as string, endpoint };
}

/** The modem configuration the flags describe (one modem, or each modem of a fleet). */
function modemConfig(options: EmulateOptions, hosts: ReadonlyMap<string, string>): EmulatorConfig {
  return makeConfig({
    ...fidelityConfig(options),
    dialect: DIALECTS[options.dialect],
    bootUrcs: options.bootUrcs,
    hosts,
    ...(options.escapeGuard !== undefined ? { escapeGuardMs: options.escapeGuard } : {}),
  });
}

/** `a76xx emulate --count N`: N modems, each with its own network simulation, line and transport. */
async function runFleet(options: EmulateOptions, count: number, network: Network, hosts: ReadonlyMap<string, string>): Promise<void> {
  const fleet = new Fleet({
    count,
    config: modemConfig(options, hosts),
    network,
    conditions: { latencyMs: options.latency ?? 0, bandwidthBps: options.bandwidth ?? 0 },
    pacing: options.pace === true,
    log: warn,
  });
  let endpoints: ServedEndpoint[];
  let summary: string;
  let listening = '';
  try {
    if (options.pty !== undefined) {
      endpoints = await serveFleetPty(fleet, { ...(options.pty !== true ? { link: options.pty } : {}), log: warn });
      summary = 'pty';
    } else {
      const address = options.tcp === undefined || options.tcp === true ? { host: DEFAULT_TCP_HOST, port: DEFAULT_TCP_PORT } : options.tcp;
      listening = `${formatHostPort(address.host, address.port)} (${count} ports)`;
      if (!isLoopback(address.host)) {
        warn(`warning: listening on ${address.host}, not loopback: whoever reaches it can make this machine open connections anywhere`);
      }
      const booted = new Set<number>();
      endpoints = await serveFleetTcp(fleet, {
        host: address.host,
        basePort: address.port,
        log: warn,
        // Each modem "powers on" when its first host attaches, as a single emulator does.
        onHostAttach(index) {
          if (booted.has(index)) return;
          booted.add(index);
          fleet.members[index]?.modem.start();
        },
      });
      summary =
        address.port === 0
          ? 'tcp'
          : `tcp ${formatHostPort(address.host, address.port)}-${address.port + count - 1}`;
    }
  } catch (err) {
    warn(describeStartError(err, listening));
    process.exit(1);
  }
  const out = process.stdout;
  if (options.control !== undefined) {
    await startControl(options.control, fleet.members, options.tokenFile, (line) => void out.write(`${line}\n`));
  }
  const all: ServedEndpoint = { description: `fleet ${count} ${summary}`, close: () => closeAll(endpoints) };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop(all, (fleet.members[0] as ControlTarget).line));
  if (options.pty !== undefined) for (const member of fleet.members) member.modem.start();
  out.write(endpoints.map((e, i) => `${MODEM_PREFIX}${i}: ${e.description}\n`).join(''));
  out.write(`${READY_PREFIX}${all.description}\n`);
}
