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
  };
  readonly sim: {
    /** SIM state at power-on. */
    readonly state: SimState;
    readonly pin: string;
    readonly puk: string;
  };
  readonly radio: {
    readonly rssi: number;
    readonly ber: number;
    /** Registration `<stat>` once attached: 1 home, 5 roaming, … (spec §2.1.9). */
    readonly registration: number;
    readonly mcc: string;
    readonly mnc: string;
    readonly operatorName: string;
    readonly tac: string;
    readonly cellId: string;
  };
  /** Address the simulated PDP context gets (what AT+IPADDR / AT+CGPADDR report). */
  readonly localIp: string;
  /** UART rate at power-on (AT+IPREX value). */
  readonly baud: number;
  /** Simulated latencies of asynchronous completions, in ms. */
  readonly latency: {
    readonly netopen: number;
    readonly netclose: number;
  };
  /** Print the boot URCs when the emulator starts. */
  readonly bootUrcs: boolean;
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
  },
  sim: { state: 'ready', pin: '1234', puk: '12345678' },
  radio: {
    rssi: 20,
    ber: 99,
    registration: 1,
    mcc: '460',
    mnc: '01',
    operatorName: 'CHN-UNICOM',
    tac: '0x230A',
    cellId: '175499523',
  },
  localIp: '10.148.0.17',
  baud: 115200,
  latency: { netopen: 20, netclose: 10 },
  bootUrcs: true,
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
