import type { AccessTechnology, EmulatorConfig, ModemFaults, SimState } from './config.js';
import { instantBoot, type TimingProfile } from './radio/timing.js';

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
  /** The rate on the wire, what a transport paces by: follows `baud` once the command's OK is out. */
  lineBaud: number;
  /** AT+IPREX: rate at power-on. */
  bootBaud: number;
  /** AT+ICF <format>,<parity>. */
  frameFormat: [number, number];
  /** The profile saved by AT&W. */
  saved: SerialProfile;
  /** AT+CSCLK: 0 UART never sleeps, 1 DTR sleep, 2 RX sleep. */
  csclk: number;
  /** AT+CATR: which port URCs go to (0 all ports). */
  urcPort: number;
}

export interface RadioState {
  sim: SimState;
  /** Wrong PIN entries left before PUK. */
  pinAttempts: number;
  /** The SIM's PIN (AT+CPIN with a PUK sets a new one). */
  pin: string;
  /** The SIM asks for its PIN at power-on (a SIM that was READY goes back to SIM PIN on reboot). */
  pinLock: boolean;
  /** The SIM is still initialising after a reset (AT+CPIN? answers `+CME ERROR: SIM busy`). */
  simBusy: boolean;
  /** Still looking for the network after a reset: CREG reads 2 whatever the network grants. */
  searching: boolean;
  /** AT+CFUN level. */
  cfun: number;
  rssi: number;
  ber: number;
  /**
   * Registration `<stat>` the network grants (spec §2.1.9), same for CS/PS/EPS in this model.
   * What AT+CREG?/CGREG?/CEREG? report is this gated by CFUN, the SIM, COPS=2 and attach
   * (`radio/registration.ts`).
   */
  regStat: number;
  /** The network the module is on (COPS, CPSI); the world's, so it survives reboots. */
  operator: Operator;
  /** Access technology of the serving cell (the world's; survives reboots). */
  rat: AccessTechnology;
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
  /** AT+CNTP server and time zone (quarter hours); kept across reboots [INF]. */
  ntp: { host: string; tzQuarters: number };
  /** The real-time clock once set by AT+CCLK (the host's UTC time until then); survives reboot. */
  rtc?: RealTimeClock;
}

export interface Operator {
  mcc: string;
  mnc: string;
  /** Long and short alphanumeric names (COPS formats 0 and 1). */
  longName: string;
  shortName: string;
}

/** An AT+CCLK setting: local time `localMs` (as a UTC timestamp) at `clockAt` on the modem's clock. */
export interface RealTimeClock {
  localMs: number;
  clockAt: number;
  /** Time zone in quarter hours. */
  tzQuarters: number;
}

export interface PdpContext {
  cid: number;
  type: string;
  apn: string;
  /** As written; empty when the host gave none (AT+CGDCONT? prints the dialect's zero form). */
  address: string;
  /** Parameters after the address, kept as written so the read form can echo them. */
  dComp: number;
  hComp: number;
  active: boolean;
  /** `<ipv4_ctrl>` and `<request_type>` as last written (0 when omitted). */
  ipv4Ctrl?: number;
  requestType?: number;
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
  /** Voice/SMS housekeeping the emulator only stores (AT+CVHU, AT+CNMI, AT+CMGF). */
  telephony: TelephonyState;
  /**
   * After AT+CPOF, and during a timed boot until `*ATREADY`/`RDY`: the module answers nothing
   * (input is lost, URCs are not printed).
   */
  poweredOff: boolean;
  /** The timing profile in force (config's at power-on, `ctl timing` changes it; survives reboots). */
  timing: TimingProfile;
  /** Failures the world imposes (config's at power-on, control verbs change them; survive reboots). */
  faults: ModemFaults;
}

