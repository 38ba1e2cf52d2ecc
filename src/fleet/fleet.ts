/**
 * Fleet mode: many emulated modules in one process, each with its own state, network faults and
 * AT line, served on consecutive TCP ports (or one PTY each) and addressed by the control plane
 * as modems `0`…`N-1`.
 *
 * What the modems share is what cannot differ between them anyway: the configuration (each gets
 * its own IMEI on top of it), the real network underneath and the clock. Everything with state is
 * per modem: the Modem, its SimulatedNetwork (so a fault injected into one leaves the others
 * alone), its AtLine (pacing, injected URCs) and its transport.
 *
 * A lone emulator (`a76xx emulate` without --count) is a fleet of one, wired the same way.
 */
import type { Clock } from '../emulator/clock.js';
import { makeConfig, type ConfigOverrides, type EmulatorConfig } from '../emulator/config.js';
import type { NetworkConditions } from '../emulator/network/simulated.js';
import type { Network } from '../emulator/network/types.js';
import type { ControlPlane } from '../control/plane.js';
import { controlledModem, type ControlTarget } from '../control/target.js';
import type { ServedEndpoint } from '../emulator/serve/endpoint.js';
import { serveTcp, type TcpEndpoint } from '../emulator/serve/tcp.js';

/** The most modems one process emulates (ports, descriptors and memory set the real limit). */
export const MAX_FLEET = 65_535;

export interface FleetOptions {
  readonly count: number;
  /** The configuration every modem starts from (each gets its own IMEI, `fleetImei`). */
  readonly config?: EmulatorConfig | ConfigOverrides;
  /** The network under every modem's SimulatedNetwork (normally one RealNetwork). */
  readonly network?: Network;
  readonly conditions?: Partial<NetworkConditions>;
  readonly pacing?: boolean;
  readonly clock?: Clock;
  readonly log?: (message: string) => void;
}

export class Fleet {
  /** Modem `i` has id `String(i)`. */
  readonly members: readonly ControlTarget[];

  constructor(options: FleetOptions) {
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_FLEET) {
      throw new RangeError(`a fleet has 1 to ${MAX_FLEET} modems, not ${options.count}`);
    }
    const base = isFullConfig(options.config) ? options.config : makeConfig(options.config);
    const members: ControlTarget[] = [];
    for (let i = 0; i < options.count; i++) {
      members.push(
        controlledModem({
          id: String(i),
          // Only the identity is the modem's own; the rest of the configuration is shared.
          config: i === 0 ? base : { ...base, identity: { ...base.identity, imei: fleetImei(base.identity.imei, i) } },
          ...(options.network !== undefined ? { network: options.network } : {}),
          ...(options.conditions !== undefined ? { conditions: options.conditions } : {}),
          ...(options.pacing !== undefined ? { pacing: options.pacing } : {}),
          ...(options.clock !== undefined ? { clock: options.clock } : {}),
          // A fleet of one is a lone modem: nothing to tell apart in its log.
          ...(options.log !== undefined ? { log: options.count === 1 ? options.log : prefixed(options.log, i) } : {}),
        }),
      );
    }
    this.members = members;
  }

  get size(): number {
    return this.members.length;
  }

  /** Make every modem reachable through `plane` (ids `0`…`N-1`). */
  register(plane: ControlPlane): void {
    for (const member of this.members) plane.add(member);
  }

  /** Stop every line (pacers, spliced URCs); the transports are closed by their endpoints. */
  detach(): void {
    for (const member of this.members) member.line.detach();
  }
}

function isFullConfig(config: EmulatorConfig | ConfigOverrides | undefined): config is EmulatorConfig {
  return config !== undefined && 'dialect' in config && 'identity' in config && 'hosts' in config;
}

function prefixed(log: (message: string) => void, index: number): (message: string) => void {
  return (message) => log(`modem ${index}: ${message}`);
}

/**
 * The IMEI of fleet member `index`: the base IMEI's 8-digit type code, its 6-digit serial plus
 * `index` (modulo 10^6), and a fresh Luhn check digit — so `AT+CGSN` tells the modems apart.
 */
export function fleetImei(baseImei: string, index: number): string {
  if (!/^\d{15}$/.test(baseImei)) return baseImei;
  const serial = (Number(baseImei.slice(8, 14)) + index) % 1_000_000;
  const body = baseImei.slice(0, 8) + String(serial).padStart(6, '0');
  return body + luhnDigit(body);
}

/** The Luhn check digit of a string of digits. */
export function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Doubled: every second digit counting from the right end of the body.
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export interface FleetTcpOptions {
  readonly host: string;
  /** Modem i listens on `basePort + i`; 0: each on a free port of its own. */
  readonly basePort: number;
  readonly log?: (message: string) => void;
  readonly onHostAttach?: (index: number, remote: string) => void;
  readonly onHostDetach?: (index: number, remote: string, reason: 'closed' | 'taken-over') => void;
}

/**
 * Serve every modem on TCP, one port each. All or nothing: if one port cannot be had, the ones
 * already listening are closed and the error is thrown.
 */
export async function serveFleetTcp(fleet: Fleet, options: FleetTcpOptions): Promise<TcpEndpoint[]> {
  if (options.basePort !== 0 && options.basePort + fleet.size - 1 > 65535) {
    throw new RangeError(`${fleet.size} ports from ${options.basePort} go beyond 65535`);
  }
  const endpoints: TcpEndpoint[] = [];
  try {
    for (const [i, member] of fleet.members.entries()) {
      endpoints.push(
        await serveTcp(member.line, {
          host: options.host,
          port: options.basePort === 0 ? 0 : options.basePort + i,
          ...(options.log !== undefined ? { log: options.log } : {}),
          ...(options.onHostAttach !== undefined ? { onHostAttach: (remote: string) => options.onHostAttach?.(i, remote) } : {}),
          ...(options.onHostDetach !== undefined
            ? { onHostDetach: (remote: string, reason: 'closed' | 'taken-over') => options.onHostDetach?.(i, remote, reason) }
            : {}),
        }),
      );
    }
  } catch (err) {
    await closeAll(endpoints);
    throw err;
  }
  return endpoints;
}

/**
 * Serve every modem on a PTY of its own; with `link`, symlinks `<link>0`…`<link>N-1` (a fleet of
 * one: `<link>` itself, as `a76xx emulate --pty LINK` makes).
 */
export async function serveFleetPty(fleet: Fleet, options: { readonly link?: string; readonly log?: (message: string) => void }): Promise<ServedEndpoint[]> {
  const { servePty } = await import('../emulator/serve/pty.js');
  const endpoints: ServedEndpoint[] = [];
  try {
    for (const [i, member] of fleet.members.entries()) {
      endpoints.push(
        await servePty(member.line, {
          ...(options.link !== undefined ? { link: fleet.size === 1 ? options.link : `${options.link}${i}` } : {}),
          ...(options.log !== undefined ? { log: options.log } : {}),
        }),
      );
    }
  } catch (err) {
    await closeAll(endpoints);
    throw err;
  }
  return endpoints;
}

export async function closeAll(endpoints: readonly ServedEndpoint[]): Promise<void> {
  await Promise.all(endpoints.map((e) => e.close()));
}
