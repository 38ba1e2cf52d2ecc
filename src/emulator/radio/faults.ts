/**
 * Failures the network imposes, as the control verbs, the flags and the handlers share them.
 *
 * PDP activation rejected with an ESM cause (27.007 §9.2.2 maps the causes that have their own
 * +CME ERROR code): a real A7670E prints `+CME ERROR: requested service option not subscribed (#33)`
 * (LilyGo-Modem-Series#178).
 */
export const CME_OF_ESM_CAUSE: Readonly<Record<number, number>> = { 32: 132, 33: 133, 34: 134 };

/** The ESM causes `ctl cgact-reject` and `--cgact-reject` take. */
export const CGACT_REJECT_CAUSES: readonly number[] = Object.keys(CME_OF_ESM_CAUSE).map(Number);
