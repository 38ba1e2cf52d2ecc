import type { AccessTechnology, SimState } from '../config.js';
import type { RadioPort } from '../module-port.js';
import type { Operator } from '../state.js';
import { cpinCode, registrationSnapshot, settleRegistration, visibleSim } from './registration.js';
import { announceSignal } from './signal.js';

/**
 * What the world does to the radio — the network grants or refuses registration, the SIM is
 * swapped or initialises, the serving cell changes — and what the module prints for it. The
 * control verbs call these; the command handlers share the model they change (registration.ts).
 */

/** The network grants registration `<stat>` (spec §2.1.9): detach or attach, then the URCs. */
export function grantRegistration(modem: RadioPort, stat: number): void {
  const before = registrationSnapshot(modem.state);
  modem.state.radio.regStat = stat;
  settleRegistration(modem, before, 'NW');
}

/** The serving cell's access technology changes: COPS AcT, CPSI, CNSMOD and CEREG follow. */
export function changeAccessTechnology(modem: RadioPort, rat: AccessTechnology): void {
  const before = registrationSnapshot(modem.state);
  modem.state.radio.rat = rat;
  settleRegistration(modem, before, 'NW');
}

/** The network the module is on (kept across reboots; COPS and CPSI read it). */
export function changeOperator(modem: RadioPort, operator: Operator): void {
  Object.assign(modem.state.radio.operator, operator);
}

/** Signal quality as AT+CSQ reports it; `+CSQ:` when AT+AUTOCSQ=1 asks for it. */
export function changeSignal(modem: RadioPort, rssi: number, ber: number): void {
  modem.state.radio.rssi = rssi;
  modem.state.radio.ber = ber;
  announceSignal(modem);
}

const PIN_ATTEMPTS = 3;

/**
 * The SIM changes: `absent` prints `+SIMCARD: NOT AVAILABLE`, a locked one `+CPIN: SIM PIN|PUK`,
 * `ready` `+CPIN: READY`; `busy` initialises as after a reset (AT+CPIN? answers `SIM busy` until
 * the next change). Detach, attach and registration URCs follow.
 */
export function changeSim(modem: RadioPort, next: SimState | 'busy'): void {
  const state = modem.state;
  const radio = state.radio;
  const before = registrationSnapshot(state);
  if (next === 'busy') {
    radio.simBusy = true;
    settleRegistration(modem, before, 'ME');
    return;
  }
  const wasVisible = radio.simBusy ? undefined : visibleSim(state);
  radio.simBusy = false;
  radio.sim = next;
  radio.pinAttempts = next === 'puk' ? 0 : PIN_ATTEMPTS;
  if (next !== 'absent') radio.pinLock = next !== 'ready';
  const now = visibleSim(state);
  if (now === 'absent') {
    if (wasVisible !== 'absent') modem.urc('+SIMCARD: NOT AVAILABLE');
  } else if (now !== wasVisible) {
    modem.urc(`+CPIN: ${cpinCode(now)}`);
  }
  settleRegistration(modem, before, 'ME');
}
