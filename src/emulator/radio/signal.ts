import type { ModuleCore } from '../module-port.js';
import type { ModemState } from '../state.js';
import { radioOn } from './registration.js';
import type { RadioTimers } from './timers.js';

/** Signal quality as AT+CSQ and its URC print it (spec §2.1.7): 99,99 with the radio off. */
export function csqLine(state: ModemState): string {
  const { rssi, ber } = radioOn(state) ? state.radio : { rssi: 99, ber: 99 };
  return `+CSQ: ${rssi},${ber}`;
}

/** AT+AUTOCSQ mode 0 reports every 5 s (spec §2.1.7). */
const AUTO_CSQ_PERIOD_MS = 5000;

/** (Re)arm the periodic `+CSQ:` report after AT+AUTOCSQ changed; a reboot resets AUTOCSQ and stops it. */
export function scheduleAutoCsq(modem: ModuleCore & { readonly radioTimers: RadioTimers }): void {
  const timers = modem.radioTimers;
  const [enabled, mode] = modem.state.radio.autoCsq;
  if (enabled !== 1 || mode !== 0) {
    timers.cancel('autocsq');
    return;
  }
  timers.replace('autocsq', AUTO_CSQ_PERIOD_MS, () => {
    modem.urc(csqLine(modem.state));
    scheduleAutoCsq(modem);
  });
}

/** After the control plane changed rssi/ber: `+CSQ:` when AT+AUTOCSQ=1 asks for it. */
export function announceSignal(modem: ModuleCore): void {
  if (modem.state.radio.autoCsq[0] === 1) modem.urc(csqLine(modem.state));
}