export interface TelephonyState {
  cvhu: number;
  /** AT+CNMI <mode>,<mt>,<bm>,<ds>,<bfr>. */
  cnmi: [number, number, number, number, number];
  cmgf: number;
  /** AT+CLIP <n>: calling line identification on incoming calls. */
  clip: number;
  /** AT+CSCS character set. */
  cscs: string;
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

/** The profile fields of `p` only (it may be the whole live serial state), deeply copied. */
export function copyProfile(p: SerialProfile): SerialProfile {
  return {
    echo: p.echo,
    verbose: p.verbose,
    quiet: p.quiet,
    connectText: p.connectText,
    dtrMode: p.dtrMode,
    dcdMode: p.dcdMode,
    flowControl: [p.flowControl[0], p.flowControl[1]],
    sRegisters: new Map(p.sRegisters),
  };
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

/**
 * The AT&W profile of every modem that never saved one. `serial.saved` is only ever replaced
 * (AT&W) and copied from (ATZ, reboot), never written in place, so modems can share it: one
 * profile (and its S-register Map) less per modem in a fleet.
 */
const FACTORY_PROFILE: SerialProfile = defaultProfile();

/** State at power-on. `previous` carries what survives a reboot (AUTO_SAVE settings, AT&W profile). */
export function powerOnState(config: EmulatorConfig, previous?: ModemState): ModemState {
  const saved = previous ? previous.serial.saved : FACTORY_PROFILE;
  const bootBaud = previous?.serial.bootBaud ?? config.baud;
  const pinLock = previous?.radio.pinLock ?? (config.sim.state === 'pin' || config.sim.state === 'puk');
  // A SIM unlocked before the reboot asks for its PIN again; a blocked or missing one stays so.
  const previousSim = previous?.radio.sim;
  const sim = previousSim === undefined ? config.sim.state : previousSim === 'ready' && pinLock ? 'pin' : previousSim;
  const regStat = previous?.radio.regStat ?? config.radio.registration;
  const timing = previous?.timing ?? config.latency;
  // A timed boot starts dark, with the SIM busy and the radio searching (radio/boot.ts moves on).
  const timed = !instantBoot(timing);
  const registered = !timed && sim === 'ready' && (regStat === 1 || regStat === 5);
  const r = config.radio;
  const radio: RadioState = {
    sim,
    pinAttempts: previous?.radio.pinAttempts ?? 3,
    pin: previous?.radio.pin ?? config.sim.pin,
    pinLock,
    simBusy: timed,
    searching: timed,
    cfun: 1,
    rssi: previous?.radio.rssi ?? config.radio.rssi,
    ber: previous?.radio.ber ?? config.radio.ber,
    regStat,
    operator: previous ? { ...previous.radio.operator } : { mcc: r.mcc, mnc: r.mnc, longName: r.operatorName, shortName: r.operatorShortName },
    rat: previous?.radio.rat ?? r.rat,
    cregMode: 0,
    cgregMode: 0,
    ceregMode: 0,
    cnmp: previous?.radio.cnmp ?? 2,
    cnsmodMode: 0,
    copsMode: 0,
    copsFormat: config.dialect.copsFormat,
    ctzu: previous?.radio.ctzu ?? 0,
    ctzr: 0,
    autoCsq: [0, 0],
    cgerep: [2, 0],
    ntp: previous ? { ...previous.radio.ntp } : { host: '', tzQuarters: 0 },
  };
  if (previous?.radio.rtc !== undefined) radio.rtc = { ...previous.radio.rtc };
  const pdp = previous ? new Map([...previous.pdp].map(([cid, c]) => [cid, { ...c, active: false }])) : defaultPdp();
  // On LTE, attaching brings up the default bearer (cid 1): boot prints `+CGEV: EPS PDN ACT 1`.
  const bearer = pdp.get(1);
  if (registered && bearer !== undefined) bearer.active = true;
  return {
    serial: {
      ...copyProfile(saved),
      cmee: 2,
      baud: bootBaud,
      lineBaud: bootBaud,
      bootBaud,
      frameFormat: [2, 2],
      saved,
      csclk: 0,
      urcPort: previous?.serial.urcPort ?? 0,
    },
    radio,
    pdp,
    attached: registered,
    ip: defaultIpState(),
    telephony: { cvhu: 0, cnmi: [2, 1, 0, 0, 0], cmgf: 0, clip: 0, cscs: 'IRA' },
    poweredOff: timed,
    timing,
    faults: previous?.faults ?? config.faults,
  };
}

function defaultPdp(): Map<number, PdpContext> {
  return new Map([[1, { cid: 1, type: 'IP', apn: '', address: '', dComp: 0, hComp: 0, active: false }]]);
}
