import { isIP } from 'node:net';
import { formatHostPort, type HostPort } from '../common/host-port.js';
import { errorMessage } from '../common/errors.js';
import { DEFAULT_CONTROL_PORT } from '../control/address.js';
import { controlReadyLine, serveControl, type ControlServer } from '../control/http-server.js';
import type { AtLine } from '../control/line.js';
import { ControlPlane } from '../control/plane.js';
import { defaultTokenPath, generateToken, removeTokenFile, writeTokenFile } from '../control/token.js';
import { makeConfig, type EmulatorConfig } from '../emulator/config.js';
import { DIALECTS, type DialectName } from '../emulator/dialect.js';
import { AllowList, AllowListNetwork, AllowRuleError, type Refusal } from '../emulator/network/allow-list.js';
import { RealNetwork } from '../emulator/network/real.js';
import type { Network } from '../emulator/network/types.js';
import type { ServedEndpoint } from '../emulator/serve/endpoint.js';
import { serveStdio } from '../emulator/serve/stdio.js';
import { DEFAULT_TCP_HOST, type TcpEndpoint } from '../emulator/serve/tcp.js';
import { openTraceFile, traceHeader, traceInto, TraceWriter } from '../emulator/trace.js';
import { closeAll, Fleet, serveFleetPty, serveFleetTcp } from '../fleet/fleet.js';
import { fidelityConfig, type FidelityOptions } from './fidelity-options.js';
import { MODEM_PREFIX, READY_PREFIX } from './ready-line.js';

/**
 * `a76xx emulate`, running: the modems the flags describe — one, or a fleet of N; one modem is a
 * fleet of one, wired the same way — on a real network, served on one transport, with the control
 * API, a trace and signals; and one way out (`exit`), for a clean stop and for a failed start.
 */

export const DEFAULT_TCP_PORT = 7070;

export interface EmulateOptions extends FidelityOptions {
  readonly tcp?: HostPort | true;
  readonly pty?: string | true;
  readonly stdio?: true;
  readonly host?: ReadonlyMap<string, string>;
  readonly hostsOnly?: true;
  readonly dialect: DialectName;
  readonly bootUrcs: boolean;
  /** `--trace` alone: stderr; with a FILE: that file. */
  readonly trace?: string | true;
  readonly control?: HostPort | true;
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

export async function runEmulate(options: EmulateOptions): Promise<void> {
  const emulation = new Emulation(options);
  try {
    await emulation.start();
  } catch (err) {
    if (!(err instanceof StartFailure)) throw err;
    warn(err.message);
    await emulation.exit(1);
  }
}

const warn = (message: string): void => {
  process.stderr.write(`a76xx emulate: ${message}\n`);
};

/** A start step failed (a port taken, a file not writable, a bad --allow): its message, then exit 1. */
class StartFailure extends Error {}

class Emulation {
  /** Run on exit after the endpoints closed: the control server, the token file, the trace file. */
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  private endpoints: readonly ServedEndpoint[] = [];
  private lines: readonly AtLine[] = [];
  private exiting = false;
  /** One modem (no --count, or --count 1): its lines are those of a lone emulator. */
  private readonly single: boolean;
  private readonly count: number;
  /** Where the ready and control lines go: stdout, or stderr when stdout is the AT port. */
  private readonly out: NodeJS.WritableStream;

  constructor(private readonly options: EmulateOptions) {
    this.count = options.count ?? 1;
    this.single = this.count === 1;
    this.out = options.stdio === true ? process.stderr : process.stdout;
  }

