import type { EmulatorConfig, SimState } from './config.js';

/**
 * The module's explicit state. Handlers read and change it; nothing else holds protocol state.
 * `resetState` builds it from the configuration at power-on, reboot and AT&F where noted.
 */

/** The V.25ter settings that AT&W saves and ATZ restores (spec §2.1.3). */
export interface SerialProfile {
  echo: boolean;
  /** ATV1: verbose result codes; ATV0: numeric. */
  verbose: boolean;
  /** ATQ1: no result codes. */
  quiet: boolean;
  /** ATX0–4: 0 prints a bare `CONNECT`, 1–4 `CONNECT <baud>`. */
  connectText: number;
  /** AT&D0/1/2. */
  dtrMode: number;
  /** AT&C0/1/2. */
  dcdMode: number;
  /** AT+IFC <DCE>,<DTE>. */
  flowControl: [number, number];
  /** S-registers (S0 auto-answer rings, S3/S4/S5 line characters, …). */
  sRegisters: Map<number, number>;
}

export interface SerialState extends SerialProfile {
  /** AT+CMEE: 0 plain ERROR, 1 numeric, 2 verbose. */
  cmee: number;
  /** Current UART rate (AT+IPR); reverts to `bootBaud` on reboot. */
  baud: number;
  /** AT+IPREX: rate at power-on. */
  bootBaud: number;
  /** AT+ICF <format>,<parity>. */
  frameFormat: [number, number];
  /** The profile saved by AT&W. */
  saved: SerialProfile;
}

export interface RadioState {
  sim: SimState;
  /** Wrong PIN entries left before PUK. */
  pinAttempts: number;
  /** AT+CFUN level. */
  cfun: number;
  rssi: number;
  ber: number;
  /** Registration `<stat>` (spec §2.1.9), same for CS/PS/EPS in this model. */
  regStat: number;
  /** URC modes `<n>` of AT+CREG, AT+CGREG, AT+CEREG. */
  cregMode: number;
  cgregMode: number;
  ceregMode: number;
  /** AT+CNMP preferred RAT. */
  cnmp: number;
  /** AT+CNSMOD URC enable. */
  cnsmodMode: number;
  /** AT+COPS mode and format. */
  copsMode: number;
  copsFormat: number;
  /** AT+CTZU / AT+CTZR. */
  ctzu: number;
  ctzr: number;
  /** AT+AUTOCSQ <auto>,<mode>. */
  autoCsq: [number, number];
  /** AT+CGEREP <mode>,<bfr>. */
  cgerep: [number, number];
}

export interface PdpContext {
  cid: number;
  type: string;
  apn: string;
  address: string;
  /** Parameters after the address, kept as written so the read form can echo them. */
  dComp: number;
  hComp: number;
  active: boolean;
  auth?: { type: number; password: string; user: string };
}

/** Settings of the TCP/IP service (spec §2.2), and the PDP state that NETOPEN drives. */
export interface IpState {
  /** Socket service (`AT+NETOPEN`): closed → opening → open → closing → closed. */
  net: 'closed' | 'opening' | 'open' | 'closing';
  /** AT+CIPMODE: 0 command (non-transparent), 1 transparent. */
  cipmode: number;
  /** AT+CIPRXGET mode: 0 direct push, 1 buffer access; 5 adds `+CIPRXGETIP` in buffer mode. */
  rxmode: number;
  rxShowAddress: boolean;
  ciphead: number;
  cipsrip: number;
  cipsendmode: number;
  /** AT+CIPTIMEOUT netopen, cipopen, cipsend (ms). */
  timeouts: { netopen: number; cipopen: number; cipsend: number };
  /** AT+CIPCCFG values in order (spec §2.2.13). */
  ccfg: {
    nmRetry: number;
    delayTm: number;
    ack: number;
    errMode: number;
    headerType: number;
    asyncMode: number;
    timeoutVal: number;
    udpRecvMode: number;
  };
  /** AT+CIPCFG "transwaittm" (ms) and "DATAECHO". */
  transWaitMs: number;
  dataEcho: boolean;
  /** AT+CSOCKSETPN profile and IP family. */
  socketProfile: [number, number];
  /** AT+CTCPKA keepalive, idle, count, interval. */
  keepalive: [number, number, number, number];
  /** AT+CDNSCFG servers. */
  dns: { primary: string; secondary: string };
}

export interface ModemState {
  serial: SerialState;
  radio: RadioState;
  pdp: Map<number, PdpContext>;
  /** AT+CGATT. */
  attached: boolean;
  ip: IpState;
}

export function defaultProfile(): SerialProfile {
  return {
    echo: true,
    verbose: true,
    quiet: false,
    connectText: 1,
    dtrMode: 0,
    dcdMode: 1,
    flowControl: [0, 0],
    sRegisters: new Map([
      [0, 0],
      [3, 13],
      [4, 10],
      [5, 8],
      [7, 60],
    ]),
  };
}

export function copyProfile(p: SerialProfile): SerialProfile {
  return { ...p, flowControl: [p.flowControl[0], p.flowControl[1]], sRegisters: new Map(p.sRegisters) };
}

export function defaultIpState(): IpState {
  return {
    net: 'closed',
    cipmode: 0,
    rxmode: 0,
    rxShowAddress: false,
    ciphead: 1,
    cipsrip: 1,
    cipsendmode: 0,
    timeouts: { netopen: 120000, cipopen: 120000, cipsend: 120000 },
    ccfg: {
      nmRetry: 10,
      delayTm: 0,
      ack: 0,
      errMode: 1,
      headerType: 0,
      asyncMode: 0,
      timeoutVal: 500,
      udpRecvMode: 0,
    },
    transWaitMs: 100,
    dataEcho: true,
    socketProfile: [1, 1],
    keepalive: [0, 120, 9, 1],
    dns: { primary: '8.8.8.8', secondary: '8.8.4.4' },
  };
}

/** State at power-on. `previous` carries what survives a reboot (AUTO_SAVE settings, AT&W profile). */
export function powerOnState(config: EmulatorConfig, previous?: ModemState): ModemState {
  const saved = previous ? copyProfile(previous.serial.saved) : defaultProfile();
  const bootBaud = previous?.serial.bootBaud ?? config.baud;
  const registered = config.sim.state === 'ready';
  return {
    serial: {
      ...copyProfile(saved),
      cmee: 2,
      baud: bootBaud,
      bootBaud,
      frameFormat: [2, 2],
      saved,
    },
    radio: {
      sim: previous?.radio.sim ?? config.sim.state,
      pinAttempts: 3,
      cfun: 1,
      rssi: previous?.radio.rssi ?? config.radio.rssi,
      ber: previous?.radio.ber ?? config.radio.ber,
      regStat: previous?.radio.regStat ?? (registered ? config.radio.registration : 0),
      cregMode: 0,
      cgregMode: 0,
      ceregMode: 0,
      cnmp: previous?.radio.cnmp ?? 2,
      cnsmodMode: 0,
      copsMode: 0,
      copsFormat: 0,
      ctzu: previous?.radio.ctzu ?? 0,
      ctzr: 0,
      autoCsq: [0, 0],
      cgerep: [2, 0],
    },
    pdp: previous ? new Map([...previous.pdp].map(([cid, c]) => [cid, { ...c, active: false }])) : defaultPdp(),
    attached: registered,
    ip: defaultIpState(),
  };
}

function defaultPdp(): Map<number, PdpContext> {
  return new Map([[1, { cid: 1, type: 'IP', apn: '', address: '0.0.0.0', dComp: 0, hComp: 0, active: false }]]);
}
