import type { Clock } from '../emulator/clock.js';
import type { ConfigOverrides, EmulatorConfig } from '../emulator/config.js';
import { EmulatedModem } from '../emulator/modem.js';
import { SimulatedNetwork, type NetworkConditions } from '../emulator/network/simulated.js';
import type { Network } from '../emulator/network/types.js';
import { AtLine } from './line.js';
import { NetworkOutage } from './outage.js';

/** One modem as the control plane reaches it: the parts its verbs act on, and what they leave running. */
export interface ControlTarget {
  readonly id: string;
  readonly modem: EmulatedModem;
  /** The AT line transports serve (pacing, injected URCs, counters). */
  readonly line: AtLine;
  /** The network wrapper faults are injected into (absent: network verbs are unsupported). */
  readonly network: SimulatedNetwork | undefined;
  /** The network outage `network-loss` begins and `network-restore` (or its own timer) ends. */
  readonly outage: NetworkOutage;
}

/** The id of the modem of `a76xx emulate` (and what `a76xx ctl` addresses by default). */
export const DEFAULT_MODEM_ID = '0';

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
  return { id: options.id ?? DEFAULT_MODEM_ID, modem, line, network, outage: new NetworkOutage(network, modem.clock) };
}