  async start(): Promise<void> {
    const options = this.options;
    const hosts = options.host ?? new Map<string, string>();
    const fleet = new Fleet({
      count: this.count,
      config: modemConfig(options, hosts),
      network: this.network(hosts),
      // The simulated network passes everything through untouched until told otherwise (control verbs).
      conditions: { latencyMs: options.latency ?? 0, bandwidthBps: options.bandwidth ?? 0 },
      // What the transports serve: each modem's line, paced when asked, with injected URCs.
      pacing: options.pace === true,
      log: warn,
    });
    this.lines = fleet.members.map((member) => member.line);
    const first = this.lines[0] as AtLine;
    if (options.trace !== undefined) this.startTrace(first, options.trace);
    const summary = await this.serve(fleet);
    if (options.control !== undefined) await this.startControl(fleet, options.control);
    // Before the ready line: whoever reads it may signal us at once. SIGHUP too: a closed terminal
    // should not leave the PTY symlink behind.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void this.exit(0));
    // On TCP a modem "powers on" when its first host attaches (serve); elsewhere the host is there.
    if (options.stdio === true || options.pty !== undefined) for (const member of fleet.members) member.modem.start();
    if (!this.single) this.out.write(this.endpoints.map((e, i) => `${MODEM_PREFIX}${i}: ${e.description}\n`).join(''));
    this.out.write(`${READY_PREFIX}${this.single ? (this.endpoints[0] as ServedEndpoint).description : `fleet ${this.count} ${summary}`}\n`);
  }

  /**
   * The one way out: let the answer to the last command out first (stdin may end right behind it;
   * only on a stop), close the endpoints (servers, PTYs, symlinks) and then the rest, each bounded,
   * and exit with `code`.
   */
  async exit(code: 0 | 1): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    if (code === 0) await quietOutput(this.lines, 100, 2000);
    await bounded(closeAll(this.endpoints), 2000);
    for (const cleanup of this.cleanups) await bounded(cleanup(), 1000);
    process.exit(code);
  }

  /** The real network under every modem, behind the --allow list if there is one. */
  private network(hosts: ReadonlyMap<string, string>): Network {
    const options = this.options;
    const listenAddress = options.listenHost ?? DEFAULT_TCP_HOST;
    if (!isLoopback(listenAddress)) {
      warn(
        `warning: the module's servers and UDP sockets listen on ${listenAddress}, not loopback: other machines can ` +
          'reach them (and through them this machine)',
      );
    }
    const real = new RealNetwork({ hosts, staticOnly: options.hostsOnly === true, listenAddress, portOffset: options.portOffset ?? 0 });
    if (options.allow === undefined) return real;
    let allowList: AllowList;
    try {
      allowList = AllowList.from(options.allow, hosts);
    } catch (err) {
      if (err instanceof AllowRuleError) throw new StartFailure(`--allow ${err.message}`);
      throw err;
    }
    return new AllowListNetwork(real, allowList, { onRefused: refusalLogger() });
  }

  /** Serve every modem on the transport the flags chose; returns the fleet's summary for its ready line. */
  private async serve(fleet: Fleet): Promise<string> {
    const options = this.options;
    if (options.stdio === true) {
      // --stdio conflicts with --count: this is a fleet of one.
      const stdio = serveStdio(this.lines[0] as AtLine);
      this.endpoints = [stdio];
      void stdio.ended.then(() => this.exit(0));
      return 'stdio';
    }
    if (options.pty !== undefined) {
      try {
        this.endpoints = await serveFleetPty(fleet, { ...(options.pty !== true ? { link: options.pty } : {}), log: warn });
      } catch (err) {
        throw new StartFailure(describeStartError(err, ''));
      }
      return 'pty';
    }
    const address = options.tcp === undefined || options.tcp === true ? { host: DEFAULT_TCP_HOST, port: DEFAULT_TCP_PORT } : options.tcp;
    const where = formatHostPort(address.host, address.port);
    const listening = this.single ? where : `${where} (${this.count} ports)`;
    const exposed = !isLoopback(address.host);
    const exposure = (at: string): string =>
      `warning: listening on ${at}, not loopback: whoever reaches it can make this machine open connections anywhere (the emulator is a network proxy)`;
    // Before binding, so the warning stands even if the bind fails; a lone modem on PORT 0 once its port is known.
    const afterBind = this.single && address.port === 0;
    if (exposed && !afterBind) warn(exposure(listening));
    const booted = new Set<number>();
    let endpoints: TcpEndpoint[];
    try {
      endpoints = await serveFleetTcp(fleet, {
        host: address.host,
        basePort: address.port,
        log: warn,
        onHostAttach: (index, remote) => {
          if (this.single) warn(`host ${remote} attached`);
          // Each modem "powers on" when its first host attaches, so its boot URCs are seen.
          if (booted.has(index)) return;
          booted.add(index);
          fleet.members[index]?.modem.start();
        },
        ...(this.single
          ? { onHostDetach: (_index: number, remote: string, reason: 'closed' | 'taken-over') => warn(`host ${remote} ${reason === 'taken-over' ? 'replaced by a new connection' : 'detached'}`) }
          : {}),
      });
    } catch (err) {
      throw new StartFailure(describeStartError(err, listening));
    }
    this.endpoints = endpoints;
    const lone = endpoints[0];
    if (exposed && afterBind && lone !== undefined) warn(exposure(formatHostPort(lone.host, lone.port)));
    return address.port === 0 ? 'tcp' : `tcp ${where}-${address.port + this.count - 1}`;
  }

