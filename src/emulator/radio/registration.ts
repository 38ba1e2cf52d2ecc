import type { SimState } from '../config.js';
import type { ModuleCore, RadioPort } from '../module-port.js';
import type { ModemState } from '../state.js';

/**
 * The registration model shared by the SIM, radio and PDP commands and the control verbs: what
 * the SIM, CFUN, COPS, the boot and attach state let the module report, and the URCs a change of
 * them prints (spec §2.1.6–§2.1.16).
 *
 * `state.radio.regStat` is what the network grants; everything the host sees is gated here:
 *   CS (AT+CREG)     regStat when CFUN=1, the SIM is READY (not busy) and COPS≠2, else 0;
 *                    2 (searching) while a timed boot looks for the network
 *   PS (AT+CGREG)    the CS value while attached (AT+CGATT); not attached: the CS value when it
 *                    says searching, denied or unknown (a SIM7600 searching prints `+CGREG: 0,2`),
 *                    else 0 (detached by the host)
 *   EPS (AT+CEREG)   the PS value on LTE; 0 on GSM (no E-UTRAN registration) [INF]
 */

/** CFUN levels that power the SIM down (`+SIMCARD: NOT AVAILABLE` on CFUN=0, spec §2.1.8). */
const SIM_OFF_LEVELS = new Set([0, 8]);
/** CFUN levels with the transmitter and receiver off. */
const RADIO_OFF_LEVELS = new Set([0, 4, 7]);

export const isRegisteredStat = (stat: number): boolean => stat === 1 || stat === 5;

/** The SIM as the host sees it: `absent` when missing or powered down by CFUN. */
export function visibleSim(state: ModemState): SimState {
  return SIM_OFF_LEVELS.has(state.radio.cfun) ? 'absent' : state.radio.sim;
}

/** `<code>` of `+CPIN:` for a SIM that is there (spec §2.1.6). */
export function cpinCode(sim: Exclude<SimState, 'absent'>): string {
  return sim === 'ready' ? 'READY' : sim === 'pin' ? 'SIM PIN' : 'SIM PUK';
}

export function radioOn(state: ModemState): boolean {
  return !RADIO_OFF_LEVELS.has(state.radio.cfun);
}

function mayRegister(state: ModemState): boolean {
  const radio = state.radio;
  return radio.cfun === 1 && radio.sim === 'ready' && !radio.simBusy && radio.copsMode !== 2;
}

/** Registration `<stat>` values (spec §2.1.9). */
export const RegStat = { None: 0, Home: 1, Searching: 2, Denied: 3, Unknown: 4, Roaming: 5 } as const;

/** `<stat>` of AT+CREG. */
export function csStat(state: ModemState): number {
  if (!mayRegister(state)) return RegStat.None;
  return state.radio.searching ? RegStat.Searching : state.radio.regStat;
}

/** `<stat>` of AT+CGREG. */
export function psStat(state: ModemState): number {
  const cs = csStat(state);
  if (state.attached) return cs;
  return cs === RegStat.Searching || cs === RegStat.Denied || cs === RegStat.Unknown ? cs : RegStat.None;
}

/** `<stat>` of AT+CEREG. */
export function epsStat(state: ModemState): number {
  return state.radio.rat === 'lte' ? psStat(state) : RegStat.None;
}

/** `<stat>` of AT+CNSMOD: 8 LTE or 1 GSM while registered, 0 no service (spec §2.1.13). */
export function systemMode(state: ModemState): number {
  if (!isRegisteredStat(csStat(state))) return 0;
  return state.radio.rat === 'lte' ? 8 : 1;
}

/** `"<lac>","<ci>"` (two-byte area code, four-byte cell id, hex) from the configured cell. */
export function locationFields(modem: ModuleCore): string {
  const { tac, cellId } = modem.config.radio;
  const area = tac.replace(/^0x/i, '').toUpperCase().padStart(4, '0');
  const cell = BigInt(cellId).toString(16).toUpperCase().padStart(8, '0');
  return `"${area}","${cell}"`;
}

