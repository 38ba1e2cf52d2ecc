import type { ModemState, Operator } from '../state.js';

/**
 * The network the module is on, as AT+COPS and AT+CPSI? name it (spec §2.1.10, §2.1.11). The
 * operator and the access technology belong to the world: the control plane changes them
 * (`ctl operator`, `ctl rat`), a reboot keeps them.
 */

/** `<AcT>` of AT+COPS: 7 E-UTRAN; on GSM 3 (GSM w/EGPRS), as a real A7670E on GSM prints (LilyGo#178). */
export function accessTechnology(state: ModemState): number {
  return state.radio.rat === 'lte' ? 7 : 3;
}

/** The operator in a COPS `<format>`: 0 long name, 1 short name, 2 numeric MCC+MNC. */
export function operatorIn(operator: Operator, format: number): string {
  return format === 0 ? operator.longName : format === 1 ? operator.shortName : `${operator.mcc}${operator.mnc}`;
}

export const MCC = /^\d{3}$/;
export const MNC = /^\d{2,3}$/;
/** Operator names as COPS prints them inside quotes: printable ASCII without `"`. */
export const OPERATOR_NAME = /^[\x20\x21\x23-\x7e]{1,32}$/;
