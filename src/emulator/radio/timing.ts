/**
 * Timing profiles: how long the module takes for what it does asynchronously. All delays run on
 * the modem's injected clock (a FakeClock in tests).
 *
 * `fast` (the default) answers at once: tests and interactive use stay quick and deterministic,
 * and every host that works against a real module works against it. `realistic` takes about as
 * long as a real module, so host code that races the module (opening a socket right after
 * NETOPEN's `OK`, talking to it before `+CPIN: READY`) fails as it does in the field.
 *
 * Sources: no public log with timestamps of an A76XX boot or NETOPEN was found (spec §2.3); every
 * realistic value is a guess [INF], kept inside what host libraries wait for (TinyGSM: 75 s for
 * `+NETOPEN: 0`, 60 s for `+NETCLOSE: 0`, 10 s for AT after a restart; esp_modem: 10 s for
 * NETOPEN, 30 s for NETCLOSE) and the application note's bound on SIM readiness (20 s for
 * `+CPIN: READY`, AN§1.4). docs/fidelity.md lists each value with its reasoning.
 */
export type TimingName = 'fast' | 'realistic';

export interface BootTiming {
  /** Power-on or reset → `*ATREADY: 1` / `RDY`; before it the UART answers nothing. */
  readonly ready: number;
  /** → `+CPIN: READY`; before it AT+CPIN? answers `+CME ERROR: SIM busy`. */
  readonly sim: number;
  /** → `SMS DONE`. */
  readonly sms: number;
  /** → registered and attached (`+CGEV: EPS PDN ACT 1` on A76XX); before it CREG reads 2 (searching). */
  readonly attach: number;
  /** → `PB DONE`, the end of the boot. */
  readonly phonebook: number;
}

export interface TimingProfile {
  readonly name: TimingName;
  /** AT+NETOPEN `OK` → `+NETOPEN: 0`. */
  readonly netopen: number;
  /** AT+NETCLOSE `OK` → `+NETCLOSE: 0`. */
  readonly netclose: number;
  /** The `OK` of AT+CRESET / AT+CFUN=1,1 / AT+CFUN=6 → the reset. */
  readonly reboot: number;
  /** Offsets from the reset (or power-on) of each boot step. */
  readonly boot: BootTiming;
  /** Round trip of one AT+CPING echo when the network has no latency model (real network). */
  readonly pingRtt: number;
  /** AT+CNTP `OK` → `+CNTP: 0`. */
  readonly ntp: number;
}

export const TIMING_PROFILES: Readonly<Record<TimingName, TimingProfile>> = {
  fast: {
    name: 'fast',
    netopen: 20,
    netclose: 10,
    reboot: 0,
    boot: { ready: 0, sim: 0, sms: 0, attach: 0, phonebook: 0 },
    pingRtt: 1,
    ntp: 10,
  },
  realistic: {
    name: 'realistic',
    netopen: 1500,
    netclose: 600,
    reboot: 400,
    boot: { ready: 5000, sim: 6500, sms: 7500, attach: 9000, phonebook: 10000 },
    pingRtt: 60,
    ntp: 1200,
  },
};

export const TIMING_NAMES = Object.keys(TIMING_PROFILES) as TimingName[];

/** True when the boot sequence takes no time at all (everything happens at the reset). */
export function instantBoot(t: TimingProfile): boolean {
  const b = t.boot;
  return b.ready === 0 && b.sim === 0 && b.sms === 0 && b.attach === 0 && b.phonebook === 0;
}