  /** `--trace`: the AT line as a replayable transcript, to stderr or a file (one modem only: --count conflicts). */
  private startTrace(line: AtLine, target: string | true): void {
    const header = traceHeader(`a76xx emulate --dialect ${this.options.dialect}`);
    if (target === true) {
      traceInto(line, new TraceWriter((text) => void process.stderr.write(text), { header }));
      return;
    }
    try {
      const file = openTraceFile(target, { header });
      traceInto(line, file.writer);
      this.cleanups.push(() => file.close());
    } catch (err) {
      throw new StartFailure(`cannot write the trace to ${target}: ${errorMessage(err)}`);
    }
  }

  /**
   * `--control`: the HTTP+JSON control API over every modem, its token printed and saved for
   * `a76xx ctl`. Announced before the ready line, on the same stream: once a tool sees "ready",
   * control is up.
   */
  private async startControl(fleet: Fleet, address: HostPort | true): Promise<void> {
    const { host, port } = address === true ? { host: DEFAULT_TCP_HOST, port: DEFAULT_CONTROL_PORT } : address;
    const where = formatHostPort(host, port);
    if (!isLoopback(host)) {
      warn(`warning: control API on ${where}, not loopback: whoever has the token can drive the emulator from elsewhere`);
    }
    const plane = new ControlPlane();
    fleet.register(plane);
    const token = generateToken();
    let server: ControlServer;
    try {
      server = await serveControl(plane, { host, port, token, log: warn });
    } catch (err) {
      throw new StartFailure(describeStartError(err, `${where} (control)`));
    }
    const running = server;
    this.cleanups.push(() => running.close());
    const tokenFile = this.options.tokenFile ?? defaultTokenPath(server.port);
    try {
      writeTokenFile(tokenFile, token);
    } catch (err) {
      throw new StartFailure(`cannot write the control token to ${tokenFile}: ${errorMessage(err)}`);
    }
    this.cleanups.push(() => removeTokenFile(tokenFile, token));
    this.out.write(`${controlReadyLine(server, token, tokenFile)}\n`);
  }
}

/** The modem configuration the flags describe (every modem of the fleet starts from it). */
function modemConfig(options: EmulateOptions, hosts: ReadonlyMap<string, string>): EmulatorConfig {
  return makeConfig({
    ...fidelityConfig(options),
    dialect: DIALECTS[options.dialect],
    bootUrcs: options.bootUrcs,
    hosts,
    ...(options.escapeGuard !== undefined ? { escapeGuardMs: options.escapeGuard } : {}),
  });
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

/** Resolve once no line has printed anything for `quietMs`, or after `maxMs` in any case. */
function quietOutput(lines: readonly AtLine[], quietMs: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(limit);
      for (const line of lines) line.off('output', restart);
      resolve();
    };
    const restart = (): void => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    const limit = setTimeout(done, maxMs);
    for (const line of lines) line.on('output', restart);
    restart();
  });
}

/** `work`, or give up waiting for it after `ms` (an exit must not hang on a stuck close). */
function bounded(work: void | Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
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
