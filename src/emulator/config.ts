import { DIALECTS, type Dialect } from './dialect.js';
import { TIMING_PROFILES, type TimingProfile } from './radio/timing.js';

/** Everything about the simulated device that is not protocol: identity, SIM, radio, timing. */
export interface EmulatorConfig {
  readonly dialect: Dialect;
  readonly identity: {
    readonly manufacturer: string;
    readonly model: string;
    readonly revision: string;
    readonly imei: string;
    readonly imsi: string;
    readonly iccid: string;
    /** Firmware build line that AT+SIMCOMATI prints under `Revision:`. */
    readonly build: string;
  };
  readonly sim: {
    /** SIM state at power-on. */
    readonly state: SimState;
    readonly pin: string;
    readonly puk: string;
    /** Service provider name (AT+CSPN?). */
    readonly spn: string;
  };
  readonly radio: {
    readonly rssi: number;
    readonly ber: number;
    /** Registration `<stat>` once attached: 1 home, 5 roaming, … (spec §2.1.9). */
    readonly registration: number;
    readonly mcc: string;
    readonly mnc: string;
    /** Long and short alphanumeric operator names (AT+COPS). */
    readonly operatorName: string;
    readonly operatorShortName: string;
    /** Access technology of the serving cell: LTE (AcT 7) or GSM (spec §2.1.11 GSM line). */
    readonly rat: AccessTechnology;
    /** Tracking area code as `0x…` hex, cell id in decimal (as AT+CPSI? prints them). */
    readonly tac: string;
    readonly cellId: string;
    /** The serving LTE cell's fields of AT+CPSI? after the cell id (raw report values, spec §2.1.11). */
    readonly lte: {
      readonly pcid: number;
      readonly band: string;
      readonly earfcn: number;
      readonly dlbw: number;
      readonly ulbw: number;
      readonly rsrq: number;
      readonly rsrp: number;
      readonly rssi: number;
      readonly rssnr: number;
    };
    /** The serving GSM cell's fields of AT+CPSI? after the cell id, when `rat` is GSM (spec §2.1.11). */
    readonly gsm: {
      readonly arfcn: string;
      readonly rxlev: number;
      readonly trackLo: number;
      readonly c1c2: string;
    };
  };
  /** Address the simulated PDP context gets (what AT+IPADDR / AT+CGPADDR report). */
  readonly localIp: string;
  /** UART rate at power-on (AT+IPREX value). */
  readonly baud: number;
  /** The module's temperature in °C, as AT+CPMUTEMP reports it (a whole number). */
  readonly temperatureC: number;
  /**
   * How long the module takes for what it does asynchronously: the socket service, reboots, the
   * boot sequence (radio/timing.ts: the `fast` and `realistic` profiles and their sources).
   */
  readonly latency: TimingProfile;
  /** Print the boot URCs when the emulator starts. */
  readonly bootUrcs: boolean;
  /** A NUL byte (0x00) comes out first at every power-on and reset, as some modules' UARTs emit one. */
  readonly bootNul: boolean;
  /** Failures the module shows from power-on (each also a control verb). */
  readonly faults: ModemFaults;
  /**
   * Silence required before and after a `+++` escape in data mode (spec §2.1.19: 1000 ms). Shorter
   * values make transparent-mode tests and impatient users faster; the 900 ms gap rule stays.
   */
  readonly escapeGuardMs: number;
  /** Static host table consulted before any real name resolution. */
  readonly hosts: ReadonlyMap<string, string>;
}

export type SimState = 'ready' | 'absent' | 'pin' | 'puk';

export type AccessTechnology = 'lte' | 'gsm';

/** Failures real modules show that the network or SIM cause (spec §2.1.6, §2.1.16, §2.2.1). */
export interface ModemFaults {
  /**
   * AT+NETOPEN fails: `error` answers a bare `ERROR` (what real modules print without coverage or
   * with the PDP context rejected), `async` answers `OK` then `+NETOPEN: 1`; `none` works.
   */
  readonly netopen: 'none' | 'error' | 'async';
  /** AT+CGACT=1 is rejected with this ESM cause (27.007 §9.2.2: 32, 33 or 34); undefined: accepted. */
  readonly cgactCause: number | undefined;
}

export const NO_FAULTS: ModemFaults = { netopen: 'none', cgactCause: undefined };

export const DEFAULT_CONFIG: EmulatorConfig = {
  dialect: DIALECTS.a76xx,
  identity: {
    manufacturer: 'SIMCOM INCORPORATED',
    model: 'A7670E-LASE',
    revision: 'A7670M7_V1.11.1',
    imei: '860470062749167',
    imsi: '460010222028133',
    iccid: '89860318760238610932',
    // Invented (no public A7670E-LASE AT+SIMCOMATI log found); configurable.
    build: 'A7670M7_B11V01_231108',
  },
  sim: { state: 'ready', pin: '1234', puk: '12345678', spn: 'CHN-UNICOM' },
  radio: {
    rssi: 20,
    ber: 99,
    registration: 1,
    mcc: '460',
    mnc: '01',
    operatorName: 'CHN-UNICOM',
    operatorShortName: 'UNICOM',
    rat: 'lte',
    tac: '0x230A',
    cellId: '175499523',
    // The manual's example line: +CPSI: LTE,Online,460-01,0x230A,175499523,318,EUTRAN-BAND3,1650,5,0,21,67,255,19
    lte: { pcid: 318, band: 'EUTRAN-BAND3', earfcn: 1650, dlbw: 5, ulbw: 0, rsrq: 21, rsrp: 67, rssi: 255, rssnr: 19 },
    // A real A7670E on GSM (LilyGo-Modem-Series#178): +CPSI: GSM,Online,222-01,0x46C2,43674,1021 PGSM 900,25,0,15-15
    gsm: { arfcn: '1021 PGSM 900', rxlev: 25, trackLo: 0, c1c2: '15-15' },
  },
  localIp: '10.148.0.17',
  baud: 115200,
  temperatureC: 25,
  latency: TIMING_PROFILES.fast,
  bootUrcs: true,
  bootNul: false,
  faults: NO_FAULTS,
  escapeGuardMs: 1000,
  hosts: new Map(),
};

export type ConfigOverrides = Partial<Omit<EmulatorConfig, 'identity' | 'sim' | 'radio' | 'latency' | 'faults'>> & {
  identity?: Partial<EmulatorConfig['identity']>;
  sim?: Partial<EmulatorConfig['sim']>;
  radio?: Partial<EmulatorConfig['radio']>;
  /** Start from a named profile (`fast` unless given), then override single delays. */
  latency?: Partial<Omit<EmulatorConfig['latency'], 'boot'>> & { boot?: Partial<TimingProfile['boot']> };
  faults?: Partial<ModemFaults>;
};

export function makeConfig(overrides: ConfigOverrides = {}): EmulatorConfig {
  return {
    ...DEFAULT_CONFIG,
    ...overrides,
    identity: { ...DEFAULT_CONFIG.identity, ...overrides.identity },
    sim: { ...DEFAULT_CONFIG.sim, ...overrides.sim },
    radio: { ...DEFAULT_CONFIG.radio, ...overrides.radio },
    latency: timingWith(overrides.latency),
    faults: { ...DEFAULT_CONFIG.faults, ...overrides.faults },
  };
}

function timingWith(overrides: ConfigOverrides['latency']): TimingProfile {
  const base = TIMING_PROFILES[overrides?.name ?? 'fast'];
  if (overrides === undefined) return base;
  return { ...base, ...overrides, boot: { ...base.boot, ...overrides.boot } };
}
