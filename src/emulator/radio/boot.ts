import type { RadioPort } from '../module-port.js';
import { registrationSnapshot, settleRegistration } from './registration.js';
import { instantBoot, type BootTiming } from './timing.js';
import type { RadioTimers } from './timers.js';

/** What the boot sequence needs of the module: its radio, its timers, its reboot. */
export interface BootPort extends RadioPort {
  readonly radioTimers: RadioTimers;
  reboot(): void;
}

/**
 * Power-on and reset (spec §1.7): the boot URCs of the dialect, each at its step of the timing
 * profile. With the `fast` profile everything is ready at the reset and the lines come out at
 * once. With a timed profile the module starts dark (answers nothing), its SIM busy and its radio
 * searching; each step then changes the state and prints its line:
 *
 *   ready       the UART answers: `*ATREADY: 1` (A76XX) / `RDY` (SIM7600), after a NUL if configured
 *   sim         `+CPIN: READY` (no line for a locked or missing SIM); AT+CPIN? stops saying SIM busy
 *   sms         `SMS DONE`
 *   attach      registered and attached: `+CGEV: EPS PDN ACT 1` where the dialect prints it, and the
 *               registration URCs a host enabled meanwhile
 *   phonebook   `PB DONE`
 */

type Step = keyof BootTiming;

/** Which step prints which boot line of a dialect. */
const STEP_OF_LINE: Readonly<Record<string, Step>> = {
  '*ATREADY: 1': 'ready',
  RDY: 'ready',
  '+CPIN: READY': 'sim',
  'SMS DONE': 'sms',
  '+CGEV: EPS PDN ACT 1': 'attach',
  'PB DONE': 'phonebook',
};

const STEPS: readonly Step[] = ['ready', 'sim', 'sms', 'attach', 'phonebook'];

/** Run the boot sequence of the life that just began; `print`: the boot lines go out. */
export function bootSequence(modem: BootPort, print: boolean): void {
  const timing = modem.state.timing;
  if (instantBoot(timing)) {
    if (!print) return;
    if (modem.config.bootNul) modem.urcRaw(Buffer.from([0]));
    for (const line of modem.dialect.bootUrcs) {
      if (line === '+CPIN: READY' && modem.state.radio.sim !== 'ready') continue;
      modem.urc(line);
    }
    return;
  }
  const timers = modem.radioTimers;
  for (const step of STEPS) timers.after(timing.boot[step], () => runStep(modem, step, print));
}

function runStep(modem: BootPort, step: Step, print: boolean): void {
  const state = modem.state;
  const lines = print ? modem.dialect.bootUrcs.filter((line) => STEP_OF_LINE[line] === step) : [];
  switch (step) {
    case 'ready':
      state.poweredOff = false;
      if (print && modem.config.bootNul) modem.urcRaw(Buffer.from([0]));
      break;
    case 'sim': {
      const before = registrationSnapshot(state);
      state.radio.simBusy = false;
      for (const line of lines) if (state.radio.sim === 'ready') modem.urc(line);
      // Unlocked meanwhile? Nothing to do: the PIN entry answered `SIM busy` until now.
      settleRegistration(modem, before, 'ME');
      return;
    }
    case 'attach': {
      const before = registrationSnapshot(state);
      state.radio.searching = false;
      // The attach step's line is the attach itself (printed by it where the dialect does).
      settleRegistration(modem, before, 'NW');
      return;
    }
    default:
      break;
  }
  for (const line of lines) modem.urc(line);
}

/** Reboot once the final result code is out (AT+CRESET, AT+CFUN=1,1, AT+CFUN=6), after the profile's delay. */
export function scheduleReboot(modem: BootPort): void {
  modem.radioTimers.after(modem.state.timing.reboot, () => modem.reboot());
}