/** What the registration URCs depend on, to print only what changed. */
export interface RegistrationSnapshot {
  readonly cs: number;
  readonly ps: number;
  readonly eps: number;
  readonly mode: number;
}

export function registrationSnapshot(state: ModemState): RegistrationSnapshot {
  return { cs: csStat(state), ps: psStat(state), eps: epsStat(state), mode: systemMode(state) };
}

function registrationUrc(modem: ModuleCore, prefix: string, n: number, stat: number): void {
  if (n === 0) return;
  const location = n === 2 && isRegisteredStat(stat) ? `,${locationFields(modem)}` : '';
  modem.urc(`${prefix}: ${stat}${location}`);
}

/**
 * Print `+CREG:`/`+CGREG:`/`+CEREG:` (per their `<n>`) and `+CNSMOD:` (when enabled) for what
 * changed since `before`, or for everything when `before` is omitted. The control plane calls
 * this after changing `state.radio.regStat` or the attach state.
 */
export function announceRegistration(modem: ModuleCore, before?: RegistrationSnapshot): void {
  const radio = modem.state.radio;
  const now = registrationSnapshot(modem.state);
  if (before === undefined || before.cs !== now.cs) registrationUrc(modem, '+CREG', radio.cregMode, now.cs);
  if (before === undefined || before.ps !== now.ps) registrationUrc(modem, '+CGREG', radio.cgregMode, now.ps);
  if (before === undefined || before.eps !== now.eps) registrationUrc(modem, '+CEREG', radio.ceregMode, now.eps);
  if ((before === undefined || before.mode !== now.mode) && radio.cnsmodMode === 1) {
    modem.urc(`+CNSMOD: ${now.mode}`);
  }
}

/** A `+CGEV:` event, printed unless AT+CGEREP mode 0 keeps them in the module. */
export function packetEvent(modem: ModuleCore, text: string): void {
  if (modem.state.radio.cgerep[0] !== 0) modem.urc(`+CGEV: ${text}`);
}

/** The address a context gets when activated: the configured one for cid 1, the next ones after it. */
export function contextAddress(modem: ModuleCore, cid: number): string {
  const octets = modem.config.localIp.split('.').map(Number);
  if (octets.length !== 4 || cid === 1) return modem.config.localIp;
  const last = ((octets[3] as number) + cid - 1) % 256;
  return [octets[0], octets[1], octets[2], last].join('.');
}

/**
 * Attach when the radio may register and is registered: LTE attach brings up the default
 * bearer (cid 1), with `+CGEV: EPS PDN ACT 1` as at boot where the dialect prints it (spec §1.7).
 * Returns whether attached.
 */
export function autoAttach(modem: ModuleCore): boolean {
  const state = modem.state;
  if (state.attached) return true;
  if (!isRegisteredStat(csStat(state))) return false;
  state.attached = true;
  const bearer = state.pdp.get(1);
  if (bearer !== undefined && !bearer.active) {
    bearer.active = true;
    if (modem.dialect.epsPdnActEvent) packetEvent(modem, 'EPS PDN ACT 1');
  }
  return true;
}

/**
 * After the SIM, the registration grant or the radio changed: attach or detach as the module
 * would, then the registration URCs for what changed since `before`.
 */
export function settleRegistration(modem: RadioPort, before: RegistrationSnapshot, detachedBy: 'ME' | 'NW'): void {
  if (isRegisteredStat(csStat(modem.state))) autoAttach(modem);
  else detach(modem, detachedBy);
  announceRegistration(modem, before);
}

/**
 * Detach (ME- or network-initiated): every context goes down with it (27.007 `+CGEV: ME DETACH`),
 * and so does the socket service riding on the default bearer (`+CIPEVENT`, spec §4).
 */
export function detach(modem: RadioPort, by: 'ME' | 'NW'): void {
  const state = modem.state;
  if (!state.attached) return;
  state.attached = false;
  for (const context of state.pdp.values()) context.active = false;
  packetEvent(modem, `${by} DETACH`);
  modem.loseNetwork();
}
