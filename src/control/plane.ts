import type { Clock } from '../emulator/clock.js';
import type { ConfigOverrides, EmulatorConfig } from '../emulator/config.js';
import { EmulatedModem } from '../emulator/modem.js';
import { SimulatedNetwork, type NetworkConditions } from '../emulator/network/simulated.js';
import type { Network } from '../emulator/network/types.js';
import { AtLine } from './line.js';
import { ControlError, checkArgs, type JsonObject, type JsonValue } from './params.js';
import { VERBS, verbNamed, type VerbSpec } from './verbs.js';
import { errorMessage } from '../common/errors.js';

/**
 * The control plane: one API over emulated modems, used alike by the HTTP server (and through it
 * `a76xx ctl` and a web inspector) and by tests in process. Shaped for many modems in one process:
 * each has an id, and a call addresses one of them or `all`.
 */

/** One modem as the control plane reaches it. */
export interface ControlTarget {
  readonly id: string;
  readonly modem: EmulatedModem;
  /** The AT line transports serve (pacing, injected URCs, counters). */
  readonly line: AtLine;
  /** The network wrapper faults are injected into (absent: network verbs are unsupported). */
  readonly network: SimulatedNetwork | undefined;
}

/** The id of the modem of `a76xx emulate` (and what `a76xx ctl` addresses by default). */
export const DEFAULT_MODEM_ID = '0';
/** Addresses every modem at once. */
export const ALL_MODEMS = 'all';

export type InvokeResult =
  | { readonly modem: string; readonly verb: string; readonly result: JsonValue }
  | { readonly verb: string; readonly results: { readonly [id: string]: { result: JsonValue } | { error: { code: string; message: string } } } };

export class ControlPlane {
  private readonly targets = new Map<string, ControlTarget>();

  add(target: ControlTarget): void {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(target.id) || target.id === ALL_MODEMS) {
      throw new Error(`bad modem id ${JSON.stringify(target.id)}`);
    }
    if (this.targets.has(target.id)) throw new Error(`modem ${target.id} is already registered`);
    this.targets.set(target.id, target);
  }

  remove(id: string): void {
    this.targets.delete(id);
  }

  get ids(): string[] {
    return [...this.targets.keys()];
  }

  target(id: string): ControlTarget {
    const target = this.targets.get(id);
    if (target === undefined) {
      throw new ControlError('unknown-modem', `no modem ${JSON.stringify(id)} (known: ${this.ids.join(', ') || 'none'})`);
    }
    return target;
  }

  get verbs(): readonly VerbSpec[] {
    return VERBS;
  }

  /**
   * Run `verb` with `args` (a JSON object; checked here) on modem `id`, or on every modem with
   * `all` (each modem's failure is reported in its own entry then).
   */
  async invoke(id: string, verb: string, args: unknown = {}): Promise<InvokeResult> {
    const spec = verbNamed(verb);
    const checked = checkArgs(spec.params, args);
    if (id !== ALL_MODEMS) return { modem: id, verb, result: await spec.run(this.target(id), checked) };
    const results: Record<string, { result: JsonValue } | { error: { code: string; message: string } }> = {};
    for (const target of this.targets.values()) {
      try {
        results[target.id] = { result: await spec.run(target, checked) };
      } catch (err) {
        const e = err instanceof ControlError ? err : new ControlError('internal', errorMessage(err));
        results[target.id] = { error: { code: e.code, message: e.message } };
      }
    }
    return { verb, results };
  }

  /** The modems, briefly (for listings). */
  list(): JsonObject[] {
    return [...this.targets.values()].map((t) => ({ id: t.id, dialect: t.modem.dialect.name, net: t.modem.state.ip.net }));
  }
}

export interface ControlledModemOptions {
  readonly id?: string;
  readonly config?: EmulatorConfig | ConfigOverrides;
  readonly clock?: Clock;
  /** The network under the simulation (normally a RealNetwork); without one, the modem has none. */
  readonly network?: Network;
  readonly conditions?: Partial<NetworkConditions>;
  /** Pace the line from the start. */
  readonly pacing?: boolean;
  readonly log?: (message: string) => void;
}

/** A modem wired for control: its network wrapped in a SimulatedNetwork, its output on an AtLine. */
export function controlledModem(options: ControlledModemOptions = {}): ControlTarget {
  const network =
    options.network === undefined
      ? undefined
      : new SimulatedNetwork(options.network, {
          ...(options.clock !== undefined ? { clock: options.clock } : {}),
          ...(options.conditions !== undefined ? { conditions: options.conditions } : {}),
        });
  const modem = new EmulatedModem({
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  const line = new AtLine(modem, {
    pacing: options.pacing ?? false,
    ...(network !== undefined ? { onPressure: (full: boolean) => network.holdDelivery(full) } : {}),
  });
  return { id: options.id ?? DEFAULT_MODEM_ID, modem, line, network };
}
