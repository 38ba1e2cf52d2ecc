import { DIALECTS, type Dialect } from './dialect.js';

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
  };
  /** Address the simulated PDP context gets (what AT+IPADDR / AT+CGPADDR report). */
  readonly localIp: string;
  /** UART rate at power-on (AT+IPREX value). */
  readonly baud: number;
  /** Simulated latencies of asynchronous completions, in ms. */
  readonly latency: {
    readonly netopen: number;
    readonly netclose: number;
    /** From the OK of AT+CRESET / AT+CFUN=1,1 / AT+CFUN=6 to the reboot (boot URCs). */
    readonly reboot: number;
  };
  /** Print the boot URCs when the emulator starts. */
  readonly bootUrcs: boolean;
  /**
   * Silence required before and after a `+++` escape in data mode (spec §2.1.19: 1000 ms). Shorter
   * values make transparent-mode tests and impatient users faster; the 900 ms gap rule stays.
   */
  readonly escapeGuardMs: number;
  /** Static host table consulted before any real name resolution. */
  readonly hosts: ReadonlyMap<string, string>;
}

export type SimState = 'ready' | 'absent' | 'pin' | 'puk';

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
    tac: '0x230A',
    cellId: '175499523',
    // The manual's example line: +CPSI: LTE,Online,460-01,0x230A,175499523,318,EUTRAN-BAND3,1650,5,0,21,67,255,19
    lte: { pcid: 318, band: 'EUTRAN-BAND3', earfcn: 1650, dlbw: 5, ulbw: 0, rsrq: 21, rsrp: 67, rssi: 255, rssnr: 19 },
  },
  localIp: '10.148.0.17',
  baud: 115200,
  latency: { netopen: 20, netclose: 10, reboot: 0 },
  bootUrcs: true,
  escapeGuardMs: 1000,
  hosts: new Map(),
};

export type ConfigOverrides = Partial<Omit<EmulatorConfig, 'identity' | 'sim' | 'radio' | 'latency'>> & {
  identity?: Partial<EmulatorConfig['identity']>;
  sim?: Partial<EmulatorConfig['sim']>;
  radio?: Partial<EmulatorConfig['radio']>;
  latency?: Partial<EmulatorConfig['latency']>;
};

export function makeConfig(overrides: ConfigOverrides = {}): EmulatorConfig {
  return {
    ...DEFAULT_CONFIG,
    ...overrides,
    identity: { ...DEFAULT_CONFIG.identity, ...overrides.identity },
    sim: { ...DEFAULT_CONFIG.sim, ...overrides.sim },
    radio: { ...DEFAULT_CONFIG.radio, ...overrides.radio },
    latency: { ...DEFAULT_CONFIG.latency, ...overrides.latency },
  };
}
